import { preparedStatement, type Statement } from './driver';
import { quoteIdentifier } from './schema-name';

/**
 * Every statement the stores run, for one schema. The schema is the only identifier spliced into
 * SQL text (validated and quoted); every value is a bind parameter.
 */
export interface StoreStatements {
  readonly schema: string;
  /** append_events: a batch of appends to distinct streams. */
  readonly append: Statement;
  /** append_stream: one append, the fast path. */
  readonly appendStream: Statement;
  /**
   * Appends that each create their stream (expected version no_stream or 0), outside a
   * transaction: one plain statement, no PL/pgSQL. One row ({@link CreatedRow}) per item
   * written, ordered by item; an item whose stream exists gets no row and nothing of it is written
   * (the caller then runs it through the functions, which report the conflict).
   */
  readonly createStreams: Statement;
  /** createStreams for a single append (no item column): about 25% less server time for one item. */
  readonly createStream: Statement;
  /** createStream for an append of exactly one event (the common case): nothing to unnest. */
  readonly createStreamOneEvent: Statement;
  readonly recordedByIds: Statement;
  readonly streamForwards: Statement;
  readonly streamBackwards: Statement;
  readonly streamInfo: Statement;
  readonly headPosition: Statement;
  /** readAll pages, by filter: none, event types, stream types, both. */
  readonly feed: Readonly<Record<'all' | 'types' | 'streamTypes' | 'both', Statement>>;
  readonly hasReadableAfter: Statement;
  readonly horizon: Statement;
  readonly snapshotSave: Statement;
  readonly snapshotLoad: Statement;
  readonly snapshotDelete: Statement;
  readonly checkpointSave: Statement;
  readonly checkpointLoad: Statement;
  readonly checkpointDelete: Statement;
}

/**
 * The event columns every read returns (in this order: toRecordedEvent reads array rows
 * by position). occurred_at comes as epoch milliseconds: a float8 is far
 * cheaper to produce and parse than a timestamp (the store writes it truncated to milliseconds,
 * so rounding is exact).
 */
const EVENT_COLUMNS = `e.event_id as id, e.stream_id, e.stream_type, e.version, e.global_position,
  e.type, e.data, e.metadata, round(date_part('epoch', e.occurred_at) * 1000) as occurred_ms`;

/**
 * The readers' horizon, as a CTE: events of transactions below `bound` are committed (or rolled
 * back) for good. It is the oldest transaction still open in this statement's snapshot, ignoring
 * transactions that provably run in another database (they cannot write these tables): a long
 * transaction elsewhere on the server does not hold readers back. Transactions whose database is
 * unknown (already finished, or not visible) count. The reader's own transaction counts too, so it
 * never reads its own uncommitted events. Everything comes from one snapshot; xids never move
 * between databases, so a slightly later pg_stat_activity cannot make the bound unsafe.
 */
const HORIZON = `horizon as materialized (
    select least(
      coalesce(
        (select min(x.xid) from pg_snapshot_xip(pg_current_snapshot()) as x(xid)
          where x.xid::xid not in (
            select a.backend_xid from pg_stat_get_activity(null) a
             where a.backend_xid is not null
               and a.datid is distinct from (select d.oid from pg_database d where d.datname = current_database())
            union all
            select p.transaction from pg_prepared_xacts p where p.database <> current_database())),
        pg_snapshot_xmax(pg_current_snapshot())),
      coalesce(pg_current_xact_id_if_assigned(), pg_snapshot_xmax(pg_current_snapshot()))) as bound
  )`;
const READABLE = 'e.transaction_id < (select horizon.bound from horizon)';
const AFTER_CHECKPOINT = '(e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)';

/**
 * The columns of `appended`, the relation a create's events CTE returns: the events table's own
 * columns, without the transaction id. `alongside` writes read their append's events from it.
 */
export const APPENDED_COLUMNS = ['event_id', 'stream_id', 'stream_type', 'version', 'global_position', 'type', 'data', 'metadata', 'occurred_at'];

