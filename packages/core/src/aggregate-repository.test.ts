import { createEventCatalog, defineEvent, defineUpcaster } from '@eventfold/shared-schema';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createFakeEventStore, createFakeSnapshotStore, type FakeSnapshotStore } from '../test/fake-stores';
import { initialTally, tally, type TallyCommand, type TallyEvent, type TallyState } from '../test/tally';
import { defineAggregate } from './aggregate';
import { createAggregateRepository, type AggregateRepositoryOptions } from './aggregate-repository';
import {
  isConcurrencyError,
  isInvalidArgumentError,
  isInvalidExpectedVersionError,
  isInvalidStreamIdError,
  isStreamNotFoundError,
} from './errors';
import type { AppendResult, TransactionScope } from './event-store';
import type { Logger } from './logger';

const ID = '7d3f8e2a-1c4b-4f6a-9e2d-3b5c7a9f1e20';
const opened: TallyEvent = { type: 'Opened', data: { owner: 'ada' } };
const added = (amount: number): TallyEvent => ({ type: 'Added', data: { amount } });

function spyLogger() {
  const warn = vi.fn<Logger['warn']>();
  const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() };
  return { logger, warn };
}

function setup(options: Partial<AggregateRepositoryOptions<TallyState, TallyEvent, TallyCommand>> = {}) {
  const store = createFakeEventStore();
  const snapshots = createFakeSnapshotStore();
  const repository = createAggregateRepository({ store, aggregate: tally, snapshots, snapshotEvery: 3, ...options });
  return { store, snapshots, repository };
}

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe('createAggregateRepository: load, get, save', () => {
  it('loads a missing stream as the initial state at version 0; get refuses it', async () => {
    const { repository } = setup();
    expect(await repository.load('t1')).toEqual({ state: initialTally, version: 0 });
    const error = await errorOf(() => repository.get('t1'));
    expect(isStreamNotFoundError(error) && error.streamId).toBe('tally-t1');
  });

  it('saves to "<type>-<id>" with the aggregate type as stream type, and loads the fold', async () => {
    const { store, repository } = setup();
    const result = await repository.save('t1', [opened, added(2)], { expectedVersion: 0 });
    expect(result).toMatchObject({ streamId: 'tally-t1', streamType: 'tally', nextExpectedVersion: 2 });
    await repository.save('t1', [added(5)], { expectedVersion: 2 });
    expect(await repository.get('t1')).toEqual({ state: { status: 'open', owner: 'ada', total: 7, amounts: [2, 5] }, version: 3 });
    expect(await store.streamVersion('tally-t1')).toBe(3);
  });

  it('merges save metadata into each event (the event wins) and keeps given event ids', async () => {
    const { repository } = setup();
    const result = await repository.save(
      't1',
      [
        { ...opened, id: ID },
        { ...added(1), metadata: { userId: 'event-user' } },
      ],
      { expectedVersion: 'no_stream', metadata: { correlationId: 'c-1', userId: 'save-user' } },
    );
    expect(result.events[0]).toMatchObject({ id: ID, metadata: { correlationId: 'c-1', userId: 'save-user' } });
    expect(result.events[1]?.metadata).toEqual({ correlationId: 'c-1', userId: 'event-user' });
  });

  it('refuses a stale expected version and writes nothing', async () => {
    const { store, repository } = setup();
    await repository.save('t1', [opened], { expectedVersion: 0 });
    const error = await errorOf(() => repository.save('t1', [added(1)], { expectedVersion: 0 }));
    expect(isConcurrencyError(error) && [error.expected, error.actual]).toEqual([0, 1]);
    expect(await store.streamVersion('tally-t1')).toBe(1);
  });

  it('refuses bad input before touching the store', async () => {
    const { store, repository } = setup();
    expect(isInvalidArgumentError(await errorOf(() => repository.save('t1', [], { expectedVersion: 0 })))).toBe(true);
    expect(isInvalidExpectedVersionError(await errorOf(() => repository.save('t1', [opened], {} as never)))).toBe(true);
    expect(isInvalidArgumentError(await errorOf(() => repository.load('')))).toBe(true);
    expect(isInvalidStreamIdError(await errorOf(() => repository.load('x'.repeat(300))))).toBe(true);
    expect(isInvalidArgumentError(await errorOf(() => repository.load('t1', { atVersion: -1 })))).toBe(true);
    expect(isInvalidArgumentError(await errorOf(() => repository.load('t1', { asOf: new Date('nope') })))).toBe(true);
    expect(store.appendCount).toBe(0);
  });

  it('uses a custom stream id', async () => {
    const { store } = setup();
    const repository = createAggregateRepository({ store, aggregate: tally, streamId: (id) => `tallies/${id}` });
    await repository.save('t1', [opened], { expectedVersion: 0 });
    expect(repository.streamIdOf('t1')).toBe('tallies/t1');
    expect(await store.streamVersion('tallies/t1')).toBe(1);
  });
});

