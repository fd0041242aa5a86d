import { InvalidArgumentError, type PreparedAppend } from '@eventfold/core';
import { is, SQL, StringChunk, type BuildQueryConfig } from 'drizzle-orm';
import { CasingCache } from 'drizzle-orm/casing';
import { PgDialect } from 'drizzle-orm/pg-core';
import { createStreamParams, createStreamsParams, isOneEvent } from './append';
import { preparedStatement, type Statement } from './driver';
import { quoteIdentifier } from './schema-name';
import { APPENDED_COLUMNS, createStreamSql, createStreamsSql } from './statements';

/**
 * Your writes that commit with an append or not at all: Drizzle `sql` statements (insert, update,
 * delete), each run as a CTE of one statement. They read the appended events from `appended`.
 */
export type AlongsideWrites = SQL | readonly SQL[];

const dialect = new PgDialect();
const casing = new CasingCache();
/** Most appends have no writes: nothing to allocate for them. */
const NO_WRITES: readonly SQL[] = Object.freeze([]);

/** The writes as a list (empty when there are none); anything but Drizzle SQL is refused before any write. */
export function parseAlongside(value: unknown): readonly SQL[] {
  if (value === undefined) return NO_WRITES;
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

function named(text: string, params: unknown[]): RenderedStatement {
  let statement = prepared.get(text);
  if (statement === undefined && prepared.size < MAX_PREPARED_TEXTS) {
    statement = preparedStatement(text);
    prepared.set(text, statement);
  }
  return { statement: statement ?? text, params };
}

/**
 * Renders the writes' SQL with their placeholders numbered after the statement's own `offset`
 * parameters, and collects their parameters in that order.
 */
function renderWrites(writes: readonly SQL[], offset: number): { texts: string[]; params: unknown[] } {
  const config: BuildQueryConfig = {
    casing,
    escapeName: (name) => dialect.escapeName(name),
    escapeParam: (num) => dialect.escapeParam(num),
    escapeString: (text) => dialect.escapeString(text),
    prepareTyping: (encoder) => dialect.prepareTyping(encoder),
    paramStartIndex: { value: offset },
  };
  const texts: string[] = [];
  const params: unknown[] = [];
  for (const write of writes) {
    const query = write.toQuery(config);
    texts.push(query.sql);
    params.push(...query.params);
  }
  return { texts, params };
}

/**
 * One statement that creates the stream, appends its events and runs the writes: the createStream
 * statement with a plain insert of the stream row, so when the stream exists the whole statement
 * fails with a unique violation on `streams_pkey` (see {@link isStreamExistsError}) and nothing of
 * it is written, the writes included. Its row is createStream's.
 */
export function createStreamWithWrites(schema: string, item: PreparedAppend, writes: readonly SQL[]): RenderedStatement {
  const own = createStreamParams(item);
  const rendered = renderWrites(writes, own.length);
  const ctes = rendered.texts.map((text, n) => `, eventfold_alongside_${n + 1} as (${text})`).join('');
  return named(createStreamSql(schema, { skipExisting: false, returnAll: true, oneEvent: isOneEvent(item), writes: ctes }), [
    ...own,
    ...rendered.params,
  ]);
}

/**
 * The writes as one statement after their append, in its transaction: `appended` holds the events at
 * these global positions.
 */
export function writesAfterAppend(schema: string, positions: readonly number[], writes: readonly SQL[]): RenderedStatement {
  const columns = APPENDED_COLUMNS.map((column) => `e.${column}`).join(', ');
  const rendered = renderWrites(writes, 1);
  const ctes = rendered.texts.map((text, n) => `, eventfold_alongside_${n + 1} as (${text})`).join('');
  const text = `with appended as (
      select ${columns} from ${quoteIdentifier(schema)}.events e where e.global_position = any($1::bigint[])
    )${ctes}
    select 1 as done`;
  return named(text, [positions.map(String), ...rendered.params]);
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
 * Creates with writes, as one statement: the createStreams statement with plain inserts of the
 * stream rows, and each append's writes with `appended` holding only that append's events (its
 * item's stream id is element i of $1). Any failure (a stream that exists, a used event id, a
 * write refused) fails the whole statement and writes nothing; the caller then runs each append
 * alone, so each gets its own outcome. One row per item, as createStreams returns them.
 */
export function createStreamsWithWrites(schema: string, items: readonly CreateWithWrites[]): RenderedStatement {
  const own = createStreamsParams(items.map((item) => item.prepared));
  const columns = APPENDED_COLUMNS.map((column) => `b.${column}`).join(', ');
  const params: unknown[] = [...own];
  let ctes = '';
  items.forEach(({ writes }, index) => {
    const item = index + 1;
    const rendered = renderWrites(writes, params.length);
    params.push(...rendered.params);
    rendered.texts.forEach((text, n) => {
      ctes += `, eventfold_alongside_${item}_${n + 1} as (
        with appended as (select ${columns} from eventfold_appended b where b.stream_id = ($1::text[])[${item}]) ${text})`;
    });
  });
  return named(createStreamsSql(schema, { skipExisting: false, returnAll: true, writes: ctes }), params);
}

/** The statement failed because the stream it was to create exists (in this store's schema). */
export function isStreamExistsError(error: unknown, schema: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown; schema?: unknown; message?: unknown } | null;
  if (typeof e !== 'object' || e === null || e.code !== '23505') return false;
  // PGlite's errors may lack the schema field; the constraint name is enough there.
  if (e.schema !== undefined && e.schema !== schema) return false;
  return e.constraint === 'streams_pkey' || (e.constraint === undefined && typeof e.message === 'string' && e.message.includes('"streams_pkey"'));
}
