import { InvalidArgumentError, type PreparedAppend } from '@eventfold/core';
import { is, sql, SQL, StringChunk } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { createStreamParams, createStreamsParams } from './append';
import { preparedStatement, type Statement } from './driver';
import { quoteIdentifier } from './schema-name';

/**
 * Your writes that commit with an append or not at all: Drizzle `sql` statements (insert, update,
 * delete), each run as a CTE of one statement. They read the appended events from `appended`.
 */
export type AlongsideWrites = SQL | readonly SQL[];

/**
 * The columns of `appended`, the relation `alongside` writes read the events of their append from
 * (one row per event): the events table's own columns, without the transaction id.
 */
const APPENDED_COLUMNS = ['event_id', 'stream_id', 'stream_type', 'version', 'global_position', 'type', 'data', 'metadata', 'occurred_at'];

const dialect = new PgDialect();

/** The writes as a list (empty when there are none); anything but Drizzle SQL is refused before any write. */
export function parseAlongside(value: unknown): readonly SQL[] {
  if (value === undefined) return [];
  const list: readonly unknown[] = Array.isArray(value) ? value : [value];
  list.forEach((write, index) => {
    if (!is(write, SQL)) {
      const where = Array.isArray(value) ? `alongside[${index}]` : 'alongside';
      throw new InvalidArgumentError(
        `Invalid ${where}: use a Drizzle sql\`...\` statement (import { sql } from 'drizzle-orm'), or a list of them. ` +
          'Values go in ${...} placeholders and become bind parameters; never build SQL text from strings.',
      );
    }
  });
  return list as readonly SQL[];
}

export interface RenderedStatement {
  /** Prepared (named) while fewer than {@link MAX_PREPARED_TEXTS} distinct texts were seen; else plain text. */
  readonly statement: Statement | string;
  readonly params: unknown[];
}

/**
 * Distinct statement texts prepared per process. Writes whose SQL text stays the same from call to
 * call (lists passed as one array parameter, not as a VALUES list per item) are planned once per
 * connection: server-side that doubles the rate of a create with writes (measured with pgbench).
 * Texts past this many run unprepared, so a caller whose text varies without bound cannot make
 * every connection hold ever more prepared statements.
 */
export const MAX_PREPARED_TEXTS = 256;
const prepared = new Map<string, Statement>();

function rendered(statement: SQL): RenderedStatement {
  const query = dialect.sqlToQuery(statement);
  let named = prepared.get(query.sql);
  if (named === undefined && prepared.size < MAX_PREPARED_TEXTS) {
    named = preparedStatement(query.sql);
    prepared.set(query.sql, named);
  }
  return { statement: named ?? query.sql, params: query.params };
}

function withWrites(writes: readonly SQL[]): SQL {
  return sql.join(
    writes.map((write, index) => sql`, ${sql.raw(`eventfold_alongside_${index + 1}`)} as (${write})`),
    sql``,
  );
}

/**
 * One statement that creates the stream, appends its events and runs the writes. The stream row is
 * a plain insert: when the stream exists the whole statement fails with a unique violation on
 * `streams_pkey` (see {@link isStreamExistsError}) and nothing of it is written, the writes
 * included. The row it returns is createStream's.
 */
export function createStreamWithWrites(schema: string, item: PreparedAppend, writes: readonly SQL[]): RenderedStatement {
  const s = sql.raw(quoteIdentifier(schema));
  const events = sql.raw(`${quoteIdentifier(schema)}.events`);
  const returned = sql.raw(APPENDED_COLUMNS.map((column) => `${quoteIdentifier(schema)}.events.${column}`).join(', '));
  // The same parameters as the createStream statement's, in its order.
  const [streamId, streamType, ids, types, data, metadata] = createStreamParams(item);
  const statement = sql`with s as (
      insert into ${s}.streams as st (id, type, version, created_at, updated_at, last_transaction_id)
      values (${streamId}::text, ${streamType}::text, ${item.events.length}::int, date_trunc('milliseconds', now()),
              date_trunc('milliseconds', now()), pg_current_xact_id())
      returning st.id, st.type, st.version, st.created_at
    ), appended as (
      insert into ${events} (stream_id, stream_type, version, event_id, type, data, metadata, occurred_at)
      select s.id, s.type, u.ord, u.id::uuid, u.type, u.data, u.metadata, s.created_at
        from s, rows from (unnest(${sql.param(ids)}::text[]), unnest(${sql.param(types)}::text[]),
                           jsonb_array_elements(${sql.param(data)}::jsonb), jsonb_array_elements(${sql.param(metadata)}::jsonb))
                with ordinality as u(id, type, data, metadata, ord)
       order by u.ord
      returning ${returned}
    )${withWrites(writes)}
    select 1 as item, 0::smallint as status, s.version as stream_version, s.type as stream_type,
           (select array_agg(appended.global_position order by appended.global_position) from appended) as positions,
           round(date_part('epoch', s.created_at) * 1000)::float8 as occurred_ms
      from s`;
  return rendered(statement);
}

/**
 * The writes as one statement after their append, in its transaction: `appended` holds the events at
 * these global positions.
 */
