import { compareCheckpoints, type GlobalCheckpoint } from '@eventfold/core';

/** An event as the memory store keeps it: JSON text, so nothing a caller holds can change it. */
export interface StoredEvent {
  readonly id: string;
  readonly streamId: string;
  readonly streamType: string;
  readonly version: number;
  readonly globalPosition: number;
  /** The commit that made the event visible; 0 while it is only staged. */
  transactionId: number;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string;
  /** Epoch milliseconds. */
  readonly occurredAt: number;
}

export interface StreamState {
  readonly streamType: string;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly events: readonly StoredEvent[];
}

/** What an append needs to see: the committed log, plus a transaction's own staged events. */
export interface WriteView {
  stream(streamId: string): StreamState | undefined;
  eventById(eventId: string): StoredEvent | undefined;
}

interface MutableStream {
  readonly streamType: string;
  readonly createdAt: number;
  updatedAt: number;
  readonly events: StoredEvent[];
}

export function checkpointOf(event: StoredEvent): GlobalCheckpoint {
  return { transactionId: event.transactionId, position: event.globalPosition };
}

/**
 * The committed state of a memory store. Only {@link EventLog.commit} changes it, and it runs while
 * the writer lock is held, so every commit is atomic and commits happen one at a time.
 */
export class EventLog implements WriteView {
  /** Committed events in commit order, which is also (transactionId, position) order. */
  readonly feed: StoredEvent[] = [];
  readonly #streams = new Map<string, MutableStream>();
  readonly #ids = new Map<string, StoredEvent>();
  #lastPosition = 0;
  #lastTransactionId = 0;

  stream(streamId: string): StreamState | undefined {
    const stream = this.#streams.get(streamId);
    return stream === undefined ? undefined : { ...stream, version: stream.events.length };
  }

  eventById(eventId: string): StoredEvent | undefined {
    return this.#ids.get(eventId);
  }

  /** Positions are taken like a database sequence: a rolled-back transaction leaves a hole. */
  nextPosition(): number {
    this.#lastPosition += 1;
    return this.#lastPosition;
  }

  headPosition(): number {
    return this.feed.at(-1)?.globalPosition ?? 0;
  }

  commit(staged: StagedWrites): void {
    if (staged.events.length === 0) return;
    this.#lastTransactionId += 1;
    for (const event of staged.events) {
      event.transactionId = this.#lastTransactionId;
      this.feed.push(event);
      this.#ids.set(event.id, event);
      const stream = this.#streams.get(event.streamId);
      if (stream === undefined) {
        this.#streams.set(event.streamId, {
          streamType: event.streamType,
          createdAt: event.occurredAt,
          updatedAt: event.occurredAt,
          events: [event],
        });
      } else {
        stream.events.push(event);
        stream.updatedAt = event.occurredAt;
      }
    }
  }

  /** Index of the first committed event after `after` in feed order. */
  indexAfter(after: GlobalCheckpoint): number {
    let low = 0;
    let high = this.feed.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const event = this.feed[middle];
      if (event !== undefined && compareCheckpoints(checkpointOf(event), after) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * A transaction's private overlay: events appended inside it, seen only through it, until commit.
 * Read through it, the store looks like the committed log with these events added.
 */
export class StagedWrites implements WriteView {
  #events: StoredEvent[] = [];
  #byStream = new Map<string, StoredEvent[]>();
  #ids = new Map<string, StoredEvent>();

  constructor(private readonly log: EventLog) {}

  get events(): readonly StoredEvent[] {
    return this.#events;
  }

  stream(streamId: string): StreamState | undefined {
    const committed = this.log.stream(streamId);
    const staged = this.#byStream.get(streamId);
    const first = staged?.[0];
    const last = staged?.at(-1);
    if (staged === undefined || first === undefined || last === undefined) return committed;
    const events = committed === undefined ? staged : [...committed.events.slice(0, committed.version), ...staged];
    return {
      streamType: committed?.streamType ?? first.streamType,
      version: events.length,
      createdAt: committed?.createdAt ?? first.occurredAt,
      updatedAt: last.occurredAt,
      events,
    };
  }

  eventById(eventId: string): StoredEvent | undefined {
    return this.#ids.get(eventId) ?? this.log.eventById(eventId);
  }

  stage(events: readonly StoredEvent[]): void {
    for (const event of events) {
      this.#events.push(event);
      this.#ids.set(event.id, event);
      const stream = this.#byStream.get(event.streamId);
      if (stream === undefined) this.#byStream.set(event.streamId, [event]);
      else stream.push(event);
    }
  }

  /** A savepoint: {@link StagedWrites.rollbackTo} it to drop what was staged after it. */
  mark(): number {
    return this.#events.length;
  }

  rollbackTo(mark: number): void {
    const kept = this.#events.slice(0, mark);
    this.#events = [];
    this.#byStream = new Map();
    this.#ids = new Map();
    this.stage(kept);
  }
}