/**
 * How a create statement (createStream, createStreams) is built. Every create answers with
 * {@link CreatedRow}s: everything else about an item is known to the caller when the stream is new
 * (status 0, version = the event count, the type sent), so node-postgres parses no int8[] and no
 * six-field row description (the one-event create alone, at 8 writers through node-postgres: about
 * 10% more per second than with append_events' rows).
 */
export interface CreateStatementShape {
  /**
   * True: `ON CONFLICT DO NOTHING` on the stream row, so an item whose stream exists writes
   * nothing and gets no row (the store's own statements). False: a plain insert, so a stream that
   * exists fails the whole statement on `streams_pkey` (with `alongside` writes, which must not run
   * then).
   */
  readonly skipExisting: boolean;
  /** True: the events CTE returns every column of `appended` (for writes); false: what the result needs. */
  readonly returnAll: boolean;
  /**
   * createStreamSql only. True: the append has exactly one event, passed as scalars (see
   * createStreamParams): nothing to unnest. Through the store at 8 writers, about 10% more
   * single-event creates per second.
   */
  readonly oneEvent?: boolean;
  /** CTE definitions placed after the events CTE, each starting with `, ` (the writes). */
  readonly writes?: string;
}

/**
 * Appends that each create their stream, for one item. Parameters (createStreamParams): $1 stream
 * id, $2 stream type, then the events: $3 ids (text[]), $4 types, $5 data and $6 metadata (JSON
 * arrays), or with `oneEvent` the one event's $3 id, $4 type, $5 data and $6 metadata (JSON texts).
 * The events CTE is `appended`. Returns one {@link CreatedRow} without the item number, or no row
 * when the stream exists (with skipExisting).
 */
export function createStreamSql(schema: string, shape: CreateStatementShape): string {
  const s = quoteIdentifier(schema);
  const events = `${s}.events`;
  const returning = shape.returnAll ? APPENDED_COLUMNS.map((column) => `${events}.${column}`).join(', ') : `${events}.global_position`;
  const selectEvents = shape.oneEvent === true
    ? `select s.id, s.type, 1, $3::uuid, $4::text, $5::jsonb, $6::jsonb, s.created_at from s`
    : `select s.id, s.type, u.ord, u.id::uuid, u.type, u.data, u.metadata, s.created_at
         from s, rows from (unnest($3::text[]), unnest($4::text[]), jsonb_array_elements($5::jsonb),
                            jsonb_array_elements($6::jsonb)) with ordinality as u(id, type, data, metadata, ord)
        order by u.ord`;
  return `with s as (
       insert into ${s}.streams as st (id, type, version, created_at, updated_at, last_transaction_id)
       values ($1::text, $2::text, ${shape.oneEvent === true ? '1' : 'cardinality($3::text[])'}, date_trunc('milliseconds', now()),
               date_trunc('milliseconds', now()), pg_current_xact_id())
       ${shape.skipExisting ? 'on conflict (id) do nothing' : ''}
       returning st.id, st.type, st.version, st.created_at
     ), appended as (
       insert into ${events} (stream_id, stream_type, version, event_id, type, data, metadata, occurred_at)
       ${selectEvents}
       returning ${returning}
     )${shape.writes ?? ''}
     select ${
       shape.oneEvent === true
         ? '(select appended.global_position from appended)'
         : `(select string_agg(appended.global_position::text, ',' order by appended.global_position) from appended)`
     } as positions,
            round(date_part('epoch', s.created_at) * 1000)::float8 as occurred_ms
       from s`;
}

/**
 * A row of a create statement, as an array: createStreams starts with the item number; then the
 * events' global positions in version order, joined by commas, and when they were recorded, in
 * epoch milliseconds. The store reads these rows with `queryText`: on node-postgres every column is
 * the server's text, on PGlite the item and time are numbers and a one-event create's int8 too.
 */
export type CreatedRow =
  | readonly [positions: string | number, occurredMs: string | number]
  | readonly [item: string | number, positions: string, occurredMs: string | number];

