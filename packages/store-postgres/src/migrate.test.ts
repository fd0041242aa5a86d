import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows } from './driver';
import { isInvalidSchemaNameError, isMigrationError } from './errors';
import { createPostgresEventStore } from './event-store';
import { migrate, shippedMigrations } from './migrate';

// migrate() on PGlite: the same SQL files, no server needed. One instance (starting PGlite costs
// CPU); each case works in its own schemas.
describe('migrate', () => {
  const pglite = new PGlite();
  const db = drizzle(pglite);
  afterAll(() => pglite.close());
  const schemas = async () =>
    (await queryRows<{ nspname: string }>(db, "select nspname from pg_namespace where nspname not like 'pg_%' and nspname <> 'information_schema' order by 1")).map(
      (row) => row.nspname,
    );

  it('applies every shipped migration once, in order, and is idempotent', async () => {
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
    await migrate(db, { schema: 'tenant_a' });
    await migrate(db, { schema: 'tenant_b' });
    expect(await schemas()).toEqual(expect.arrayContaining(['tenant_a', 'tenant_b']));
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
    const before = await schemas();
    for (const schema of ['public; drop table x', 'Upper', '']) {
      const error = await migrate(db, { schema }).catch((e: unknown) => e);
      expect(isInvalidSchemaNameError(error)).toBe(true);
    }
    expect(await schemas()).toEqual(before);
  });

  it('rolls the whole run back when a migration fails, and names it', async () => {
    await queryRows(db, 'create schema broken');
    await queryRows(db, 'create table broken.events (conflicting int)');
    const error = await migrate(db, { schema: 'broken' }).catch((e: unknown) => e);
    expect(isMigrationError(error)).toBe(true);
    expect((error as Error).message).toContain('0000_tables');
    const tables = await queryRows<{ tablename: string }>(db, "select tablename from pg_tables where schemaname = 'broken' order by 1");
    expect(tables.map((row) => row.tablename)).toEqual(['events']);
  });
});
