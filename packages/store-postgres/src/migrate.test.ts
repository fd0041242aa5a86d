import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { queryRows } from './driver';
import { isInvalidSchemaNameError, isMigrationError } from './errors';
import { createPostgresEventStore } from './event-store';
import { migrate, shippedMigrations } from './migrate';

// migrate() on PGlite: the same SQL files, no server needed.
describe('migrate', () => {
  const open: PGlite[] = [];
  afterEach(async () => {
    for (const pglite of open.splice(0)) await pglite.close();
  });
  const fresh = async () => {
    const pglite = new PGlite();
    open.push(pglite);
    await pglite.waitReady;
    return drizzle(pglite);
  };
  const schemas = async (db: Awaited<ReturnType<typeof fresh>>) =>
    (await queryRows<{ nspname: string }>(db, "select nspname from pg_namespace where nspname not like 'pg_%' and nspname <> 'information_schema' order by 1")).map(
      (row) => row.nspname,
    );

  it('applies every shipped migration once, in order, and is idempotent', async () => {
    const db = await fresh();
    const tags = (await shippedMigrations()).map((migration) => migration.tag);
    expect(tags[0]).toBe('0000_tables');
    expect(await migrate(db)).toEqual({ applied: tags });
    expect(await migrate(db)).toEqual({ applied: [] });
    const recorded = await queryRows<{ tag: string }>(db, 'select tag from eventfold.__eventfold_migrations order by tag');
    expect(recorded.map((row) => row.tag)).toEqual(tags);
    const tables = await queryRows<{ tablename: string }>(db, "select tablename from pg_tables where schemaname = 'eventfold' order by 1");
    expect(tables.map((row) => row.tablename)).toEqual(['__eventfold_migrations', 'checkpoints', 'events', 'snapshots', 'streams']);
  });

  it('migrates a configured schema, quoted, and keeps schemas apart', async () => {
    const db = await fresh();
    await migrate(db, { schema: 'tenant_a' });
    await migrate(db, { schema: 'tenant_b' });
    expect(await schemas(db)).toEqual(['public', 'tenant_a', 'tenant_b']);
    const a = createPostgresEventStore({ db, schema: 'tenant_a' });
    const b = createPostgresEventStore({ db, schema: 'tenant_b' });
    await a.append('order-1', [{ type: 'Placed', data: {} }]);
    expect(await a.streamVersion('order-1')).toBe(1);
    expect(await b.streamVersion('order-1')).toBe(0);
    // The function of each schema writes to its own tables.
    const [row] = await queryRows<{ n: number }>(db, 'select count(*)::int as n from tenant_b.events');
    expect(row?.n).toBe(0);
  });

  it('refuses an unsafe schema name before any SQL runs', async () => {
    const db = await fresh();
    for (const schema of ['public; drop table x', 'Upper', '']) {
      const error = await migrate(db, { schema }).catch((e: unknown) => e);
      expect(isInvalidSchemaNameError(error)).toBe(true);
    }
    expect(await schemas(db)).toEqual(['public']);
  });

  it('rolls the whole run back when a migration fails, and names it', async () => {
    const db = await fresh();
    await queryRows(db, 'create schema eventfold');
    await queryRows(db, 'create table eventfold.events (conflicting int)');
    const error = await migrate(db).catch((e: unknown) => e);
    expect(isMigrationError(error)).toBe(true);
    expect((error as Error).message).toContain('0000_tables');
    const tables = await queryRows<{ tablename: string }>(db, "select tablename from pg_tables where schemaname = 'eventfold' order by 1");
    expect(tables.map((row) => row.tablename)).toEqual(['events']);
  });
});