/**
 * Appends that each create their stream, for many streams. Parameters (createStreamsParams): $1
 * stream ids, $2 stream types, $3 event counts, $4 event ids, $5 types, $6 data and $7 metadata
 * (JSON arrays), $8 each event's item number, $9 its version in its stream. The stream rows are
 * inserted first, in id order (concurrent batches then wait for each other in one order, never in a
 * cycle), and each event only joins its item's stream row. A brand-new stream has no earlier
 * writer, so the functions' feed-order check has nothing to check. The events CTE is
 * `eventfold_appended`. One row per item written, ordered by item.
 */
export function createStreamsSql(schema: string, shape: CreateStatementShape): string {
  const s = quoteIdentifier(schema);
  const events = `${s}.events`;
  const returning = shape.returnAll
    ? APPENDED_COLUMNS.map((column) => `${events}.${column}`).join(', ')
    : `${events}.stream_id, ${events}.version, ${events}.global_position`;
  return `with input as (
       select i.stream_id, i.stream_type, i.count, i.item
         from unnest($1::text[], $2::text[], $3::int[]) with ordinality as i(stream_id, stream_type, count, item)
     ), s as (
       insert into ${s}.streams as st (id, type, version, created_at, updated_at, last_transaction_id)
       select input.stream_id, input.stream_type, input.count, date_trunc('milliseconds', now()),
              date_trunc('milliseconds', now()), pg_current_xact_id()
         from input order by input.stream_id collate "C"
       ${shape.skipExisting ? 'on conflict (id) do nothing' : ''}
       returning st.id, st.type, st.version, st.created_at
     ), eventfold_appended as (
       insert into ${events} (stream_id, stream_type, version, event_id, type, data, metadata, occurred_at)
       select s.id, s.type, e.version, e.id::uuid, e.type, e.data, e.metadata, s.created_at
         from rows from (unnest($4::text[]), unnest($5::text[]), jsonb_array_elements($6::jsonb),
                         jsonb_array_elements($7::jsonb), unnest($8::int[]), unnest($9::int[]))
                with ordinality as e(id, type, data, metadata, item, version, ord)
         join input on input.item = e.item
         join s on s.id = input.stream_id
        order by e.ord
       returning ${returning}
     )${shape.writes ?? ''}
     select input.item::integer as item,
            (select string_agg(a.global_position::text, ',' order by a.version) from eventfold_appended a
              where a.stream_id = s.id) as positions,
            round(date_part('epoch', s.created_at) * 1000)::float8 as occurred_ms
       from input join s on s.id = input.stream_id
      order by input.item`;
}

const cache = new Map<string, StoreStatements>();

