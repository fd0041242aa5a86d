import { createServerTestDatabase, createTestDatabase, type TestDatabase } from '@eventfold/testing';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import pg from 'pg';
import { migrate } from '../migrate';

/** A migrated database on the real server, with a node-postgres pool and a Drizzle db on it. */
export interface ServerFixture {
  readonly database: Extract<TestDatabase, { kind: 'server' }>;
  readonly pool: pg.Pool;
  readonly db: NodePgDatabase;
  /** Ends the pool and drops the database. */
  dispose(): Promise<void>;
}

/**
 * A fresh database on the PostgreSQL server of `@eventfold/testing` (DATABASE_URL, then
 * Testcontainers), migrated for `schema`; undefined when there is no server (CI=true rejects).
 */
export async function serverFixture(
  purpose: string,
  options: { readonly schema?: string; readonly poolSize?: number } = {},
): Promise<ServerFixture | undefined> {
  const database = await createServerTestDatabase({ prefix: 'store_pg', purpose });
  if (database === undefined) return undefined;
  const pool = new pg.Pool({ connectionString: database.connectionString, max: options.poolSize ?? 10 });
  const db = drizzlePg(pool);
  await migrate(db, options.schema === undefined ? {} : { schema: options.schema });
  return {
    database,
    pool,
    db,
    dispose: async () => {
      // The database is dropped WITH (FORCE) next: a connection still closing may get the server's
      // "terminating connection" message, which is expected here and not a test failure.
      pool.on('error', () => undefined);
      await pool.end();
      await database.dispose();
    },
  };
}

/** An in-memory PGlite, migrated for `schema`. */
export async function pgliteFixture(options: { readonly schema?: string } = {}): Promise<{
  readonly pglite: PGlite;
  readonly db: PgliteDatabase;
  dispose(): Promise<void>;
}> {
  const pglite = new PGlite();
  await pglite.waitReady;
  const db = drizzlePglite(pglite);
  await migrate(db, options.schema === undefined ? {} : { schema: options.schema });
  return { pglite, db, dispose: () => pglite.close() };
}

/** Whatever `@eventfold/testing` resolves (server first, else PGlite), migrated, as a Drizzle db. */
export async function anyFixture(options: { readonly schema?: string } = {}): Promise<{
  readonly kind: 'server' | 'pglite';
  readonly db: NodePgDatabase | PgliteDatabase;
  dispose(): Promise<void>;
}> {
  const database = await createTestDatabase({ prefix: 'store_pg' });
  if (database.kind === 'pglite') {
    const db = drizzlePglite(database.pglite);
    await migrate(db, options.schema === undefined ? {} : { schema: options.schema });
    return { kind: 'pglite', db, dispose: () => database.dispose() };
  }
  const pool = new pg.Pool({ connectionString: database.connectionString, max: 10 });
  const db = drizzlePg(pool);
  await migrate(db, options.schema === undefined ? {} : { schema: options.schema });
  return {
    kind: 'server',
    db,
    dispose: async () => {
      pool.on('error', () => undefined); // as in serverFixture
      await pool.end();
      await database.dispose();
    },
  };
}
