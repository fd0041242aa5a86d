import type { EventStore, GlobalCheckpoint } from '@eventfold/core';
import { expect } from 'vitest';
import {
  CONFORMANCE_MAX_EVENT_BYTES,
  createConformanceCatalog,
  FeedHeads,
  readFeedToEnd,
  readStream,
  type MakeEventStore,
} from './fixtures';

/** What every group of event store cases gets: the stores under test and shared assertions. */
export class EventStoreHarness {
  readonly #heads = new FeedHeads();
  #store: EventStore | undefined;
  #catalogStore: Promise<EventStore> | undefined;
  #limitedStore: Promise<EventStore> | undefined;

  constructor(private readonly makeStore: MakeEventStore) {}

  async setUp(): Promise<void> {
    this.#store = await this.makeStore({});
  }

  /** The store most cases share (made once, with no catalog and the default size limit). */
  get store(): EventStore {
    if (this.#store === undefined) throw new Error('The conformance store is not set up yet (beforeAll failed?).');
    return this.#store;
  }

  /** A store made with the conformance catalog (see createConformanceCatalog). */
  catalogStore(): Promise<EventStore> {
    this.#catalogStore ??= Promise.resolve(this.makeStore({ catalog: createConformanceCatalog() }));
    return this.#catalogStore;
  }

  /** A store made with `maxEventBytes: 1024`. */
  limitedStore(): Promise<EventStore> {
    this.#limitedStore ??= Promise.resolve(this.makeStore({ maxEventBytes: CONFORMANCE_MAX_EVENT_BYTES }));
    return this.#limitedStore;
  }

  /** The end of the store's feed now: later reads after it see only this test's events. */
  head(store: EventStore = this.store): Promise<GlobalCheckpoint> {
    return this.#heads.headOf(store);
  }

  /** Asserts the feed gained no event since `head`. */
  async expectFeedUnchanged(store: EventStore, head: GlobalCheckpoint): Promise<void> {
    const { events } = await readFeedToEnd(store, head);
    expect(events.map((event) => `${event.streamId}@${event.version}`)).toEqual([]);
  }

  /** Asserts `streamId` is still at `version` (0: missing) and the feed gained nothing since `head`. */
  async expectNothingWritten(store: EventStore, streamId: string, head: GlobalCheckpoint, version = 0): Promise<void> {
    expect(await store.streamVersion(streamId)).toBe(version);
    expect(await store.streamExists(streamId)).toBe(version > 0);
    expect(await readStream(store, streamId)).toHaveLength(version);
    await this.expectFeedUnchanged(store, head);
  }
}