export function storeStatements(schema: string): StoreStatements {
  const cached = cache.get(schema);
  if (cached !== undefined) return cached;
  const s = quoteIdentifier(schema);
  const events = `${s}.events`;
  const statements: StoreStatements = {
    schema,
    append: preparedStatement(
      `select item, status, stream_version, stream_type, positions, round(date_part('epoch', occurred_at) * 1000)::float8 as occurred_ms
         from ${s}.append_events($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::jsonb, $8::jsonb, $9::text, $10::boolean)`,
    ),
    appendStream: preparedStatement(
      `select 1 as item, status, stream_version, stream_type, positions, round(date_part('epoch', occurred_at) * 1000)::float8 as occurred_ms
         from ${s}.append_stream($1::text, $2::text, $3::bigint, $4::text[], $5::text[], $6::jsonb, $7::jsonb, $8::text, $9::boolean)`,
    ),
    createStreams: preparedStatement(createStreamsSql(schema, { skipExisting: true, returnAll: false })),
    createStream: preparedStatement(createStreamSql(schema, { skipExisting: true, returnAll: false, oneEvent: false })),
    createStreamOneEvent: preparedStatement(createStreamSql(schema, { skipExisting: true, returnAll: false, oneEvent: true })),
    recordedByIds: preparedStatement(
      `select ${EVENT_COLUMNS}, (e.data = c.data::jsonb) as same_data
         from unnest($1::text[], $2::text[]) as c(id, data)
         join ${events} e on e.event_id = c.id::uuid`,
    ),
    streamForwards: preparedStatement(
      `select ${EVENT_COLUMNS} from ${events} e
        where e.stream_id = $1 and e.version >= $2 and e.version <= $3
          and ($4::timestamptz is null or e.occurred_at <= $4::timestamptz)
        order by e.version limit $5`,
    ),
    streamBackwards: preparedStatement(
      `select ${EVENT_COLUMNS} from ${events} e
        where e.stream_id = $1 and e.version >= $2 and e.version <= $3
          and ($4::timestamptz is null or e.occurred_at <= $4::timestamptz)
        order by e.version desc limit $5`,
    ),
    streamInfo: preparedStatement(
      `select id, type, version, created_at, updated_at from ${s}.streams where id = $1`,
    ),
    headPosition: preparedStatement(`select coalesce(max(global_position), 0)::text as head from ${events}`),
    feed: {
      all: feedStatement(events, 'all'),
      types: feedStatement(events, 'types'),
      streamTypes: feedStatement(events, 'streamTypes'),
      both: feedStatement(events, 'both'),
    },
    // A scalar subquery ordered like the feed index with LIMIT 1, so even a generic plan walks the
    // index from the checkpoint. (EXISTS would drop the ORDER BY and LIMIT; its generic plan then
    // estimates the row comparison loosely and may scan the whole table when nothing is readable.)
    hasReadableAfter: preparedStatement(
      `with ${HORIZON} select (
         select 1 from ${events} e where ${AFTER_CHECKPOINT} and ${READABLE}
          order by e.transaction_id, e.global_position limit 1) is not null as readable`,
    ),
    horizon: preparedStatement(horizonSql(events)),
    snapshotSave: preparedStatement(
      `insert into ${s}.snapshots as sn (stream_id, version, schema_version, state, taken_at)
       values ($1, $2, $3, $4::text::jsonb, now())
       on conflict (stream_id) do update
         set version = excluded.version, schema_version = excluded.schema_version,
             state = excluded.state, taken_at = excluded.taken_at`,
    ),
    snapshotLoad: preparedStatement(
      `select stream_id, version, schema_version, state, taken_at from ${s}.snapshots where stream_id = $1`,
    ),
    snapshotDelete: preparedStatement(`delete from ${s}.snapshots where stream_id = $1`),
    checkpointSave: preparedStatement(
      `insert into ${s}.checkpoints as cp (name, transaction_id, position, status, last_error, updated_at)
       values ($1, $2::bigint, $3::bigint, coalesce($4::text, 'running'), $5::text, now())
       on conflict (name) do update
         set transaction_id = excluded.transaction_id, position = excluded.position,
             status = coalesce($4::text, cp.status),
             last_error = case when $6::boolean then $5::text else cp.last_error end,
             updated_at = now()`,
    ),
    checkpointLoad: preparedStatement(
      `select name, transaction_id::text as transaction_id, position::text as position, status, last_error, updated_at
         from ${s}.checkpoints where name = $1`,
    ),
    checkpointDelete: preparedStatement(`delete from ${s}.checkpoints where name = $1`),
  };
  cache.set(schema, statements);
  return statements;
}

/** The event columns of a feed row selected from `x` (a scan that kept `transaction_id` as xid8). */
const FEED_COLUMNS = `x.id, x.stream_id, x.stream_type, x.version, x.global_position, x.type, x.data, x.metadata,
  x.occurred_ms, x.transaction_id::text as transaction_id`;

/**
 * `e.<column> = f.t` in the form the type feed indexes answer: their key is `hashtext(<column>)`
 * (see schema.ts), so the hash picks the index range and the name itself removes any other name
 * that shares the hash.
 */
const nameIsF = (column: 'type' | 'stream_type'): string => `hashtext(e.${column}) = hashtext(f.t) and e.${column} = f.t`;

