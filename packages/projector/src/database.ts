import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * A Drizzle PostgreSQL database or transaction, on node-postgres (`drizzle(pool)`) or PGlite
 * (`drizzle(pglite)`). Both drivers' transactions fit, so handlers can use the query builder
 * (`ctx.tx.insert(table)...`) or raw SQL (`ctx.tx.execute(sql\`...\`)`).
 */
export type ProjectionDatabase = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

/** The transaction a handler gets as `ctx.tx`. */
export type ProjectionTransaction = ProjectionDatabase;

/** Runs `query` and returns its rows; node-postgres and PGlite both answer `{ rows }`. */
export async function queryRows<TRow extends Record<string, unknown>>(db: ProjectionDatabase, query: SQL): Promise<TRow[]> {
  const result: unknown = await db.execute(query);
  const rows: unknown[] = (result as { rows?: unknown[] }).rows ?? [];
  return rows as TRow[];
}

/** The lease helper's view of a database: `execute(sql)` answering `{ rows }`. */
export function asSqlExecutor(db: ProjectionDatabase): { execute(query: SQL): Promise<{ rows: unknown[] }> } {
  return {
    execute: async (query) => ({ rows: await queryRows(db, query) }),
  };
}
