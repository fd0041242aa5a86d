import type { EventMetadata, RecordedEvent } from '@eventfold/shared-schema';
import type { ExpectedVersion } from './expected-version';

/** An event to append. `id` defaults to a fresh UUID; pass one to make retries idempotent. */
export interface NewEvent<TType extends string = string, TData = unknown> {
  readonly id?: string;
  readonly type: TType;
  readonly data: TData;
  readonly metadata?: EventMetadata;
}

export interface AppendOptions {
  /** Default `'any'`. */
  readonly expectedVersion?: ExpectedVersion;
  /**
   * The stream's type (its aggregate kind). Default: the part of the stream id before the first
   * `-` (`reservation-42` -> `reservation`), or the whole id when it has no `-`.
   * A stream keeps the type it was created with.
   */
  readonly streamType?: string;
}

export interface AppendResult {
  readonly streamId: string;
  readonly streamType: string;
  /** The stream's version after the append: pass it as the next `expectedVersion`. */
  readonly nextExpectedVersion: number;
  /** The recorded events, in order (for an idempotent retry: the events recorded the first time). */
  readonly events: readonly RecordedEvent[];
  /** True when every event id was already in the stream at the same positions, so nothing was written. */
  readonly idempotent: boolean;
}

export type ReadDirection = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Default `'forwards'`. */
  readonly direction?: ReadDirection;
  /** Lowest version to return, inclusive (default 1). */
  readonly fromVersion?: number;
  /** Highest version to return, inclusive (default: the last). */
  readonly toVersion?: number;
  /** Only events that occurred at or before this instant: the stream "as of" a time. */
  readonly asOf?: Date;
  /** At most this many events. */
  readonly limit?: number;
}

/**
 * A position in the global feed that a reader can resume after. For PostgreSQL it is the pair
 * (transaction id, global position); stores without transactions use `transactionId = position`.
 * Compare with {@link compareCheckpoints}; never compare positions alone.
 */
export interface GlobalCheckpoint {
  readonly transactionId: number;
  readonly position: number;
}

/** The checkpoint before the first event. */
export const START: GlobalCheckpoint = Object.freeze({ transactionId: 0, position: 0 });

export function compareCheckpoints(a: GlobalCheckpoint, b: GlobalCheckpoint): number {
  return a.transactionId - b.transactionId || a.position - b.position;
}

export interface ReadAllOptions {
  /** Return events strictly after this checkpoint (default {@link START}). */
  readonly after?: GlobalCheckpoint;
  /** Page size, default 500. */
  readonly limit?: number;
  /** Only these event types. The returned checkpoint still moves past skipped events. */
  readonly types?: readonly string[];
  /** Only these stream types. */
  readonly streamTypes?: readonly string[];
}

export interface ReadAllPage {
  /** Events after `after`, in the feed's order, all committed and none ever reordered later. */
  readonly events: readonly RecordedEvent[];
  /** Resume from here. Equals `after` when nothing new was readable. */
  readonly checkpoint: GlobalCheckpoint;
  /** True when the page was cut by `limit`: read again at once. */
  readonly hasMore: boolean;
  /**
   * True when events after `checkpoint` are already committed but this read could not return them
   * yet, because an older transaction is still open (PostgreSQL's read horizon): they arrive once
   * it ends. False when every committed event up to here was readable. Undefined when the store
   * cannot tell. A follower uses it to tell "caught up" from "held back". With `types` or
   * `streamTypes`, waiting events of any type count: true means "maybe", false is exact.
   */
  readonly heldBack?: boolean;
}

export interface WaitForEventsOptions {
  readonly signal?: AbortSignal;
  /** Resolve after this long even without news (polling fallback). Default 1000 ms. */
  readonly timeoutMs?: number;
}

export interface StreamInfo {
  readonly streamId: string;
  readonly streamType: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface TransactionScope {
  /** A store bound to the transaction: its appends commit or roll back with it. */
  readonly store: EventStore;
}

/** The event log. Every store (memory, PostgreSQL) keeps the semantics in ARCHITECTURE.md. */
export interface EventStore {
  /** Atomically append `events` to `streamId` if the stream matches `expectedVersion`. */
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** A stream's events; yields nothing for a stream that does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** One page of the global feed after a checkpoint. Gap-safe: never passes an uncommitted event. */
  readAll(options?: ReadAllOptions): Promise<ReadAllPage>;
  /** Current version of a stream, 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  streamExists(streamId: string): Promise<boolean>;
  streamInfo(streamId: string): Promise<StreamInfo | undefined>;
  /** The highest global position appended so far (0 when empty); for lag metrics. */
  headPosition(): Promise<number>;
  /**
   * Resolves when events may exist after `after` (a notification arrived), or when `timeoutMs`
   * passes, or when `signal` aborts. Callers then `readAll` again: wake-ups can be spurious.
   */
  waitForEvents(after: GlobalCheckpoint, options?: WaitForEventsOptions): Promise<void>;
  /** Run `fn` in one transaction: appends through `scope.store` commit or roll back together. */
  withTransaction<T>(fn: (scope: TransactionScope) => Promise<T>): Promise<T>;
}

export interface Snapshot<TState = unknown> {
  readonly streamId: string;
  /** The stream version the state was folded up to. */
  readonly version: number;
  readonly state: TState;
  /** Version of the state's shape; a snapshot with another version is ignored on load. */
  readonly schemaVersion: number;
  readonly takenAt: Date;
}

export interface SnapshotStore {
  save(snapshot: Omit<Snapshot, 'takenAt'>): Promise<void>;
  /** The latest snapshot of a stream, if any. */
  load(streamId: string): Promise<Snapshot | undefined>;
  delete(streamId: string): Promise<void>;
}

export type CheckpointStatus = 'running' | 'stopped' | 'failed' | 'rebuilding';

export interface StoredCheckpoint {
  readonly name: string;
  readonly checkpoint: GlobalCheckpoint;
  readonly status: CheckpointStatus;
  readonly lastError: string | null;
  readonly updatedAt: Date;
}

export interface CheckpointStore {
  load(name: string): Promise<StoredCheckpoint | undefined>;
  save(
    name: string,
    checkpoint: GlobalCheckpoint,
    options?: { readonly status?: CheckpointStatus; readonly lastError?: string | null },
  ): Promise<void>;
  delete(name: string): Promise<void>;
}
