import {
  ConcurrencyError,
  DuplicateEventIdError,
  InvalidArgumentError,
  START,
  compareCheckpoints,
  matchesExpectedVersion,
  prepareAppend,
  type AppendOptions,
  type AppendResult,
  type AppendValidator,
  type ExpectedVersion,
  type EventStore,
  type GlobalCheckpoint,
  type NewEvent,
  type PreparedAppend,
  type ReadAllOptions,
  type ReadAllPage,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamInfo,
  type TransactionScope,
  type WaitForEventsOptions,
} from '@eventfold/core';
import {
  APPENDED,
  FEED_ORDER,
  appendParams,
  appendStreamParams,
  createdRow,
  createdRowOfItem,
  createStreamParams,
  isOneEvent,
  createStreamsParams,
  appendedResult,
  idsUsedRow,
  isEventIdRace,
  refusedResult,
  type AppendRow,
  appendRowOf,
} from './append';
import {
  batchable,
  createStreamWithWrites,
  createStreamsWithWrites,
  isStreamExistsError,
  parseAlongside,
  writesAfterAppend,
  type AlongsideWrites,
  type CreateWithWrites,
} from './alongside';
import { Coalescer, parseCoalesceOptions, type CoalesceOptions } from './coalescer';
import type { SQL } from 'drizzle-orm';
import { sqlClientOf, type EventfoldDatabase, type SqlClient, type TransactionOf } from './driver';
import { FeedOrderConflictError, StoreClosedError } from './errors';
import { readHorizon, type ReadHorizon } from './horizon';
import { silentLogger, type Logger } from './logger';
import { FeedSignal, NOTIFY_INTERVAL_MS, notificationChannel } from './notifications';
import {
  DEFAULT_STREAM_PAGE_SIZE,
  pageSize,
  parseCheckpoint,
  parseReadAllOptions,
  parseReadStreamOptions,
  parseWaitOptions,
  positiveInteger,
  stringList,
} from './read-options';
import { feedRowCheckpoint, isHeldBack, splitFeedRows, type FeedInfoRow, type FeedStatementRow } from './feed-rows';
import { toRecordedEvent, type Upcast } from './recorded-event';
import { DEFAULT_SCHEMA, assertValidSchemaName } from './schema-name';
import { storeStatements, type StoreStatements } from './statements';
import { assertStorableAppend, assertStorableStreamId } from './text-values';

/** An event catalog (e.g. from `@eventfold/shared-schema`): validates appends, optionally upcasts reads. */
export interface PostgresEventCatalog extends AppendValidator {
  upcast?(event: RecordedEvent): RecordedEvent;
}

export interface PostgresEventStoreOptions<TDb extends EventfoldDatabase = EventfoldDatabase> {
  /** A Drizzle database or transaction on node-postgres or PGlite. */
  readonly db: TDb;
  /** Postgres schema holding the tables (see `migrate`). Default `'eventfold'`. */
  readonly schema?: string;
  /** Validates every appended event before anything is written; upcasts events on read. */
  readonly catalog?: PostgresEventCatalog;
  /** Limit on each event's serialised data + metadata, in bytes. Default 1 MiB. */
  readonly maxEventBytes?: number;
  /**
   * Merge concurrent appends from different callers into one statement and one commit. Each caller
   * still gets its own result or error. Off by default; ignored on a transaction-bound store.
   */
  readonly coalesce?: boolean | CoalesceOptions;
  /** Send NOTIFY after appends so other processes' readers wake at once. Default true. */
  readonly notify?: boolean;
  /**
   * The least time from one NOTIFY to the next, in ms (appends meanwhile share one). Readers in
   * other processes wake at most this much later; each NOTIFY is a round trip and a small
   * transaction. Readers in this process are woken at once regardless. Default 3.
   */
  readonly notifyIntervalMs?: number;
  /**
   * Longest time `readAll` waits for open transactions ahead of already committed events to end
   * before it returns without them, in ms. Default 250; 0 returns at once. See `horizon()`.
   */
  readonly settleMs?: number;
  /** pino-compatible structured logger. Default: silent. */
  readonly logger?: Logger;
}

