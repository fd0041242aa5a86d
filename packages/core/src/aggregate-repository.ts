import type { EventMetadata, RecordedEvent } from '@eventfold/shared-schema';
import type { Aggregate, DomainEvent } from './aggregate';
import { InvalidArgumentError, InvalidExpectedVersionError, StreamNotFoundError } from './errors';
import type { AppendOptions, AppendResult, EventStore, NewEvent, ReadStreamOptions, SnapshotStore, TransactionScope } from './event-store';
import { isExpectedVersion, type ExpectedVersion } from './expected-version';
import { silentLogger, type Logger } from './logger';
import { assertValidStreamId } from './validate-append';

/** Anything that brings recorded events to their current schema version (an event catalog does). */
export interface EventUpcaster {
  upcast(event: RecordedEvent): RecordedEvent;
}

export interface AggregateRepositoryOptions<TState, TEvent extends DomainEvent, TCommand> {
  readonly store: EventStore;
  readonly aggregate: Aggregate<TState, TEvent, TCommand>;
  /** Where snapshots are read from and written to. Needs `aggregate.snapshot`. */
  readonly snapshots?: SnapshotStore | undefined;
  /** Take a snapshot each time a save crosses a multiple of this many events. Needs `snapshots`. */
  readonly snapshotEvery?: number | undefined;
  /** Aggregate id -> stream id. Default `${aggregate.type}-${id}`. */
  readonly streamId?: ((id: string) => string) | undefined;
  /**
   * Runs inside the append's transaction with the append's result; if it throws, the append rolls
   * back too. Inline projections hook in here. `result.idempotent` is true for an identical retry.
   */
  readonly onAppended?: ((result: AppendResult, scope: TransactionScope) => Promise<void>) | undefined;
  /** Upcasts each loaded event before `evolve` sees it (an event catalog from `@eventfold/shared-schema`). */
  readonly catalog?: EventUpcaster | undefined;
  /** Reports snapshot failures (warn). Default: silent. */
  readonly logger?: Logger | undefined;
}

export interface LoadOptions {
  /** The state as of this instant: only events that occurred at or before it. */
  readonly asOf?: Date | undefined;
  /** The state at this stream version (or the last version below it when the stream is shorter). */
  readonly atVersion?: number | undefined;
}

export interface LoadedAggregate<TState> {
  readonly state: TState;
  /** The stream version the state was folded up to; 0 when the stream does not exist. */
  readonly version: number;
}

/** An event to save: the aggregate's `{ type, data }`, optionally with an id (for idempotent retries) and metadata. */
export type EventToSave<TEvent extends DomainEvent> = TEvent & {
  readonly id?: string;
  readonly metadata?: EventMetadata | undefined;
};

export interface SaveOptions {
  /** Usually the version `load` returned. */
  readonly expectedVersion: ExpectedVersion;
  /** Merged into every event's metadata (an event's own metadata wins): correlation id, user id, ... */
  readonly metadata?: EventMetadata | undefined;
}

export interface AggregateRepository<TState, TEvent extends DomainEvent, TCommand> {
  readonly aggregate: Aggregate<TState, TEvent, TCommand>;
  /** The stream id of an aggregate id. */
  streamIdOf(id: string): string;
  /** Latest usable snapshot + later events. A missing stream gives the initial state at version 0. */
  load(id: string, options?: LoadOptions): Promise<LoadedAggregate<TState>>;
  /** Like `load`, but throws `StreamNotFoundError` when the stream does not exist. */
  get(id: string, options?: LoadOptions): Promise<LoadedAggregate<TState>>;
  /** Appends events with an expected version; runs `onAppended` in the same transaction; may snapshot after. */
  save(id: string, events: readonly EventToSave<TEvent>[], options: SaveOptions): Promise<AppendResult>;
}

/**
 * Loads and saves one kind of aggregate on an event store. Snapshots are an optimisation only:
 * deleting them never changes a loaded state.
 */
