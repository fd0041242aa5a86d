import {
  assertValidStreamId,
  InvalidArgumentError,
  parseWaitOptions,
  prepareAppend,
  type AppendOptions,
  type AppendResult,
  type AppendValidator,
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
import { planAppend } from './append';
import { CommitNotifier } from './commit-notifier';
import { EventLog, StagedWrites, type WriteView } from './event-log';
import { readFeedPage } from './read-all';
import { parseCheckpoint, parseReadAllOptions, parseReadStreamOptions } from './read-options';
import { selectStreamEvents } from './read-stream';
import { toRecordedEvent, type Upcast } from './recorded-event';
import { MemoryTransaction, TransactionFrames } from './transaction';
import { WriterLock } from './writer-lock';

/** An event catalog, optionally able to upcast old events on read. */
export interface MemoryEventCatalog extends AppendValidator {
  /** Brings a recorded event to the current shape of its type; applied to every event returned. */
  upcast?(event: RecordedEvent): RecordedEvent;
}

export interface MemoryEventStoreOptions {
  /** Validates every appended event (unknown types, schema failures) and upcasts events on read. */
  readonly catalog?: MemoryEventCatalog;
  /** Limit on each event's serialised data + metadata, in bytes. Default 1 MiB. */
  readonly maxEventBytes?: number;
  /** Source of `occurredAt`. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

/** Everything one memory store and its transactions share. */
interface StoreState {
  readonly log: EventLog;
  readonly lock: WriterLock;
  readonly notifier: CommitNotifier;
  readonly frames: TransactionFrames;
  readonly validation: { readonly catalog?: AppendValidator; readonly maxEventBytes?: number };
  readonly upcast: Upcast | undefined;
  readonly clock: () => Date;
}

/**
 * An in-memory EventStore with the same semantics as the PostgreSQL store: atomic appends,
 * expected-version checks, idempotent retries, a gap-safe global feed and isolated transactions.
 * State lives in this process only and is lost when it exits; use it for tests and prototypes.
 */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const { catalog, maxEventBytes, clock = () => new Date() } = options;
  if (maxEventBytes !== undefined && (!Number.isSafeInteger(maxEventBytes) || maxEventBytes < 1)) {
    throw new InvalidArgumentError(`Invalid maxEventBytes ${String(maxEventBytes)}: use a positive integer number of bytes.`);
  }
  if (typeof clock !== 'function') throw new InvalidArgumentError('Invalid clock: pass a function returning a Date.');
  return new MemoryEventStore({
    log: new EventLog(),
    lock: new WriterLock(),
    notifier: new CommitNotifier(),
    frames: new TransactionFrames(),
    validation: {
      ...(catalog === undefined ? {} : { catalog }),
      ...(maxEventBytes === undefined ? {} : { maxEventBytes }),
    },
    upcast: typeof catalog?.upcast === 'function' ? (event) => catalog.upcast?.(event) ?? event : undefined,
    clock,
  });
}

/**
 * The store itself (no `transaction`) or the store bound to one transaction (`scope.store`): reads
 * through a transaction see its own staged events, appends through it are staged until commit.
 */
class MemoryEventStore implements EventStore {
  constructor(
    private readonly state: StoreState,
    private readonly transaction?: MemoryTransaction,
  ) {}

  async append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    const prepared = prepareAppend(streamId, events, options, this.state.validation);
    this.state.frames.refuseSelfDeadlock(this.transaction);
    const transaction = this.transaction;
    if (transaction !== undefined) {
      await transaction.lockForWriting();
      return this.#stage(transaction.staged, prepared);
    }
    const release = await this.state.lock.acquire();
    try {
      const staged = new StagedWrites(this.state.log);
      const result = this.#stage(staged, prepared);
      this.state.log.commit(staged);
      if (staged.events.length > 0) this.state.notifier.notify();
      return result;
    } finally {
      release();
    }
  }

  async *readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    assertValidStreamId(streamId);
    const range = parseReadStreamOptions(options);
    const selected = selectStreamEvents(this.#view().stream(streamId), range);
    for (const event of selected) yield toRecordedEvent(event, this.state.upcast);
  }

  async readAll(options?: ReadAllOptions): Promise<ReadAllPage> {
    this.transaction?.assertOpen();
    // Reads the committed feed only, also inside a transaction: its own events join the feed at commit.
    const page = readFeedPage(this.state.log, parseReadAllOptions(options));
    return {
      events: page.events.map((event) => toRecordedEvent(event, this.state.upcast)),
      checkpoint: page.checkpoint,
      hasMore: page.hasMore,
      // Events join the feed when their transaction commits, in commit order: nothing waits behind
      // an open transaction here.
      heldBack: false,
    };
  }

  async streamVersion(streamId: string): Promise<number> {
    assertValidStreamId(streamId);
    return this.#view().stream(streamId)?.version ?? 0;
  }

  async streamExists(streamId: string): Promise<boolean> {
    return (await this.streamVersion(streamId)) > 0;
  }

  async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    assertValidStreamId(streamId);
    const stream = this.#view().stream(streamId);
    if (stream === undefined) return undefined;
    return {
      streamId,
      streamType: stream.streamType,
      version: stream.version,
      createdAt: new Date(stream.createdAt),
      updatedAt: new Date(stream.updatedAt),
    };
  }

  async headPosition(): Promise<number> {
    this.transaction?.assertOpen();
    return this.state.log.headPosition();
  }

  async waitForEvents(after: GlobalCheckpoint, options?: WaitForEventsOptions): Promise<void> {
    const from = parseCheckpoint(after);
    const { timeoutMs, signal } = parseWaitOptions(options);
    // Checked and registered in one synchronous step, so a commit cannot slip in between unseen.
    if (this.state.log.indexAfter(from) < this.state.log.feed.length) {
      if (signal?.aborted === true) throw signal.reason;
      return;
    }
    return this.state.notifier.wait(timeoutMs, signal);
  }

  async withTransaction<T>(fn: (scope: TransactionScope) => Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('withTransaction needs a function (scope) => Promise.');
    if (this.transaction !== undefined) return this.#savepoint(this.transaction, fn);
    const transaction = new MemoryTransaction(this.state.log, this.state.lock);
    const scope: TransactionScope = { store: new MemoryEventStore(this.state, transaction) };
    let result: T;
    try {
      result = await this.state.frames.run(transaction, () => fn(scope));
    } catch (error) {
      transaction.rollback();
      throw error;
    }
    if (transaction.commit()) this.state.notifier.notify();
    return result;
  }

  /** withTransaction on `scope.store` nests: a throw that leaves `fn` undoes only `fn`'s appends. */
  async #savepoint<T>(transaction: MemoryTransaction, fn: (scope: TransactionScope) => Promise<T>): Promise<T> {
    transaction.assertOpen();
    const mark = transaction.staged.mark();
    try {
      return await fn({ store: this });
    } catch (error) {
      transaction.staged.rollbackTo(mark);
      throw error;
    }
  }

  #view(): WriteView {
    if (this.transaction === undefined) return this.state.log;
    this.transaction.assertOpen();
    return this.transaction.staged;
  }

  #stage(staged: StagedWrites, prepared: PreparedAppend): AppendResult {
    const plan = planAppend(staged, this.state.log, prepared, this.#now());
    if (plan.kind === 'write') staged.stage(plan.events);
    return {
      streamId: prepared.streamId,
      streamType: plan.streamType,
      nextExpectedVersion: plan.events.at(-1)?.version ?? staged.stream(prepared.streamId)?.version ?? 0,
      events: plan.events.map((event) => toRecordedEvent(event, this.state.upcast)),
      idempotent: plan.kind === 'idempotent',
    };
  }

  #now(): number {
    const now = this.state.clock();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
      throw new InvalidArgumentError(`The store's clock returned ${String(now)}; it must return a valid Date.`);
    }
    return now.getTime();
  }
}