export interface PostgresAppendOptions extends AppendOptions {
  /**
   * Your writes (Drizzle `sql` insert, update or delete statements) that commit with this append or
   * not at all: an inline read model, a uniqueness guard. They read the append's events from the
   * relation `appended` (event_id, stream_id, stream_type, version, global_position, type, data,
   * metadata, occurred_at). A write that fails fails the append, and nothing is written.
   *
   * When the append creates its stream outside a transaction, the append and the writes are one
   * statement (one round trip); with `coalesce`, concurrent such creates share one statement. Otherwise
   * they run in one transaction. They run only when this call appends: not for an idempotent retry,
   * nor for an empty event list.
   */
  readonly alongside?: AlongsideWrites;
}

/** A page of the feed, with the checkpoint right after each of its events. */
export interface PostgresReadAllPage extends ReadAllPage {
  /** `checkpoints[i]` resumes right after `events[i]`. */
  readonly checkpoints: readonly GlobalCheckpoint[];
}

export interface FeedReadOptions {
  /** Start strictly after this checkpoint. Default: the beginning. */
  readonly after?: GlobalCheckpoint;
  /** Events fetched per query. Default 500. */
  readonly pageSize?: number;
}

export interface ReadAllEventsOptions extends FeedReadOptions {
  readonly types?: readonly string[];
  readonly streamTypes?: readonly string[];
}

export interface SubscribeOptions {
  /** Start strictly after this checkpoint. Default: the beginning. */
  readonly after?: GlobalCheckpoint;
  readonly types?: readonly string[];
  readonly streamTypes?: readonly string[];
  /** Events per page. Default 500. */
  readonly batchSize?: number;
  /** Ends the iteration (without an error). */
  readonly signal?: AbortSignal;
  /** Longest wait between reads when no notification arrives. Default 1000 ms. */
  readonly pollIntervalMs?: number;
}

export interface PostgresTransactionScope<TTx extends EventfoldDatabase> extends TransactionScope {
  /** A store bound to the transaction: its appends commit or roll back with it. */
  readonly store: PostgresEventStore<TTx>;
  /** The Drizzle transaction, for your own writes (read models, checkpoints) in the same commit. */
  readonly tx: TTx;
}

/** The PostgreSQL event store: core's `EventStore` plus feed subscriptions, streaming reads and diagnostics. */
export interface PostgresEventStore<TDb extends EventfoldDatabase = EventfoldDatabase> extends EventStore {
  readonly schema: string;
  readonly db: TDb;
  /** core's append, plus {@link PostgresAppendOptions.alongside}: your writes in the same commit. */
  append(streamId: string, events: readonly NewEvent[], options?: PostgresAppendOptions): Promise<AppendResult>;
  readAll(options?: ReadAllOptions): Promise<PostgresReadAllPage>;
  /**
   * Runs `fn` in one transaction. Appends through `scope.store` and writes through `scope.tx` commit
   * or roll back together. On a transaction-bound store it nests as a savepoint of the same transaction.
   */
  withTransaction<T>(fn: (scope: PostgresTransactionScope<TransactionOf<TDb>>) => Promise<T>): Promise<T>;
  /** Follows the feed forever: yields each page with events (or a moved checkpoint), waits when caught up. */
  subscribe(options?: SubscribeOptions): AsyncIterable<PostgresReadAllPage>;
  /** Every readable event after `after`, in feed order, page by page; ends at the readable head. */
  readAllEvents(options?: ReadAllEventsOptions): AsyncIterable<RecordedEvent>;
  /** Like readAllEvents, only events of these types. */
  readByType(types: string | readonly string[], options?: FeedReadOptions): AsyncIterable<RecordedEvent>;
  /** Like readAllEvents, only events of streams of these types. */
  readByStreamType(streamTypes: string | readonly string[], options?: FeedReadOptions): AsyncIterable<RecordedEvent>;
  /** How far the oldest open transaction holds readers back. */
  horizon(): Promise<ReadHorizon>;
  /** Stops the listener and the coalescer (after pending appends finish). Does not end your pool. */
  close(): Promise<void>;
}

