import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { quoteIdentifier } from '../db/identifier';
import { queryRows, type SqlRunner } from '../db/query';

/** What was answered the first time a key was used. */
export interface StoredResponse {
  readonly fingerprint: string;
  readonly statusCode: number;
  readonly response: unknown;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A stable hash of the request a key was used with: same key + different request = 422. */
export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('base64url');
}

/**
 * Idempotency-Key records in `<schema>.idempotency_keys`. The key is claimed first in the write
 * transaction, so a concurrent request with the same key waits on it, then finds it taken and
 * replays the stored response instead of writing again.
 */
export function createIdempotencyStore(schema: string) {
  const table = sql.raw(`${quoteIdentifier(schema)}.idempotency_keys`);
  return {
    async find(db: SqlRunner, key: string): Promise<StoredResponse | undefined> {
      const [row] = await queryRows<{ fingerprint: string; status_code: number; response: unknown }>(
        db,
        sql`select fingerprint, status_code, response from ${table} where key = ${key}`,
      );
      return row === undefined ? undefined : { fingerprint: row.fingerprint, statusCode: Number(row.status_code), response: row.response };
    },

    /**
     * First statement of the write transaction: takes the key with a placeholder. A concurrent
     * request holding the same key makes this wait until it commits (then false: replay its
     * outcome) or rolls back (then true: go ahead).
     */
    async claim(tx: SqlRunner, key: string, fingerprint: string): Promise<boolean> {
      const rows = await queryRows(
        tx,
        sql`insert into ${table} (key, fingerprint, status_code, response)
            values (${key}, ${fingerprint}, 0, 'null'::jsonb)
            on conflict (key) do nothing returning key`,
      );
      return rows.length === 1;
    },

    /** Last statement of the write transaction: the outcome replaces the placeholder. */
    async complete(tx: SqlRunner, key: string, statusCode: number, response: unknown): Promise<void> {
      await tx.execute(
        sql`update ${table} set status_code = ${statusCode}, response = ${JSON.stringify(response)}::jsonb where key = ${key}`,
      );
    },

    /** Records a refusal (after its transaction rolled back); false when the key was taken meanwhile. */
    async save(db: SqlRunner, key: string, stored: StoredResponse): Promise<boolean> {
      const rows = await queryRows(
        db,
        sql`insert into ${table} (key, fingerprint, status_code, response)
            values (${key}, ${stored.fingerprint}, ${stored.statusCode}, ${JSON.stringify(stored.response)}::jsonb)
            on conflict (key) do nothing returning key`,
      );
      return rows.length === 1;
    },

    /** Deletes records older than `hours`; returns how many. */
    async purge(db: SqlRunner, hours: number): Promise<number> {
      const rows = await queryRows(
        db,
        sql`delete from ${table} where created_at < now() - make_interval(hours => ${hours}) returning key`,
      );
      return rows.length;
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
