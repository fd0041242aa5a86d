import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createFakeEventStore, type FakeEventStore } from '../test/fake-stores';
import { tally, type TallyEvent } from '../test/tally';
import { createAggregateRepository } from './aggregate-repository';
import { createCommandHandler, type RecordedEventFor } from './command-handler';
import { isConcurrencyError, isDomainError, isInvalidArgumentError } from './errors';
import type { Logger } from './logger';

const added = (amount: number): TallyEvent => ({ type: 'Added', data: { amount } });

/** Makes the next `times` appends lose a race: another writer adds 100 to the stream just before each. */
function conflict(store: FakeEventStore, times: number): { readonly competing: () => number } {
  let remaining = times;
  let competing = 0;
  let inside = false;
  store.beforeAppend = async (streamId) => {
    if (inside || remaining === 0) return;
    remaining--;
    inside = true;
    try {
      await store.append(streamId, [added(100)], { expectedVersion: 'stream_exists' });
      competing++;
    } finally {
      inside = false;
    }
  };
  return { competing: () => competing };
}

async function openTally() {
  const store = createFakeEventStore();
  const repository = createAggregateRepository({ store, aggregate: tally });
  await createCommandHandler(repository)('t1', { type: 'Open', owner: 'ada' });
  store.appendCount = 0;
  return { store, repository };
}

describe('createCommandHandler', () => {
  it('loads, decides and saves with the loaded version', async () => {
    const { store, repository } = await openTally();
    const handle = createCommandHandler(repository);
    const result = await handle('t1', { type: 'Add', amounts: [2, 3] }, { metadata: { correlationId: 'c-9' } });
    expect(result.version).toBe(3);
    expect(result.events.map((event) => [event.type, event.data, event.version, event.metadata.correlationId])).toEqual([
      ['Added', { amount: 2 }, 2, 'c-9'],
      ['Added', { amount: 3 }, 3, 'c-9'],
    ]);
    expect(result.state).toEqual({ status: 'open', owner: 'ada', total: 5, amounts: [2, 3] });
    expect(store.appendCount).toBe(1);
    expectTypeOf(result.events[0]!).toEqualTypeOf<RecordedEventFor<TallyEvent>>();
  });

  it('retries after conflicts, deciding again on the reloaded state', async () => {
    const { store, repository } = await openTally();
    const debug = vi.fn<Logger['debug']>();
    const race = conflict(store, 2);
    const result = await createCommandHandler(repository, { logger: { ...silent, debug } })('t1', { type: 'Add', amounts: [1] });
    expect(race.competing()).toBe(2);
    expect(store.appendCount).toBe(2 + 3); // two competing writes, three attempts of ours
    expect(result.version).toBe(4);
    expect(result.state.amounts).toEqual([100, 100, 1]);
    expect(debug).toHaveBeenCalledTimes(2);
    expect(debug).toHaveBeenLastCalledWith(
      { streamId: 'tally-t1', expected: 2, actual: 3, attempt: 2, maxRetries: 3 },
      'concurrency conflict; reloading and deciding again',
    );
  });

  it('rethrows the ConcurrencyError after maxRetries retries', async () => {
    const { store, repository } = await openTally();
    conflict(store, 4);
    const error = await createCommandHandler(repository)('t1', { type: 'Add', amounts: [1] }).catch((e: unknown) => e);
    expect(isConcurrencyError(error)).toBe(true);
    expect(store.appendCount).toBe(4 + 4); // 1 attempt + 3 retries, each beaten
    expect((await repository.load('t1')).state.amounts).toEqual([100, 100, 100, 100]);
  });

  it('with maxRetries 0 tries once', async () => {
    const { store, repository } = await openTally();
    conflict(store, 1);
    await expect(createCommandHandler(repository, { maxRetries: 0 })('t1', { type: 'Add', amounts: [1] })).rejects.toMatchObject({
      code: 'EVENTFOLD_CONCURRENCY',
    });
    expect(store.appendCount).toBe(2);
  });

  it('a retry can end in a DomainError when the winner changed the state', async () => {
    const { store, repository } = await openTally();
    store.beforeAppend = async (streamId) => {
      store.beforeAppend = undefined;
      await store.append(streamId, [{ type: 'Closed', data: { reason: 'closed elsewhere' } }]);
    };
    const error = await createCommandHandler(repository)('t1', { type: 'Add', amounts: [1] }).catch((e: unknown) => e);
    expect(isDomainError(error) && error.reason).toBe('TALLY_NOT_OPEN');
  });

  it('never retries a DomainError and saves nothing', async () => {
    const { store, repository } = await openTally();
    store.readStreamCalls.length = 0;
    const error = await createCommandHandler(repository)('t1', { type: 'Open', owner: 'bob' }).catch((e: unknown) => e);
    expect(isDomainError(error) && error.reason).toBe('TALLY_EXISTS');
    expect(store.readStreamCalls).toHaveLength(1); // loaded once: no retry
    expect(store.appendCount).toBe(0);
  });

  it('saves nothing when decide returns no events', async () => {
    const { store, repository } = await openTally();
    const result = await createCommandHandler(repository)('t1', { type: 'Add', amounts: [] });
    expect(result).toEqual({ version: 1, events: [], state: expect.objectContaining({ status: 'open' }) as unknown });
    expect(store.appendCount).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN])('refuses maxRetries %s', (maxRetries) => {
    const repository = createAggregateRepository({ store: createFakeEventStore(), aggregate: tally });
    let caught: unknown;
    try {
      createCommandHandler(repository, { maxRetries });
    } catch (error) {
      caught = error;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
  });
});

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