/**
 * One page of the gap-safe feed after ($1, $2), at most $3 events (callers ask for limit + 1 to
 * learn whether more are readable), as rows in feed order after ONE leading info row (`id` null)
 * that carries the feed's state:
 * - `tail_*`: the last readable event of the whole feed, so a filtered read can move its checkpoint
 *   past the events it skipped;
 * - `newest_transaction_id` and `xmin`: when the newest committed event is at or above the horizon,
 *   events are waiting for older transactions to end (the caller may settle briefly and read again).
 * All of it comes from the statement's single snapshot, so nothing becomes readable in between.
 *
 * The events come straight off the feed index in order, with no sort (SQL does not promise a UNION
 * ALL's order, so the reader checks it and sorts the rare page that is not in order). Filtered
 * pages run one ordered index scan per requested type (LATERAL ... LIMIT), then merge: the cost is
 * O(types x limit) whatever the size of the log.
 */
function feedStatement(events: string, filter: 'all' | 'types' | 'streamTypes' | 'both'): Statement {
  const scan = (extra: string): string =>
    `select ${EVENT_COLUMNS}, e.transaction_id
       from ${events} e
      where ${AFTER_CHECKPOINT} and ${READABLE}${extra}
      order by e.transaction_id, e.global_position
      limit $3`;
  // $4 is the first list filter, $5 the second (only in 'both').
  const merged = (extra: string): string =>
    `select ${FEED_COLUMNS} from unnest($4::text[]) as f(t) cross join lateral (${scan(extra)}) x
      order by x.transaction_id, x.global_position limit $3`;
  const page =
    filter === 'all'
      ? `select ${FEED_COLUMNS} from (${scan('')}) x`
      : filter === 'types'
        ? merged(` and ${nameIsF('type')}`)
        : filter === 'streamTypes'
          ? merged(` and ${nameIsF('stream_type')}`)
          : merged(` and ${nameIsF('type')} and e.stream_type = any($5::text[])`);
  return preparedStatement(
    `with ${HORIZON}, tail as (
       select e.transaction_id::text as tail_transaction_id, e.global_position::text as tail_position
         from ${events} e where ${READABLE}
        order by e.transaction_id desc, e.global_position desc limit 1
     )
     select null::uuid as id, null::text as stream_id, null::text as stream_type, null::integer as version,
            null::bigint as global_position, null::text as type, null::jsonb as data, null::jsonb as metadata,
            null::float8 as occurred_ms, null::text as transaction_id,
            tail.tail_transaction_id, tail.tail_position,
            (select e.transaction_id::text from ${events} e
              order by e.transaction_id desc, e.global_position desc limit 1) as newest_transaction_id,
            (select horizon.bound::text from horizon) as xmin
       from (select 1) as one left join tail on true
     union all
     select p.*, null, null, null, null from (${page}) p`,
  );
}

function horizonSql(events: string): string {
  return `with ${HORIZON}, h as (select horizon.bound as xmin from horizon),
    waiting as (
      select count(*)::text as events_waiting,
             (extract(epoch from min(e.occurred_at)) * 1000)::float8 as oldest_waiting_ms
        from ${events} e, h where e.transaction_id >= h.xmin
    ),
    blocker as (
      select a.pid, a.datname::text as database, a.application_name, a.state,
             (extract(epoch from a.xact_start) * 1000)::float8 as started_ms,
             (extract(epoch from (clock_timestamp() - a.xact_start)) * 1000)::float8 as age_ms,
             false as prepared
        from pg_stat_activity a, h
       where a.backend_xid = h.xmin::xid
      union all
      select null, p.database::text, null, 'prepared', (extract(epoch from p.prepared) * 1000)::float8,
             (extract(epoch from (clock_timestamp() - p.prepared)) * 1000)::float8, true
        from pg_prepared_xacts p, h
       where p.transaction = h.xmin::xid
      limit 1
    )
    select h.xmin::text as xmin, waiting.events_waiting, waiting.oldest_waiting_ms, blocker.*
      from h cross join waiting left join blocker on true`;
}