/** What one store and every transaction-bound store made from it share. */
interface StoreShared {
  readonly schema: string;
  readonly statements: StoreStatements;
  readonly validation: { readonly catalog?: AppendValidator; readonly maxEventBytes?: number };
  readonly upcast: Upcast | undefined;
  readonly logger: Logger;
  readonly channel: string;
  readonly notify: boolean;
  readonly settleMs: number;
  readonly signal: FeedSignal;
  closed: boolean;
}

/** How a store's appends reach other readers. */
type CommitTracking =
  /** Autocommit: each append is committed when it returns; signal at once. */
  | { readonly kind: 'autocommit' }
  /** Inside withTransaction: signal when the outermost transaction commits. */
  | { readonly kind: 'deferred'; readonly onAppend: () => void }
  /** Inside a transaction someone else commits: NOTIFY inside it (delivered at its commit). */
  | { readonly kind: 'in-transaction' };

const DEFAULT_SETTLE_MS = 250;
const MAX_APPEND_ATTEMPTS = 5;

/**
 * Creates the PostgreSQL event store on a Drizzle database or transaction (node-postgres or PGlite).
 * Run {@link migrate} once first. Validation happens before any SQL runs.
 */
export function createPostgresEventStore<TDb extends EventfoldDatabase>(
  options: PostgresEventStoreOptions<TDb>,
): PostgresEventStore<TDb> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('createPostgresEventStore needs an options object { db, schema?, ... }.');
  }
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertValidSchemaName(schema);
  const client = sqlClientOf(options.db);
  const { catalog, maxEventBytes } = options;
  if (maxEventBytes !== undefined && (!Number.isSafeInteger(maxEventBytes) || maxEventBytes < 1)) {
    throw new InvalidArgumentError(`Invalid maxEventBytes ${String(maxEventBytes)}: use a positive integer number of bytes.`);
  }
  const notify = options.notify ?? true;
  if (typeof notify !== 'boolean') throw new InvalidArgumentError(`Invalid notify ${String(notify)}: use true or false.`);
  const notifyIntervalMs = options.notifyIntervalMs ?? NOTIFY_INTERVAL_MS;
  if (typeof notifyIntervalMs !== 'number' || !Number.isSafeInteger(notifyIntervalMs) || notifyIntervalMs < 0 || notifyIntervalMs > 60_000) {
    throw new InvalidArgumentError(`Invalid notifyIntervalMs ${String(notifyIntervalMs)}: use an integer number of ms from 0 to 60000.`);
  }
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  if (typeof settleMs !== 'number' || !Number.isSafeInteger(settleMs) || settleMs < 0 || settleMs > 60_000) {
    throw new InvalidArgumentError(`Invalid settleMs ${String(settleMs)}: use an integer number of ms from 0 to 60000.`);
  }
  const logger = options.logger ?? silentLogger;
  const coalesce = parseCoalesceOptions(options.coalesce);
  const channel = notificationChannel(schema);
  const shared: StoreShared = {
    schema,
    statements: storeStatements(schema),
    validation: {
      ...(catalog === undefined ? {} : { catalog }),
      ...(maxEventBytes === undefined ? {} : { maxEventBytes }),
    },
    upcast: typeof catalog?.upcast === 'function' ? (event) => catalog.upcast?.(event) ?? event : undefined,
    logger,
    channel,
    notify,
    settleMs,
    signal: new FeedSignal(channel, client.inTransaction ? undefined : client, client.listenSource, logger, notify, notifyIntervalMs),
    closed: false,
  };
  const tracking: CommitTracking = client.inTransaction ? { kind: 'in-transaction' } : { kind: 'autocommit' };
  return new PgEventStore<TDb>(shared, options.db, client, tracking, coalesce === undefined || client.inTransaction ? undefined : coalesce, true);
}

class PgEventStore<TDb extends EventfoldDatabase> implements PostgresEventStore<TDb> {
  readonly #coalescer: Coalescer<PreparedAppend, AppendRow> | undefined;
  /** Creates with `alongside` writes, merged into one statement (and one commit) per batch. */
  readonly #createCoalescer: Coalescer<CreateWithWrites, AppendResult> | undefined;