describe('createAggregateRepository: time travel', () => {
  it('loads at a version and as of an instant', async () => {
    const { store, repository } = setup({ snapshots: undefined, snapshotEvery: undefined });
    let clock = Date.parse('2026-01-01T00:00:00Z');
    store.now = () => new Date(clock);
    await repository.save('t1', [opened, added(1)], { expectedVersion: 0 });
    clock += 60_000;
    await repository.save('t1', [added(10)], { expectedVersion: 2 });
    clock += 60_000;
    await repository.save('t1', [added(100)], { expectedVersion: 3 });

    expect(await repository.load('t1', { atVersion: 3 })).toEqual({ state: expect.objectContaining({ total: 11 }) as unknown, version: 3 });
    expect((await repository.load('t1', { atVersion: 0 })).version).toBe(0);
    expect((await repository.load('t1', { atVersion: 99 })).version).toBe(4);
    const asOf = await repository.load('t1', { asOf: new Date('2026-01-01T00:01:30Z') });
    expect(asOf).toEqual({ state: expect.objectContaining({ total: 11 }) as unknown, version: 3 });
    expect((await repository.load('t1', { asOf: new Date('2025-12-31T00:00:00Z') })).version).toBe(0);
  });
});

describe('createAggregateRepository: onAppended', () => {
  it('runs in the append transaction with the result and scope', async () => {
    const seen: [AppendResult, TransactionScope][] = [];
    const { store, repository } = setup({
      onAppended: async (result, scope) => {
        seen.push([result, scope]);
        // The scope sees its own append before commit.
        expect(await scope.store.streamVersion(result.streamId)).toBe(result.nextExpectedVersion);
      },
    });
    const result = await repository.save('t1', [opened], { expectedVersion: 0 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]).toEqual(result);
    expect(seen[0]?.[1].store).not.toBe(store);
  });

  it('rolls the append back when the hook throws', async () => {
    const { store, repository } = setup({
      onAppended: async () => {
        throw new Error('read model is down');
      },
    });
    await expect(repository.save('t1', [opened], { expectedVersion: 0 })).rejects.toThrow('read model is down');
    expect(await store.streamVersion('tally-t1')).toBe(0);
  });
});