export function writesAfterAppend(schema: string, positions: readonly number[], writes: readonly SQL[]): RenderedStatement {
  const events = sql.raw(`${quoteIdentifier(schema)}.events`);
  const columns = sql.raw(APPENDED_COLUMNS.map((column) => `e.${column}`).join(', '));
  const statement = sql`with appended as (
      select ${columns} from ${events} e where e.global_position = any(${sql.param(positions.map(String))}::bigint[])
    )${withWrites(writes)}
    select 1 as done`;
  return rendered(statement);
}

/** One create with writes, as the coalescer holds it. */
export interface CreateWithWrites {
  readonly prepared: PreparedAppend;
  readonly writes: readonly SQL[];
}

/**
 * True when every write can be scoped to its own append inside a batch: each becomes
 * `with appended as (...) <write>`, which a write that starts with its own WITH cannot follow.
 * (Were this wrong, the batch statement would fail to parse, and each append run alone.)
 */
export function batchable(writes: readonly SQL[]): boolean {
  return writes.every((write) => !startsWithWith(write));
}

function startsWithWith(write: SQL): boolean {
  for (const chunk of write.queryChunks) {
    if (is(chunk, StringChunk)) {
      const text = chunk.value.join('');
      if (text.trim() === '') continue;
      return /^\s*with\b/i.test(text);
    }
    if (is(chunk, SQL)) return startsWithWith(chunk);
    return false;
  }
  return false;
}

/**
 * Creates with writes, as one statement: the stream rows (plain inserts, in id order), every
 * event, and each append's writes with `appended` holding only that append's events. Any failure
 * (a stream that exists, a used event id, a write refused) fails the whole statement and writes
 * nothing; the caller then runs each append alone, so each gets its own outcome. One row per item,
 * as createStreams returns them.
 */
export function createStreamsWithWrites(schema: string, items: readonly CreateWithWrites[]): RenderedStatement {
  const s = sql.raw(quoteIdentifier(schema));
  const events = sql.raw(`${quoteIdentifier(schema)}.events`);
  const returned = sql.raw(APPENDED_COLUMNS.map((column) => `${quoteIdentifier(schema)}.events.${column}`).join(', '));
  const columns = sql.raw(APPENDED_COLUMNS.map((column) => `b.${column}`).join(', '));
  // The same parameters as the createStreams statement's, in its order.
  const [streamIds, streamTypes, counts, ids, types, data, metadata, itemOfEvent, versions] = createStreamsParams(
    items.map((item) => item.prepared),
  );
  const scoped = items.flatMap(({ prepared, writes }, index) =>
    writes.map(
      (write, n) => sql`, ${sql.raw(`eventfold_alongside_${index + 1}_${n + 1}`)} as (
        with appended as (select ${columns} from eventfold_batch b where b.stream_id = ${prepared.streamId}::text) ${write})`,
    ),
  );
  const statement = sql`with input as (
      select i.stream_id, i.stream_type, i.count, i.item
        from unnest(${sql.param(streamIds)}::text[], ${sql.param(streamTypes)}::text[], ${sql.param(counts)}::int[])
               with ordinality as i(stream_id, stream_type, count, item)
    ), s as (
      insert into ${s}.streams as st (id, type, version, created_at, updated_at, last_transaction_id)
      select input.stream_id, input.stream_type, input.count, date_trunc('milliseconds', now()),
             date_trunc('milliseconds', now()), pg_current_xact_id()
        from input order by input.stream_id
      returning st.id, st.type, st.version, st.created_at
    ), eventfold_batch as (
      insert into ${events} (stream_id, stream_type, version, event_id, type, data, metadata, occurred_at)
      select s.id, s.type, e.version, e.id::uuid, e.type, e.data, e.metadata, s.created_at
        from rows from (unnest(${sql.param(ids)}::text[]), unnest(${sql.param(types)}::text[]),
                        jsonb_array_elements(${sql.param(data)}::jsonb), jsonb_array_elements(${sql.param(metadata)}::jsonb),
                        unnest(${sql.param(itemOfEvent)}::int[]), unnest(${sql.param(versions)}::int[]))
               with ordinality as e(id, type, data, metadata, item, version, ord)
        join input on input.item = e.item
        join s on s.id = input.stream_id
       order by e.ord
      returning ${returned}
    )${sql.join(scoped, sql``)}
    select input.item::integer as item, 0::smallint as status, s.version as stream_version, s.type as stream_type,
           (select array_agg(b.global_position order by b.version) from eventfold_batch b where b.stream_id = s.id) as positions,
           round(date_part('epoch', s.created_at) * 1000)::float8 as occurred_ms
      from input join s on s.id = input.stream_id
     order by input.item`;
  return rendered(statement);
}

/** The statement failed because the stream it was to create exists (in this store's schema). */
export function isStreamExistsError(error: unknown, schema: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown; schema?: unknown; message?: unknown } | null;
  if (typeof e !== 'object' || e === null || e.code !== '23505') return false;
  // PGlite's errors may lack the schema field; the constraint name is enough there.
  if (e.schema !== undefined && e.schema !== schema) return false;
  return e.constraint === 'streams_pkey' || (e.constraint === undefined && typeof e.message === 'string' && e.message.includes('"streams_pkey"'));
}