  constructor(
    private readonly shared: StoreShared,
    readonly db: TDb,
    private readonly client: SqlClient,
    private readonly tracking: CommitTracking,
    coalesce: ReturnType<typeof parseCoalesceOptions>,
    /** False for the stores withTransaction hands out: closing them closes nothing. */
    private readonly root: boolean,
  ) {
    this.#coalescer =
      coalesce === undefined
        ? undefined
        : new Coalescer<PreparedAppend, AppendRow>(
            coalesce,
            {
              keyOf: (item) => item.streamId,
              runBatch: (items) => this.#runAppendStatement(items),
              runOne: (item) => this.#appendAlone(item),
            },
            shared.logger,
          );
    this.#createCoalescer =
      coalesce === undefined
        ? undefined
        : new Coalescer<CreateWithWrites, AppendResult>(
            coalesce,
            {
              keyOf: (item) => item.prepared.streamId,
              runBatch: (items) => this.#createStreamsWithWrites(items),
              runOne: (item) => this.#appendWithWritesAlone(item.prepared, item.writes),
            },
            shared.logger,
          );
  }

  get schema(): string {
    return this.shared.schema;
  }

  async append(streamId: string, events: readonly NewEvent[], options?: PostgresAppendOptions): Promise<AppendResult> {
    this.#assertOpen('append');
    const prepared = prepareAppend(streamId, events, options, this.shared.validation);
    assertStorableAppend(prepared);
    const writes = parseAlongside(options?.alongside);
    if (prepared.events.length === 0) return this.#appendNothing(prepared);
    if (writes.length > 0) return this.#appendWithWrites(prepared, writes);
    return this.#appendPrepared(prepared);
  }

