import { createServerTestDatabase } from '@eventfold/testing';
import { createPostgresEventStore, migrate, type PostgresEventStore } from '@eventfold/store-postgres';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';

export interface PostgresHarness {
  readonly connectionString: string;
  readonly pool: pg.Pool;
  readonly db: NodePgDatabase;
  readonly store: PostgresEventStore<NodePgDatabase>;
  /** Another pool on the same database (a second "process"), named by application_name. */
  connect(applicationName: string, max?: number): { pool: pg.Pool; db: NodePgDatabase };
  close(): Promise<void>;
}

/**
 * A fresh database on the real server (DATABASE_URL, else Testcontainers) with the event store
 * migrated. Resolves undefined (after saying why) when there is no server; under CI=true it rejects.
 */
export async function createPostgresHarness(prefix: string, poolSize = 10): Promise<PostgresHarness | undefined> {
  const database = await createServerTestDatabase({ prefix, purpose: `projector ${prefix} tests` });
  if (database === undefined) return undefined;
  const pools: pg.Pool[] = [];
  const connect = (applicationName: string, max = 4): { pool: pg.Pool; db: NodePgDatabase } => {
    const pool = new pg.Pool({ connectionString: database.connectionString, max, application_name: applicationName });
    pool.on('error', () => undefined); // connections killed on purpose in some tests
    pools.push(pool);
    return { pool, db: drizzle(pool) };
  };
  const { pool, db } = connect('harness', poolSize);
  await migrate(db);
  const store = createPostgresEventStore({ db });
  return {
    connectionString: database.connectionString,
    pool,
    db,
    store,
    connect,
    async close() {
      await store.close();
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
      await database.dispose();
    },
  };
}
