// Minimal in-memory stores for core's own tests. @eventfold/store-memory is the real one, but it
// depends on core, so core cannot use it without a cycle. These keep just what the tests need:
// expected-version checks, reads with from/to/asOf, a global feed, and transactions that roll back.
import type { RecordedEvent } from '@eventfold/shared-schema';
import { ConcurrencyError } from '../src/errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  Snapshot,
  SnapshotStore,
  StreamInfo,
} from '../src/event-store';
import { matchesExpectedVersion } from '../src/expected-version';
import { prepareAppend, type AppendValidator } from '../src/validate-append';

interface Data {
  streams: Map<string, RecordedEvent[]>;
  feed: RecordedEvent[];
}

export interface FakeEventStore extends EventStore {
  /** Options of every readStream call, to see what a caller asked for. */
  readonly readStreamCalls: ReadStreamOptions[];
  /** Runs before each append's version check: tests use it to slip in a competing write. */
  beforeAppend: ((streamId: string) => Promise<void>) | undefined;
  /** The clock used for `occurredAt`. */
  now: () => Date;
  appendCount: number;
}

export function createFakeEventStore(options: { catalog?: AppendValidator } = {}): FakeEventStore {
  let data: Data = { streams: new Map(), feed: [] };
  const store = bind(() => data, options.catalog);
  store.withTransaction = async (fn) => {
    const copy: Data = { streams: new Map([...data.streams].map(([id, events]) => [id, [...events]])), feed: [...data.feed] };
    const scoped = bind(() => copy, options.catalog, store);
    const result = await fn({ store: scoped });
    data = copy;
    return result;
  };
  return store;
}

function bind(data: () => Data, catalog: AppendValidator | undefined, parent?: FakeEventStore): FakeEventStore {
  const store: FakeEventStore = {
    readStreamCalls: parent?.readStreamCalls ?? [],
    beforeAppend: undefined,
    now: () => parent?.now() ?? new Date(),
    appendCount: 0,
    async append(streamId: string, events: readonly NewEvent[], appendOptions?: AppendOptions): Promise<AppendResult> {
      const prepared = prepareAppend(streamId, events, appendOptions, { catalog });
      await (parent ?? store).beforeAppend?.(streamId);
      (parent ?? store).appendCount++;
      const stream = data().streams.get(streamId) ?? [];
      if (!matchesExpectedVersion(prepared.expectedVersion, stream.length)) {
        throw new ConcurrencyError(streamId, prepared.expectedVersion, stream.length);
      }
      const occurredAt = store.now();
      const recorded = prepared.events.map((event, index): RecordedEvent => ({
        id: event.id,
        streamId,
        streamType: stream[0]?.streamType ?? prepared.streamType,
        version: stream.length + index + 1,
        globalPosition: data().feed.length + index + 1,
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        occurredAt,
      }));
      data().streams.set(streamId, [...stream, ...recorded]);
      data().feed.push(...recorded);
      return {
        streamId,
        streamType: recorded[0]?.streamType ?? prepared.streamType,
        nextExpectedVersion: stream.length + recorded.length,
        events: recorded,
        idempotent: false,
      };
    },
    async *readStream(streamId: string, readOptions: ReadStreamOptions = {}) {
      store.readStreamCalls.push(readOptions);
      const { fromVersion = 1, toVersion = Number.MAX_SAFE_INTEGER, asOf, direction = 'forwards', limit } = readOptions;
      let events = (data().streams.get(streamId) ?? []).filter(
        (event) => event.version >= fromVersion && event.version <= toVersion && (asOf === undefined || event.occurredAt <= asOf),
      );
      if (direction === 'backwards') events = events.reverse();
      yield* events.slice(0, limit);
    },
    async readAll(readOptions: ReadAllOptions = {}): Promise<ReadAllPage> {
      const after = readOptions.after?.position ?? 0;
      const limit = readOptions.limit ?? 500;
      const window = data().feed.filter((event) => event.globalPosition > after).slice(0, limit);
      const last = window.at(-1)?.globalPosition ?? after;
      const events = window.filter(
        (event) =>
          (readOptions.types === undefined || readOptions.types.includes(event.type)) &&
          (readOptions.streamTypes === undefined || readOptions.streamTypes.includes(event.streamType)),
      );
      return {
        events,
        checkpoint: { transactionId: last, position: last },
        hasMore: data().feed.some((event) => event.globalPosition > last),
      };
    },
    streamVersion: async (streamId) => data().streams.get(streamId)?.length ?? 0,
    streamExists: async (streamId) => data().streams.has(streamId),
    async streamInfo(streamId): Promise<StreamInfo | undefined> {
      const events = data().streams.get(streamId);
      const first = events?.[0];
      const last = events?.at(-1);
      if (first === undefined || last === undefined) return undefined;
      return { streamId, streamType: first.streamType, version: last.version, createdAt: first.occurredAt, updatedAt: last.occurredAt };
    },
    headPosition: async () => data().feed.length,
    waitForEvents: async () => undefined,
    withTransaction: async (fn) => fn({ store }),
  };
  return store;
}

export interface FakeSnapshotStore extends SnapshotStore {
  readonly saved: Snapshot[];
  failSave: boolean;
  /** The clock used for `takenAt`. */
  now: () => Date;
}

/** Keeps the latest snapshot per stream, round-tripped through JSON like a database would. */
export function createFakeSnapshotStore(): FakeSnapshotStore {
  const latest = new Map<string, string>();
  const store: FakeSnapshotStore = {
    saved: [],
    failSave: false,
    now: () => new Date(),
    async save(snapshot) {
      if (store.failSave) throw new Error('snapshot store is down');
      const full: Snapshot = { ...snapshot, takenAt: store.now() };
      store.saved.push(full);
      latest.set(snapshot.streamId, JSON.stringify(full));
    },
    async load(streamId) {
      const json = latest.get(streamId);
      if (json === undefined) return undefined;
      const parsed = JSON.parse(json) as Snapshot & { takenAt: string };
      return { ...parsed, takenAt: new Date(parsed.takenAt) };
    },
    async delete(streamId) {
      latest.delete(streamId);
    },
  };
  return store;
}