describe('createAggregateRepository: snapshots', () => {
  it('snapshots when a save crosses a multiple of snapshotEvery, at the new version', async () => {
    const { snapshots, repository } = setup();
    await repository.save('t1', [opened], { expectedVersion: 0 });
    await repository.save('t1', [added(1)], { expectedVersion: 1 });
    expect(snapshots.saved).toHaveLength(0);
    await repository.save('t1', [added(2)], { expectedVersion: 2 }); // 2 -> 3 crosses 3
    await repository.save('t1', [added(3), added(4), added(5), added(6), added(7)], { expectedVersion: 3 }); // 3 -> 8 crosses 6
    await repository.save('t1', [added(8)], { expectedVersion: 8 }); // 8 -> 9 crosses 9
    await repository.save('t1', [added(9)], { expectedVersion: 9 }); // 9 -> 10: no
    expect(snapshots.saved.map((snapshot) => snapshot.version)).toEqual([3, 8, 9]);
    expect(snapshots.saved[1]).toMatchObject({
      streamId: 'tally-t1',
      schemaVersion: 1,
      state: { total: 28, amounts: [1, 2, 3, 4, 5, 6, 7] },
    });
  });

  it('loads the snapshot plus the later events only', async () => {
    const { store, repository } = setup();
    await repository.save('t1', [opened, added(1), added(2), added(3)], { expectedVersion: 0 }); // snapshot at 4
    await repository.save('t1', [added(4)], { expectedVersion: 4 });
    store.readStreamCalls.length = 0;
    expect((await repository.load('t1')).state.amounts).toEqual([1, 2, 3, 4]);
    expect(store.readStreamCalls).toEqual([{ fromVersion: 5 }]);
  });

  it('gives the same state with and without snapshots, at every version', async () => {
    const { store, snapshots, repository } = setup();
    const plain = createAggregateRepository({ store, aggregate: tally });
    // A fixed pseudo-random script of batch sizes, so snapshots land at varied points.
    let seed = 7;
    const next = () => (seed = (seed * 48_271) % 2_147_483_647);
    let version = 0;
    await repository.save('t1', [opened], { expectedVersion: version++ });
    while (version < 40) {
      const batch = Array.from({ length: 1 + (next() % 4) }, () => added(next() % 100));
      version = (await repository.save('t1', batch, { expectedVersion: version })).nextExpectedVersion;
    }
    expect(snapshots.saved.length).toBeGreaterThan(5);
    store.readStreamCalls.length = 0;
    const withSnapshot = await repository.load('t1');
    expect(store.readStreamCalls[0]?.fromVersion).toBeGreaterThan(1); // the snapshot was used
    for (let at = 0; at <= version; at++) {
      expect(await repository.load('t1', { atVersion: at })).toEqual(await plain.load('t1', { atVersion: at }));
    }
    await snapshots.delete('tally-t1');
    expect(await repository.load('t1')).toEqual(withSnapshot);
    expect(withSnapshot).toEqual(await plain.load('t1'));
  });

  it('ignores a snapshot of another schema version, past atVersion, or taken after asOf', async () => {
    const { store, snapshots, repository } = setup({ snapshotEvery: undefined });
    let clock = Date.parse('2026-01-01T00:00:00Z');
    store.now = () => new Date(clock);
    await repository.save('t1', [opened, added(1), added(2)], { expectedVersion: 0 });
    clock += 60_000;
    snapshots.now = () => new Date(clock);
    // A snapshot whose state is wrong on purpose: if it were used, the totals would show it.
    await snapshots.save({ streamId: 'tally-t1', version: 3, state: { ...initialTally, total: 999 }, schemaVersion: 2 });
    expect((await repository.load('t1')).state.total).toBe(3);

    await snapshots.save({ streamId: 'tally-t1', version: 3, state: { ...initialTally, total: 999 }, schemaVersion: 1 });
    expect((await repository.load('t1')).state.total).toBe(999); // proves the snapshot is read when it applies
    expect((await repository.load('t1', { atVersion: 2 })).state.total).toBe(1);
    expect((await repository.load('t1', { asOf: new Date('2026-01-01T00:00:30Z') })).state.total).toBe(3);
    expect((await repository.load('t1', { asOf: new Date('2026-01-01T00:01:00Z') })).state.total).toBe(999);
  });

  it('a failing snapshot store does not fail the save or the load; the logger says so without the state', async () => {
    const { logger, warn } = spyLogger();
    const { store, snapshots, repository } = setup({ logger });
    snapshots.failSave = true;
    const result = await repository.save('t1', [opened, added(1), added(2)], { expectedVersion: 0 });
    expect(result.nextExpectedVersion).toBe(3);
    expect(warn).toHaveBeenCalledWith(
      { err: expect.any(Error) as unknown, streamId: 'tally-t1', version: 3, aggregateType: 'tally' },
      'snapshot failed; the events were saved',
    );

    const broken: FakeSnapshotStore = { ...snapshots, load: () => Promise.reject(new Error('down')) };
    const reading = createAggregateRepository({ store, aggregate: tally, snapshots: broken, logger });
    expect((await reading.load('t1')).state.total).toBe(3);
    expect(warn).toHaveBeenLastCalledWith(
      expect.objectContaining({ streamId: 'tally-t1' }),
      'snapshot unusable; folding the stream from its first event',
    );
  });

  it('stores and revives state through toSnapshot/fromSnapshot', async () => {
    type SetState = { readonly seen: ReadonlySet<number> };
    const distinct = defineAggregate<SetState, TallyEvent, never>({
      type: 'distinct',
      initialState: { seen: new Set() },
      snapshot: {
        schemaVersion: 1,
        toSnapshot: (state) => [...state.seen],
        fromSnapshot: (stored) => ({ seen: new Set(z.array(z.number()).parse(stored)) }),
      },
      evolve: (state, event) => (event.type === 'Added' ? { seen: new Set([...state.seen, event.data.amount]) } : state),
      decide: () => [],
    });
    const store = createFakeEventStore();
    const snapshots = createFakeSnapshotStore();
    const repository = createAggregateRepository({ store, aggregate: distinct, snapshots, snapshotEvery: 2 });
    await repository.save('d1', [added(1), added(2), added(1)], { expectedVersion: 0 });
    expect(snapshots.saved[0]?.state).toEqual([1, 2]);
    expect((await repository.load('d1')).state.seen).toEqual(new Set([1, 2]));
  });

  it('falls back to the events when fromSnapshot throws (a corrupt snapshot)', async () => {
    const strict = defineAggregate({
      ...tally,
      snapshot: {
        schemaVersion: 1,
        fromSnapshot: () => {
          throw new Error('corrupt');
        },
      },
    });
    const store = createFakeEventStore();
    const snapshots = createFakeSnapshotStore();
    const repository = createAggregateRepository({ store, aggregate: strict, snapshots, snapshotEvery: 1 });
    await repository.save('t1', [opened, added(4)], { expectedVersion: 0 });
    expect(snapshots.saved).toHaveLength(1);
    expect((await repository.load('t1')).state.total).toBe(4);
  });

  it.each([
    ['snapshots for an aggregate without snapshot settings', () => ({ aggregate: defineAggregate({ ...tally, snapshot: undefined }) })],
    ['snapshotEvery without snapshots', () => ({ snapshots: undefined })],
    ['snapshotEvery 0', () => ({ snapshotEvery: 0 })],
    ['a catalog without upcast()', () => ({ catalog: {} as never })],
    ['a store that is not an EventStore', () => ({ store: {} as never })],
  ])('refuses %s', (_label, change) => {
    let caught: unknown;
    try {
      setup(change());
    } catch (error) {
      caught = error;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
  });
});

describe('createAggregateRepository: catalog', () => {
  it('upcasts loaded events before evolve sees them', async () => {
    const catalog = createEventCatalog(
      [
        defineEvent('Opened', z.object({ owner: z.string() })),
        defineEvent('Added', z.object({ amount: z.number() }), { version: 2 }),
        defineEvent('Closed', z.object({ reason: z.string() })),
      ],
      { upcasters: [defineUpcaster('Added', 1, (data: { cents: number }) => ({ amount: data.cents / 100 }))] },
    );
    const store = createFakeEventStore();
    // Written by an old producer: version 1 data.
    await store.append('tally-t1', [opened, { type: 'Added', data: { cents: 250 }, metadata: { schemaVersion: 1 } }]);
    const repository = createAggregateRepository({ store, aggregate: tally, catalog });
    expect((await repository.load('t1')).state.total).toBe(2.5);
  });
});
