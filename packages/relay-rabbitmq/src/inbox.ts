import { sql, type SQL } from 'drizzle-orm';
import { InvalidRabbitOptionError } from './errors';
import { integerOption, nameOption, sqlIdentifierOption } from './option-checks';

/** What this package needs from a Drizzle database or transaction (node-postgres or PGlite). */
export interface SqlExecutor {
  execute(query: SQL): PromiseLike<{ rows: unknown[] }>;
}

/**
 * A Drizzle database (node-postgres or PGlite). `TTx` is its transaction type, which the consumer
 * hands to your handler so its writes commit together with the inbox row.
 */
export interface InboxDatabase<TTx extends SqlExecutor = SqlExecutor> extends SqlExecutor {
  transaction<T>(fn: (tx: TTx) => Promise<T>): Promise<T>;
}

export interface InboxTableOptions {
  /** Postgres schema of the `inbox` table. Default `eventfold`. */
  readonly schema?: string;
}

/** `"schema"."inbox"`, after validating the schema name. */
export function inboxTable(schema: string): SQL {
  return sql`${sql.identifier(schema)}.${sql.identifier('inbox')}`;
}

/**
 * Creates the consumer inbox table (`<schema>.inbox`, primary key `(consumer_name, message_id)`)
 * if it does not exist. Idempotent, and safe when several processes run it at once (it takes a
 * transaction-scoped advisory lock).
 */
export async function migrateInbox(db: InboxDatabase, options: InboxTableOptions = {}): Promise<void> {
  const schema = sqlIdentifierOption('schema', options.schema, 'eventfold');
  const table = inboxTable(schema);
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`eventfold.inbox:${schema}`}))`);
    await tx.execute(sql`create schema if not exists ${sql.identifier(schema)}`);
    await tx.execute(sql`create table if not exists ${table} (
      consumer_name text not null,
      message_id text not null,
      event_type text,
      received_at timestamptz not null default now(),
      primary key (consumer_name, message_id)
    )`);
    await tx.execute(sql`create index if not exists ${sql.identifier('inbox_received_at_idx')} on ${table} (received_at)`);
  });
}

/**
 * Records `messageId` for `consumerName` inside `tx`. Resolves false when it was already there:
 * the message was handled before (or is being handled by a transaction that then commits first).
 */
export async function recordInInbox(
  tx: SqlExecutor,
  table: SQL,
  entry: { readonly consumerName: string; readonly messageId: string; readonly eventType: string },
): Promise<boolean> {
  const { rows } = await tx.execute(sql`insert into ${table} (consumer_name, message_id, event_type)
    values (${entry.consumerName}, ${entry.messageId}, ${entry.eventType})
    on conflict (consumer_name, message_id) do nothing
    returning 1 as inserted`);
  return rows.length > 0;
}

export interface PruneInboxOptions extends InboxTableOptions {
  /** Only this consumer's rows. Default: every consumer. */
  readonly consumerName?: string;
  /**
   * Delete rows older than this many ms. Keep it far above the longest time a duplicate can still
   * arrive (relay downtime plus retries), or a late duplicate is handled twice. Minimum one hour.
   */
  readonly olderThanMs: number;
}

/** Deletes old inbox rows so the table does not grow forever. Resolves how many were deleted. */
export async function pruneInbox(db: SqlExecutor, options: PruneInboxOptions): Promise<number> {
  const schema = sqlIdentifierOption('schema', options.schema, 'eventfold');
  if (options.olderThanMs === undefined) {
    throw new InvalidRabbitOptionError('olderThanMs', undefined, 'say how old (in ms, at least 3 600 000) a row must be to go');
  }
  const olderThanMs = integerOption('olderThanMs', options.olderThanMs, 0, 3_600_000, Number.MAX_SAFE_INTEGER);
  const consumer = options.consumerName === undefined ? undefined : nameOption('consumerName', options.consumerName);
  const { rows } = await db.execute(sql`with deleted as (
      delete from ${inboxTable(schema)}
      where received_at < now() - (${olderThanMs}::bigint * interval '1 millisecond')
      ${consumer === undefined ? sql`` : sql`and consumer_name = ${consumer}`}
      returning 1)
    select count(*)::int as deleted from deleted`);
  return Number((rows[0] as { deleted?: unknown } | undefined)?.deleted ?? 0);
}
