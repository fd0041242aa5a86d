import { describe, expect, it, vi } from 'vitest';
import { createFakeEventStore } from '../test/fake-stores';
import { isInvalidArgumentError } from './errors';
import type { EventStore, ReadAllPage } from './event-store';
import { iterateAll, iterateAllPages } from './iterate-all';

async function storeWithEvents() {
  const store = createFakeEventStore();
  for (let i = 1; i <= 7; i++) {
    await store.append(i % 2 === 0 ? `even-${i}` : `odd-${i}`, [{ type: i % 3 === 0 ? 'Third' : 'Other', data: { i } }]);
  }
  return store;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('iterateAll', () => {
  it('streams the whole feed in order, page by page, until caught up', async () => {
    const store = await storeWithEvents();
    const readAll = vi.spyOn(store, 'readAll');
    const events = await collect(iterateAll(store, { batchSize: 3 }));
    expect(events.map((event) => (event.data as { i: number }).i)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(readAll.mock.calls.map(([options]) => [options?.after?.position, options?.limit])).toEqual([
      [0, 3],
      [3, 3],
      [6, 3],
    ]);
  });

  it('starts after a checkpoint and passes the type filters on', async () => {
    const store = await storeWithEvents();
    const after = { transactionId: 2, position: 2 };
    expect((await collect(iterateAll(store, { after, types: ['Third'] }))).map((event) => event.globalPosition)).toEqual([3, 6]);
    expect((await collect(iterateAll(store, { streamTypes: ['even'], batchSize: 2 }))).map((event) => event.streamId)).toEqual([
      'even-2',
      'even-4',
      'even-6',
    ]);
  });

  it('yields pages with the checkpoint to resume from', async () => {
    const store = await storeWithEvents();
    const pages = await collect(iterateAllPages(store, { batchSize: 4 }));
    expect(pages.map((page) => [page.events.length, page.checkpoint.position, page.hasMore])).toEqual([
      [4, 4, true],
      [3, 7, false],
    ]);
  });

  it('ends at once on an empty feed', async () => {
    expect(await collect(iterateAll(createFakeEventStore()))).toEqual([]);
  });

  it('refuses a bad batch size', async () => {
    for (const batchSize of [0, 1.5, 10_001]) {
      const error = await collect(iterateAll(createFakeEventStore(), { batchSize })).catch((e: unknown) => e);
      expect(isInvalidArgumentError(error)).toBe(true);
    }
  });

  it('stops when the signal aborts', async () => {
    const store = await storeWithEvents();
    const controller = new AbortController();
    const seen: number[] = [];
    const run = async () => {
      for await (const event of iterateAll(store, { batchSize: 2, signal: controller.signal })) {
        seen.push(event.globalPosition);
        if (event.globalPosition === 2) controller.abort(new Error('shutting down'));
      }
    };
    await expect(run()).rejects.toThrow('shutting down');
    expect(seen).toEqual([1, 2]);
  });

  it('fails instead of looping forever on a store whose checkpoint does not move', async () => {
    const stuck: ReadAllPage = { events: [], checkpoint: { transactionId: 0, position: 0 }, hasMore: true };
    const store = { readAll: async () => stuck } as unknown as EventStore;
    await expect(collect(iterateAll(store))).rejects.toThrow(/does not move past/);
  });
});
