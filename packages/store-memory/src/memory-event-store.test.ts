import {
  EventValidationError,
  isInvalidArgumentError,
  START,
  type AppendResult,
  type EventStore,
  type RecordedEvent,
} from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore, type MemoryEventCatalog } from './memory-event-store';

async function collect(iterable: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

async function feed(store: EventStore): Promise<readonly RecordedEvent[]> {
  return (await store.readAll({ after: START, limit: 10_000 })).events;
}

describe('createMemoryEventStore', () => {
  describe('clock', () => {
    it('stamps occurredAt and stream times from the injected clock', async () => {
      let now = new Date('2030-05-01T10:00:00.000Z');
      const store = createMemoryEventStore({ clock: () => now });
      await store.append('room-1', [{ type: 'Opened', data: {} }]);
      now = new Date('2030-05-02T10:00:00.000Z');
      await store.append('room-1', [{ type: 'Renamed', data: { name: 'Blue' } }]);
      const events = await collect(store.readStream('room-1'));
      expect(events.map((event) => event.occurredAt.toISOString())).toEqual([
        '2030-05-01T10:00:00.000Z',
        '2030-05-02T10:00:00.000Z',
      ]);
      const info = await store.streamInfo('room-1');
      expect(info?.createdAt.toISOString()).toBe('2030-05-01T10:00:00.000Z');
      expect(info?.updatedAt.toISOString()).toBe('2030-05-02T10:00:00.000Z');
      const asOf = await collect(store.readStream('room-1', { asOf: new Date('2030-05-01T23:59:59.999Z') }));
      expect(asOf.map((event) => event.type)).toEqual(['Opened']);
    });

    it('refuses an append when the clock returns an invalid date, writing nothing', async () => {
      const store = createMemoryEventStore({ clock: () => new Date(Number.NaN) });
      const error: unknown = await store.append('room-1', [{ type: 'Opened', data: {} }]).catch((e: unknown) => e);
      expect(isInvalidArgumentError(error)).toBe(true);
      expect(await store.streamVersion('room-1')).toBe(0);
      expect(await store.headPosition()).toBe(0);
    });
  });

  describe('options', () => {
    it.each([0, -1, 1.5, Number.NaN])('refuses maxEventBytes %s', (maxEventBytes) => {
      expect(() => createMemoryEventStore({ maxEventBytes })).toThrow(/maxEventBytes/);
    });

    it('keeps each store instance separate', async () => {
      const first = createMemoryEventStore();
      const second = createMemoryEventStore();
      await first.append('room-1', [{ type: 'Opened', data: {} }]);
      expect(await second.streamExists('room-1')).toBe(false);
      expect(await second.headPosition()).toBe(0);
    });

    it('refuses a negative timeoutMs in waitForEvents', async () => {
      const store = createMemoryEventStore();
      await expect(store.waitForEvents(START, { timeoutMs: -5 })).rejects.toMatchObject({
        code: 'EVENTFOLD_INVALID_ARGUMENT',
      });
    });
  });

  describe('catalog upcasting', () => {
    it('upcasts events recorded at an older schema version in readStream and readAll', async () => {
      // Version 1 of Renamed had `title`; version 2 calls it `name`. The "deploy" flips currentVersion.
      let currentVersion = 1;
      const catalog: MemoryEventCatalog = {
        validateNew(type, data) {
          if (type !== 'Renamed') throw new EventValidationError(type, [{ path: 'type', message: 'unknown' }]);
          return { data, schemaVersion: currentVersion };
        },
        upcast(event) {
          if (currentVersion === 1 || event.metadata.schemaVersion !== 1) return event;
          const { title } = event.data as { title: string };
          return { ...event, data: { name: title }, metadata: { ...event.metadata, schemaVersion: 2 } };
        },
      };
      const store = createMemoryEventStore({ catalog });
      await store.append('room-1', [{ type: 'Renamed', data: { title: 'Blue' } }]);
      currentVersion = 2;
      await store.append('room-1', [{ type: 'Renamed', data: { name: 'Red' } }]);

      const events = await collect(store.readStream('room-1'));
      expect(events.map((event) => event.data)).toEqual([{ name: 'Blue' }, { name: 'Red' }]);
      expect(events.map((event) => event.metadata.schemaVersion)).toEqual([2, 2]);
      expect((await feed(store)).map((event) => event.data)).toEqual([{ name: 'Blue' }, { name: 'Red' }]);
    });

    it('applies upcast to every event the store returns', async () => {
      const calls: string[] = [];
      const counting: MemoryEventCatalog = {
        validateNew: (_type, data) => ({ data, schemaVersion: 1 }),
        upcast(event) {
          calls.push(event.id);
          return { ...event, data: { upcast: true } };
        },
      };
      const store = createMemoryEventStore({ catalog: counting });
      const appended = await store.append('room-1', [{ type: 'Renamed', data: { title: 'Blue' } }]);
      expect(appended.events[0]?.data).toEqual({ upcast: true });
      expect((await collect(store.readStream('room-1')))[0]?.data).toEqual({ upcast: true });
      expect((await feed(store))[0]?.data).toEqual({ upcast: true });
      expect(calls).toHaveLength(3);
      const filtered = await store.readAll({ types: ['Renamed'] });
      expect(filtered.events).toHaveLength(1);
    });
  });

  describe('transactions', () => {
    it('refuses an append through the outer store once the transaction holds the writer lock', async () => {
      const store = createMemoryEventStore();
      const error = await store
        .withTransaction(async ({ store: transactional }) => {
          await transactional.append('room-1', [{ type: 'Opened', data: {} }]);
          await store.append('room-2', [{ type: 'Opened', data: {} }]);
        })
        .catch((e: unknown) => e);
      expect(isInvalidArgumentError(error)).toBe(true);
      expect(String((error as Error).message)).toContain('scope.store');
      // The transaction rolled back and released the lock: the store still takes appends.
      expect(await store.streamExists('room-1')).toBe(false);
      await store.append('room-3', [{ type: 'Opened', data: {} }]);
      expect(await store.streamVersion('room-3')).toBe(1);
    });

    it('allows an outer append inside the callback before the transaction has written', async () => {
      const store = createMemoryEventStore();
      await store.withTransaction(async ({ store: transactional }) => {
        await store.append('room-1', [{ type: 'Opened', data: {} }]);
        await transactional.append('room-2', [{ type: 'Opened', data: {} }]);
      });
      expect((await feed(store)).map((event) => event.streamId)).toEqual(['room-1', 'room-2']);
    });

    it('nests withTransaction on scope.store as a savepoint', async () => {
      const store = createMemoryEventStore();
      await store.withTransaction(async ({ store: transactional }) => {
        await transactional.append('room-1', [{ type: 'Opened', data: {} }]);
        await transactional
          .withTransaction(async ({ store: nested }) => {
            await nested.append('room-1', [{ type: 'Renamed', data: {} }]);
            await nested.append('room-2', [{ type: 'Opened', data: {} }]);
            throw new Error('undo the nested part');
          })
          .catch(() => undefined);
        expect(await transactional.streamVersion('room-1')).toBe(1);
        expect(await transactional.streamExists('room-2')).toBe(false);
        await transactional.withTransaction(async ({ store: nested }) => {
          await nested.append('room-1', [{ type: 'Closed', data: {} }], { expectedVersion: 1 });
        });
      });
      expect((await collect(store.readStream('room-1'))).map((event) => event.type)).toEqual(['Opened', 'Closed']);
      expect(await store.streamExists('room-2')).toBe(false);
    });

    it('refuses scope.store after the transaction ended', async () => {
      const store = createMemoryEventStore();
      let leaked: EventStore | undefined;
      await store.withTransaction(async (scope) => {
        leaked = scope.store;
      });
      await expect(leaked?.append('room-1', [{ type: 'Opened', data: {} }])).rejects.toMatchObject({
        code: 'EVENTFOLD_INVALID_ARGUMENT',
      });
      await expect(leaked?.streamVersion('room-1')).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_ARGUMENT' });
      expect(await store.streamExists('room-1')).toBe(false);
    });

    it('refuses an append the callback started but did not await, and releases the lock', async () => {
      const store = createMemoryEventStore();
      const blocker = store.withTransaction(async ({ store: transactional }) => {
        await transactional.append('room-0', [{ type: 'Opened', data: {} }]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
      let forgotten: Promise<AppendResult> | undefined;
      await store.withTransaction(async ({ store: transactional }) => {
        // Waits for `blocker`'s lock, so it is still pending when this callback returns.
        forgotten = transactional.append('room-1', [{ type: 'Opened', data: {} }]);
        forgotten.catch(() => undefined);
      });
      await blocker;
      await expect(forgotten).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_ARGUMENT' });
      expect(await store.streamExists('room-1')).toBe(false);
      await store.append('room-2', [{ type: 'Opened', data: {} }]);
      expect(await store.streamVersion('room-2')).toBe(1);
    });

    it('keeps readAll inside a transaction to committed events: its own join the feed at commit', async () => {
      const store = createMemoryEventStore();
      await store.withTransaction(async ({ store: transactional }) => {
        await transactional.append('room-1', [{ type: 'Opened', data: {} }]);
        expect((await transactional.readAll()).events).toEqual([]);
        expect(await transactional.headPosition()).toBe(0);
      });
      expect(await feed(store)).toHaveLength(1);
    });

    it('gives all events of one commit the same transactionId and the next commit a higher one', async () => {
      const store = createMemoryEventStore();
      await store.withTransaction(async ({ store: transactional }) => {
        await transactional.append('room-1', [{ type: 'Opened', data: {} }]);
        await transactional.append('room-2', [{ type: 'Opened', data: {} }]);
      });
      await store.append('room-3', [{ type: 'Opened', data: {} }]);
      const checkpoints = [];
      let after = START;
      for (;;) {
        const page = await store.readAll({ after, limit: 1 });
        if (page.events.length === 0) break;
        checkpoints.push(page.checkpoint);
        after = page.checkpoint;
      }
      expect(checkpoints).toEqual([
        { transactionId: 1, position: 1 },
        { transactionId: 1, position: 2 },
        { transactionId: 2, position: 3 },
      ]);
    });

    it('leaves a hole in global positions after a rollback, like a database sequence', async () => {
      const store = createMemoryEventStore();
      await store
        .withTransaction(async ({ store: transactional }) => {
          await transactional.append('room-1', [{ type: 'Opened', data: {} }]);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      const [event] = (await store.append('room-1', [{ type: 'Opened', data: {} }])).events;
      expect(event?.version).toBe(1);
      expect(event?.globalPosition).toBe(2);
      expect(await store.headPosition()).toBe(2);
    });

    it('serialises a transaction against outside appends to the same stream', async () => {
      const store = createMemoryEventStore();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let appended: () => void = () => undefined;
      const inside = new Promise<void>((resolve) => {
        appended = resolve;
      });
      const transaction = store.withTransaction(async ({ store: transactional }) => {
        await transactional.append('room-1', [{ type: 'Opened', data: {} }], { expectedVersion: 'no_stream' });
        appended();
        await held;
      });
      await inside;
      const outside = store.append('room-1', [{ type: 'Opened', data: {} }], { expectedVersion: 'no_stream' });
      release();
      await transaction;
      await expect(outside).rejects.toMatchObject({ code: 'EVENTFOLD_CONCURRENCY', actual: 1 });
    });
  });
});