export function createAggregateRepository<TState, TEvent extends DomainEvent, TCommand>(
  options: AggregateRepositoryOptions<TState, TEvent, TCommand>,
): AggregateRepository<TState, TEvent, TCommand> {
  const { store, aggregate, snapshots, snapshotEvery, onAppended, catalog } = options;
  const logger = options.logger ?? silentLogger;
  const toStreamId = options.streamId ?? ((id: string) => `${aggregate.type}-${id}`);
  const snapshotConfig = aggregate.snapshot;
  checkOptions(options);

  const streamIdOf = (id: string): string => {
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidArgumentError(`Invalid ${aggregate.type} id ${JSON.stringify(id) ?? String(id)}: use a non-empty string.`);
    }
    const streamId = toStreamId(id);
    assertValidStreamId(streamId);
    return streamId;
  };

  const loadSnapshot = async (streamId: string, atVersion: number | undefined, asOf: Date | undefined) => {
    if (snapshots === undefined || snapshotConfig === undefined) return undefined;
    try {
      const snapshot = await snapshots.load(streamId);
      if (snapshot === undefined || snapshot.schemaVersion !== snapshotConfig.schemaVersion) return undefined;
      if (atVersion !== undefined && snapshot.version > atVersion) return undefined;
      // Every event folded into the snapshot occurred before it was taken; a later snapshot may hold events after asOf.
      if (asOf !== undefined && snapshot.takenAt.getTime() > asOf.getTime()) return undefined;
      const state = snapshotConfig.fromSnapshot ? snapshotConfig.fromSnapshot(snapshot.state) : (snapshot.state as TState);
      return { state, version: snapshot.version };
    } catch (error) {
      logger.warn({ err: error, streamId, aggregateType: aggregate.type }, 'snapshot unusable; folding the stream from its first event');
      return undefined;
    }
  };

  const load = async (id: string, loadOptions: LoadOptions = {}): Promise<LoadedAggregate<TState>> => {
    const streamId = streamIdOf(id);
    const { atVersion, asOf } = checkLoadOptions(loadOptions);
    if (atVersion === 0) return { state: aggregate.initialState, version: 0 };
    const snapshot = await loadSnapshot(streamId, atVersion, asOf);
    let state = snapshot?.state ?? aggregate.initialState;
    let version = snapshot?.version ?? 0;
    const readOptions: ReadStreamOptions = {
      fromVersion: version + 1,
      ...(atVersion !== undefined && { toVersion: atVersion }),
      ...(asOf !== undefined && { asOf }),
    };
    for await (const recorded of store.readStream(streamId, readOptions)) {
      const event = catalog === undefined ? recorded : catalog.upcast(recorded);
      // The store and the catalog validated the data at append; the aggregate's event union is that data.
      state = aggregate.evolve(state, event as unknown as TEvent);
      version = recorded.version;
    }
    return { state, version };
  };

  const takeSnapshotIfDue = async (id: string, result: AppendResult): Promise<void> => {
    if (snapshots === undefined || snapshotEvery === undefined || snapshotConfig === undefined) return;
    if (result.idempotent || result.events.length === 0) return;
    const next = result.nextExpectedVersion;
    const previous = next - result.events.length;
    if (Math.floor(next / snapshotEvery) === Math.floor(previous / snapshotEvery)) return;
    try {
      const { state, version } = await load(id, { atVersion: next });
      const stored = snapshotConfig.toSnapshot ? snapshotConfig.toSnapshot(state) : state;
      await snapshots.save({ streamId: result.streamId, version, state: stored, schemaVersion: snapshotConfig.schemaVersion });
    } catch (error) {
      logger.warn(
        { err: error, streamId: result.streamId, version: next, aggregateType: aggregate.type },
        'snapshot failed; the events were saved',
      );
    }
  };

  const save = async (id: string, events: readonly EventToSave<TEvent>[], saveOptions: SaveOptions): Promise<AppendResult> => {
    const streamId = streamIdOf(id);
    const list: unknown = events;
    if (!Array.isArray(list) || list.length === 0) {
      throw new InvalidArgumentError(`save() of ${aggregate.type} "${id}" needs a non-empty array of events.`);
    }
    const expectedVersion: unknown = saveOptions?.expectedVersion;
    if (!isExpectedVersion(expectedVersion)) throw new InvalidExpectedVersionError(expectedVersion);
    const newEvents = events.map((event) => toNewEvent(event, saveOptions.metadata));
    const appendOptions: AppendOptions = { expectedVersion, streamType: aggregate.type };
    const result =
      onAppended === undefined
        ? await store.append(streamId, newEvents, appendOptions)
        : await store.withTransaction(async (scope) => {
            const appended = await scope.store.append(streamId, newEvents, appendOptions);
            await onAppended(appended, scope);
            return appended;
          });
    await takeSnapshotIfDue(id, result);
    return result;
  };

  const get = async (id: string, loadOptions?: LoadOptions): Promise<LoadedAggregate<TState>> => {
    const loaded = await load(id, loadOptions);
    if (loaded.version === 0) throw new StreamNotFoundError(streamIdOf(id));
    return loaded;
  };

  return Object.freeze({ aggregate, streamIdOf, load, get, save });
}

function toNewEvent<TEvent extends DomainEvent>(event: EventToSave<TEvent>, metadata: EventMetadata | undefined): NewEvent {
  const merged = metadata === undefined ? event.metadata : { ...metadata, ...event.metadata };
  return {
    ...(event.id !== undefined && { id: event.id }),
    type: event.type,
    data: event.data,
    ...(merged !== undefined && { metadata: merged }),
  };
}

function checkOptions<TState, TEvent extends DomainEvent, TCommand>(
  options: AggregateRepositoryOptions<TState, TEvent, TCommand>,
): void {
  const { aggregate, snapshots, snapshotEvery, catalog } = options;
  if (typeof options.store?.append !== 'function') {
    throw new InvalidArgumentError('createAggregateRepository needs an EventStore as `store`.');
  }
  if (typeof aggregate?.evolve !== 'function') {
    throw new InvalidArgumentError('createAggregateRepository needs an aggregate from defineAggregate() as `aggregate`.');
  }
  if (snapshots !== undefined && aggregate.snapshot === undefined) {
    throw new InvalidArgumentError(
      `Aggregate "${aggregate.type}" has no snapshot.schemaVersion; add one to defineAggregate() to use snapshots.`,
    );
  }
  if (snapshotEvery !== undefined) {
    if (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 1) {
      throw new InvalidArgumentError(`snapshotEvery ${String(snapshotEvery)} is not a positive integer.`);
    }
    if (snapshots === undefined) throw new InvalidArgumentError('snapshotEvery needs a SnapshotStore as `snapshots`.');
  }
  if (catalog !== undefined && typeof catalog.upcast !== 'function') {
    throw new InvalidArgumentError('`catalog` must have an upcast(event) method (an event catalog from @eventfold/shared-schema).');
  }
}

function checkLoadOptions(options: LoadOptions): LoadOptions {
  const { atVersion, asOf } = options;
  if (atVersion !== undefined && (!Number.isSafeInteger(atVersion) || atVersion < 0)) {
    throw new InvalidArgumentError(`atVersion ${String(atVersion)} is not a non-negative integer.`);
  }
  if (asOf !== undefined && (!(asOf instanceof Date) || Number.isNaN(asOf.getTime()))) {
    throw new InvalidArgumentError(`asOf must be a valid Date, got ${String(asOf)}.`);
  }
  return options;
}