  async #appendPrepared(prepared: PreparedAppend): Promise<AppendResult> {
    for (let attempt = 1; ; attempt += 1) {
      let row = this.#coalescer === undefined ? await this.#appendAlone(prepared) : await this.#coalescer.submit(prepared);
      // A batch item refused for feed order runs again on its own (in a new, younger transaction).
      if (row.status === FEED_ORDER) row = await this.#appendAlone(prepared);
      if (row.status === APPENDED) {
        this.#committed();
        return appendedResult(prepared, row);
      }
      const result = await refusedResult(this.client, this.shared.statements, prepared, row, {
        idsChecked: this.client.inTransaction,
        upcast: this.shared.upcast,
      });
      if (result !== 'retry') return result;
      // The ids collided with a transaction that then rolled back: nothing holds them any more.
      if (attempt >= MAX_APPEND_ATTEMPTS) throw new DuplicateEventIdError(prepared.events[0]?.id ?? '', prepared.streamId);
    }
  }

  /**
   * An append with `alongside` writes. A create outside a transaction is one statement; when its
   * stream exists or an event id is used, it wrote nothing, and the transaction below reports the
   * conflict or recognises the retry.
   */
  async #appendWithWrites(prepared: PreparedAppend, writes: readonly SQL[]): Promise<AppendResult> {
    if (this.#createCoalescer !== undefined && createsStream(prepared.expectedVersion) && batchable(writes)) {
      return this.#createCoalescer.submit({ prepared, writes });
    }
    return this.#appendWithWritesAlone(prepared, writes);
  }

  /**
   * A batch of creates with writes as one statement. When it fails (a stream exists, an id is used,
   * a write is refused), nothing of it was written, and the coalescer runs each append alone.
   */
  async #createStreamsWithWrites(items: readonly CreateWithWrites[]): Promise<readonly AppendResult[]> {
    const statement = createStreamsWithWrites(this.shared.schema, items);
    const rows = await this.client.queryText(statement.statement, statement.params);
    if (rows.length !== items.length) throw new Error(`a batch of ${items.length} creates returned ${rows.length} rows`);
    this.#committed();
    const prepared = items.map((item) => item.prepared);
    return rows.map((row, index) => {
      const created = createdRowOfItem(prepared, row);
      if (created.item !== index + 1) throw new Error(`a batch of ${items.length} creates returned item ${created.item} in place ${index + 1}`);
      return appendedResult(prepared[index] as PreparedAppend, created);
    });
  }

  async #appendWithWritesAlone(prepared: PreparedAppend, writes: readonly SQL[]): Promise<AppendResult> {
    const { schema } = this.shared;
    if (!this.client.inTransaction && createsStream(prepared.expectedVersion)) {
      const statement = createStreamWithWrites(schema, prepared, writes);
      try {
        const [row] = await this.client.queryText(statement.statement, statement.params);
        if (row === undefined) throw new Error('the create statement returned no row');
        this.#committed();
        return appendedResult(prepared, createdRow(prepared, 1, row[0], row[1]));
      } catch (error) {
        if (!isStreamExistsError(error, schema) && !isEventIdRace(error)) throw error;
      }
    }
    if (this.client.inTransaction) return this.#appendThenWrite(prepared, writes);
    return this.withTransaction(async (scope) => (scope.store as unknown as PgEventStore<EventfoldDatabase>).#appendThenWrite(prepared, writes));
  }

  /** In a transaction: the append, then (unless it was an idempotent retry) the writes as one statement. */
  async #appendThenWrite(prepared: PreparedAppend, writes: readonly SQL[]): Promise<AppendResult> {
    const result = await this.#appendPrepared(prepared);
    if (result.idempotent) return result;
    const positions = result.events.map((event) => event.globalPosition);
    const statement = writesAfterAppend(this.shared.schema, positions, writes);
    await this.client.query(statement.statement, statement.params);
    return result;
  }

  /**
   * One append as its own statement. Outside a transaction, a feed-order refusal is retried in a new
   * (younger) transaction, and a used event id (a unique violation: ids are not looked up first
   * there) comes back as status 1 for the caller to sort out.
   */
  async #appendAlone(prepared: PreparedAppend): Promise<AppendRow> {
    for (let attempt = 1; ; attempt += 1) {
      let row: AppendRow | undefined;
      try {
        [row] = await this.#runAppendStatement([prepared]);
      } catch (error) {
        if (!isEventIdRace(error)) throw error;
        // Inside a transaction (ids were looked up first) only a concurrent, uncommitted append can
        // collide; the transaction is aborted now and the caller must roll back.
        if (this.client.inTransaction) throw new DuplicateEventIdError(prepared.events[0]?.id ?? '', prepared.streamId);
        return idsUsedRow(prepared);
      }
      if (row === undefined) throw new Error('append_stream returned no row');
      if (row.status !== FEED_ORDER) return row;
      if (this.client.inTransaction || attempt >= MAX_APPEND_ATTEMPTS) {
        throw new FeedOrderConflictError(prepared.streamId, prepared.expectedVersion, row.stream_version);
      }
      this.shared.logger.debug({ streamId: prepared.streamId, attempt }, 'append retried: a younger transaction wrote the stream first');
    }
  }

  async #runAppendStatement(items: readonly PreparedAppend[]): Promise<readonly AppendRow[]> {
    const channel = this.tracking.kind === 'in-transaction' && this.shared.notify ? this.shared.channel : null;
    // In a caller's transaction a failing statement would abort it: look used ids up first there.
    const checkIds = this.client.inTransaction;
    if (channel === null && !checkIds && items.every((item) => createsStream(item.expectedVersion))) return this.#createStreams(items);
    return this.#runAppendFunction(items, channel, checkIds);
  }

  /** append_stream for one append, append_events for several. */
  async #runAppendFunction(items: readonly PreparedAppend[], channel: string | null, checkIds: boolean): Promise<readonly AppendRow[]> {
    const [only] = items;
    if (items.length === 1 && only !== undefined) {
      return (await this.client.queryText(this.shared.statements.appendStream, appendStreamParams(only, channel, checkIds))).map(appendRowOf);
    }
    return (await this.client.queryText(this.shared.statements.append, appendParams(items, channel, checkIds))).map(appendRowOf);
  }

  /**
   * Appends that create their streams, outside a transaction, as one plain statement (no PL/pgSQL).
   * Items whose stream already exists were not written: they run through the functions (which
   * report the conflict, or sort out an identical retry), and every item's row comes back in order.
   */
  async #createStreams(items: readonly PreparedAppend[]): Promise<readonly AppendRow[]> {
    const [only] = items;
    const { statements } = this.shared;
    const created: AppendRow[] = [];
    if (items.length === 1 && only !== undefined) {
      const statement = isOneEvent(only) ? statements.createStreamOneEvent : statements.createStream;
      const [row] = await this.client.queryText(statement, createStreamParams(only));
      if (row !== undefined) created.push(createdRow(only, 1, row[0], row[1]));
    } else {
      for (const row of await this.client.queryText(statements.createStreams, createStreamsParams(items))) created.push(createdRowOfItem(items, row));
    }
    if (created.length === items.length) return created;
    const byItem = new Map(created.map((row) => [Number(row.item), row]));
    const rest = items.filter((_, index) => !byItem.has(index + 1));
    const restRows = await this.#runAppendFunction(rest, null, false);
    let next = 0;
    return items.map((_, index) => {
      const row = byItem.get(index + 1) ?? restRows[next++];
      if (row === undefined) throw new Error(`append batch returned no row for item ${index + 1}`);
      return row;
    });
  }

  async #appendNothing(prepared: PreparedAppend): Promise<AppendResult> {
    const info = await this.streamInfo(prepared.streamId);
    const actual = info?.version ?? 0;
    if (!matchesExpectedVersion(prepared.expectedVersion, actual)) {
      throw new ConcurrencyError(prepared.streamId, prepared.expectedVersion, actual);
    }
    return {
      streamId: prepared.streamId,
      streamType: info?.streamType ?? prepared.streamType,
      nextExpectedVersion: actual,
      events: [],
      idempotent: false,
    };
  }

  #committed(): void {
    if (this.tracking.kind === 'autocommit') this.shared.signal.committed();
    else if (this.tracking.kind === 'deferred') this.tracking.onAppend();
  }

  async *readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    assertStorableStreamId(streamId);
    const range = parseReadStreamOptions(options);
    this.#assertOpen('read a stream');
    const statement = range.direction === 'forwards' ? this.shared.statements.streamForwards : this.shared.statements.streamBackwards;
    let from = range.fromVersion;
    let to = range.toVersion;
    let remaining = range.limit;
    while (remaining > 0 && from <= to) {
      const size = Math.min(DEFAULT_STREAM_PAGE_SIZE, remaining);
      // One row more than the page tells whether another page exists, without an extra query.
      const rows = await this.client.queryArrays(statement, [streamId, from, to, range.asOf ?? null, size + 1]);
      const page = rows.length > size ? rows.slice(0, size) : rows;
      for (const row of page) yield toRecordedEvent(row, this.shared.upcast);
      remaining -= page.length;
      // The stored version (column 3), whatever an upcaster made of the event.
      const lastVersion = page.at(-1)?.[3];
      if (rows.length <= size || typeof lastVersion !== 'number') return;
      if (range.direction === 'forwards') from = lastVersion + 1;
      else to = lastVersion - 1;
    }
  }

  async readAll(options?: ReadAllOptions): Promise<PostgresReadAllPage> {
    const query = parseReadAllOptions(options);
    this.#assertOpen('read the feed');
    const { statements } = this.shared;
    const { types, streamTypes, after, limit } = query;
    if ((types !== undefined && types.length === 0) || (streamTypes !== undefined && streamTypes.length === 0)) {
      // Nothing can match; still move past every readable event, as a filtered read does.
      return this.#readFiltered(statements.feed.types, [[]], after, limit);
    }
    if (types === undefined && streamTypes === undefined) return this.#readFiltered(statements.feed.all, [], after, limit);
    if (streamTypes === undefined) return this.#readFiltered(statements.feed.types, [types], after, limit);
    if (types === undefined) return this.#readFiltered(statements.feed.streamTypes, [streamTypes], after, limit);
    return this.#readFiltered(statements.feed.both, [types, streamTypes], after, limit);
  }

  async #readFiltered(
    statement: StoreStatements['feed']['all'],
    filters: readonly unknown[],
    after: GlobalCheckpoint,
    limit: number,
  ): Promise<PostgresReadAllPage> {
    const params = [String(after.transactionId), after.position, limit + 1, ...filters];
    const settleUntil = Date.now() + this.shared.settleMs;
    let waitingFor: number | undefined;
    for (let attempt = 0; ; attempt += 1) {
      const rows = await this.client.queryArrays(statement, params);
      const { info, events } = splitFeedRows(rows);
      const page = this.#toPage(info, events, after, limit);
      // Committed events wait behind an older open transaction: usually one about to commit. Read
      // again shortly (bounded by settleMs) so a reader sees what committed before it looked.
      // Never inside a transaction: its own snapshot cannot move.
      if (page.hasMore || this.client.inTransaction || info === undefined || info.newest_transaction_id === null) return page;
      const newest = Number(info.newest_transaction_id);
      const xmin = Number(info.xmin);
      waitingFor ??= newest;
      if (xmin > waitingFor || Date.now() >= settleUntil) return page;
      await sleep(Math.min(2 ** attempt, 50, Math.max(1, settleUntil - Date.now())));
    }
  }

  #toPage(info: FeedInfoRow | undefined, eventRows: readonly FeedStatementRow[], after: GlobalCheckpoint, limit: number): PostgresReadAllPage {
    const hasMore = eventRows.length > limit;
    const pageRows = hasMore ? eventRows.slice(0, limit) : eventRows;
    const events = pageRows.map((row) => toRecordedEvent(row, this.shared.upcast));
    const checkpoints = pageRows.map(feedRowCheckpoint);
    let checkpoint = checkpoints.at(-1) ?? after;
    if (!hasMore && info !== undefined && info.tail_transaction_id !== null && info.tail_position !== null) {
      // Everything readable up to the tail was scanned: move past events the filters skipped.
      const tail = { transactionId: Number(info.tail_transaction_id), position: Number(info.tail_position) };
      if (compareCheckpoints(tail, checkpoint) > 0) checkpoint = tail;
    }
    const heldBack = isHeldBack(info);
    return { events, checkpoint, hasMore, ...(heldBack === undefined ? {} : { heldBack }), checkpoints };
  }

  async *readAllEvents(options?: ReadAllEventsOptions): AsyncIterable<RecordedEvent> {
    const types = stringList('types', options?.types);
    const streamTypes = stringList('streamTypes', options?.streamTypes);
    let after = parseCheckpoint(options?.after ?? START);
    const limit = pageSize('pageSize', options?.pageSize);
    for (;;) {
      const page = await this.readAll({
        after,
        ...(limit === undefined ? {} : { limit }),
        ...(types === undefined ? {} : { types }),
        ...(streamTypes === undefined ? {} : { streamTypes }),
      });
      for (const event of page.events) yield event;
      if (!page.hasMore) return;
      after = page.checkpoint;
    }
  }

  readByType(types: string | readonly string[], options?: FeedReadOptions): AsyncIterable<RecordedEvent> {
    return this.readAllEvents({ ...options, types: typeof types === 'string' ? [types] : types });
  }

  readByStreamType(streamTypes: string | readonly string[], options?: FeedReadOptions): AsyncIterable<RecordedEvent> {
    return this.readAllEvents({ ...options, streamTypes: typeof streamTypes === 'string' ? [streamTypes] : streamTypes });
  }

  async *subscribe(options: SubscribeOptions = {}): AsyncIterable<PostgresReadAllPage> {
    let after = parseCheckpoint(options.after ?? START);
    const types = stringList('types', options.types);
    const streamTypes = stringList('streamTypes', options.streamTypes);
    const limit = pageSize('batchSize', options.batchSize);
    const pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs) ?? 1000;
    const { signal } = options;
    while (signal?.aborted !== true && !this.shared.closed) {
      const page = await this.readAll({
        after,
        ...(limit === undefined ? {} : { limit }),
        ...(types === undefined ? {} : { types }),
        ...(streamTypes === undefined ? {} : { streamTypes }),
      });
      if (page.events.length > 0 || compareCheckpoints(page.checkpoint, after) !== 0) {
        yield page;
        after = page.checkpoint;
      }
      if (page.hasMore) continue;
      try {
        await this.waitForEvents(after, { timeoutMs: pollIntervalMs, ...(signal === undefined ? {} : { signal }) });
      } catch (error) {
        // The loop condition narrowed `aborted`; it may have changed while waiting.
        if (isAborted(signal) || this.shared.closed) return;
        throw error;
      }
    }
  }

  async streamVersion(streamId: string): Promise<number> {
    return (await this.streamInfo(streamId))?.version ?? 0;
  }

  async streamExists(streamId: string): Promise<boolean> {
    return (await this.streamVersion(streamId)) > 0;
  }

  async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    assertStorableStreamId(streamId);
    this.#assertOpen('read a stream');
    const [row] = await this.client.query<{ id: string; type: string; version: number; created_at: Date; updated_at: Date }>(
      this.shared.statements.streamInfo,
      [streamId],
    );
    if (row === undefined) return undefined;
    return { streamId: row.id, streamType: row.type, version: row.version, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  async headPosition(): Promise<number> {
    this.#assertOpen('read the head position');
    const [row] = await this.client.query<{ head: string }>(this.shared.statements.headPosition);
    return Number(row?.head ?? 0);
  }

  async waitForEvents(after: GlobalCheckpoint, options?: WaitForEventsOptions): Promise<void> {
    const from = parseCheckpoint(after);
    const { timeoutMs, signal } = parseWaitOptions(options);
    this.#assertOpen('wait for events');
    if (signal?.aborted === true) throw abortReason(signal);
    // Register first, then look: an append committing in between still wakes this waiter.
    const waiter = await this.shared.signal.prepareWait();
    try {
      const [row] = await this.client.query<{ readable: boolean }>(this.shared.statements.hasReadableAfter, [
        String(from.transactionId),
        from.position,
      ]);
      if (row?.readable === true) {
        waiter.dispose();
        return;
      }
    } catch (error) {
      waiter.dispose();
      throw error;
    }
    return waiter.wait(timeoutMs, signal);
  }

  async withTransaction<T>(fn: (scope: PostgresTransactionScope<TransactionOf<TDb>>) => Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('withTransaction needs a function ({ store, tx }) => Promise.');
    this.#assertOpen('start a transaction');
    if (this.client.inTransaction) {
      // Already in a transaction: nest as a savepoint of it; commit tracking stays the outer one's.
      return this.db.transaction(async (tx: TransactionOf<TDb>) => fn({ store: this.#bound(tx, this.tracking), tx }));
    }
    let appended = false;
    const tracking: CommitTracking = {
      kind: 'deferred',
      onAppend: () => {
        appended = true;
      },
    };
    const result = (await this.db.transaction(async (tx: TransactionOf<TDb>) => fn({ store: this.#bound(tx, tracking), tx }))) as T;
    if (appended) this.shared.signal.committed();
    return result;
  }

  #bound<TTx extends EventfoldDatabase>(tx: TTx, tracking: CommitTracking): PgEventStore<TTx> {
    return new PgEventStore<TTx>(this.shared, tx, sqlClientOf(tx), tracking, undefined, false);
  }

  async horizon(): Promise<ReadHorizon> {
    this.#assertOpen('read the horizon');
    return readHorizon(this.client, this.shared.statements);
  }

  async close(): Promise<void> {
    if (!this.root || this.shared.closed) return;
    await Promise.all([this.#coalescer?.drain(), this.#createCoalescer?.drain()]);
    this.shared.closed = true;
    await this.shared.signal.close();
  }

  #assertOpen(operation: string): void {
    if (this.shared.closed) throw new StoreClosedError(operation);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The wait was aborted.', 'AbortError');
}

/** Expected versions that only a new stream satisfies. */
function createsStream(expected: ExpectedVersion): boolean {
  return expected === 'no_stream' || expected === 0;
}
