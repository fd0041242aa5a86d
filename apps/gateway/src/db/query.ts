import type { SQL } from 'drizzle-orm';

/** A Drizzle database or transaction on node-postgres or PGlite: both answer `execute` with `{ rows }`. */
export interface SqlRunner {
  execute(query: SQL): PromiseLike<unknown>;
}

/** Runs one parameterised statement and returns its rows. */
export async function queryRows<TRow>(db: SqlRunner, query: SQL): Promise<TRow[]> {
  const result = (await db.execute(query)) as { rows?: TRow[] };
  return result.rows ?? [];
}
