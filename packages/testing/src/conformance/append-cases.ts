import { randomUUID } from 'node:crypto';
import {
  isConcurrencyError,
  isInvalidExpectedVersionError,
  type ExpectedVersion,
  type RecordedEvent,
} from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { newEvent, newStreamId, numberedEvents, readStream, rejectionOf, uniqueStreamType } from './fixtures';
import type { EventStoreHarness } from './harness';

export function appendCases(h: EventStoreHarness): void {
  describe('versions and stream types', () => {
    it('numbers a new stream 1, 2, 3 and reports nextExpectedVersion', async () => {
      const streamId = newStreamId();
      const result = await h.store.append(streamId, numberedEvents(3));
      expect(result.streamId).toBe(streamId);
      expect(result.events.map((event) => event.version)).toEqual([1, 2, 3]);
      expect(result.nextExpectedVersion).toBe(3);
      expect(result.idempotent).toBe(false);
    });

    it('continues versions without holes across appends', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, numberedEvents(2));
      const second = await h.store.append(streamId, numberedEvents(3), { expectedVersion: 2 });
      expect(second.events.map((event) => event.version)).toEqual([3, 4, 5]);
      expect(second.nextExpectedVersion).toBe(5);
      expect((await readStream(h.store, streamId)).map((event) => event.version)).toEqual([1, 2, 3, 4, 5]);
    });

    it('defaults the stream type to the stream id before its first dash', async () => {
      const type = uniqueStreamType();
      const streamId = `${type}-order-42-${randomUUID()}`;
      const result = await h.store.append(streamId, [newEvent()]);
      expect(result.streamType).toBe(type);
      expect(result.events[0]?.streamType).toBe(type);
      expect((await h.store.streamInfo(streamId))?.streamType).toBe(type);
    });

    it('uses the whole stream id as stream type when it has no dash', async () => {
      const streamId = uniqueStreamType();
      const result = await h.store.append(streamId, [newEvent()]);
      expect(result.streamType).toBe(streamId);
      expect((await readStream(h.store, streamId))[0]?.streamType).toBe(streamId);
    });

    it('records an explicit streamType', async () => {
      const streamId = newStreamId();
      const streamType = uniqueStreamType();
      const result = await h.store.append(streamId, [newEvent()], { streamType });
      expect(result.streamType).toBe(streamType);
      expect((await readStream(h.store, streamId))[0]?.streamType).toBe(streamType);
      expect((await h.store.streamInfo(streamId))?.streamType).toBe(streamType);
    });

    it('keeps the type a stream was created with', async () => {
      const streamId = newStreamId();
      const streamType = uniqueStreamType();
      await h.store.append(streamId, [newEvent()], { streamType });
      const defaulted = await h.store.append(streamId, [newEvent()]);
      const otherType = await h.store.append(streamId, [newEvent()], { streamType: uniqueStreamType() });
      expect(defaulted.streamType).toBe(streamType);
      expect(otherType.streamType).toBe(streamType);
      expect((await readStream(h.store, streamId)).map((event) => event.streamType)).toEqual([
        streamType,
        streamType,
        streamType,
      ]);
    });

    it('records every field of an event and reads back what append returned', async () => {
      const streamId = newStreamId();
      const before = Date.now();
      const result = await h.store.append(streamId, [
        newEvent('First', { a: 1 }, { metadata: { correlationId: 'c-1' } }),
        newEvent('Second', { b: 2 }),
      ]);
      const [first] = result.events;
      expect(first).toBeDefined();
      const recorded = first as RecordedEvent;
      expect(recorded.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(recorded).toMatchObject({ streamId, version: 1, type: 'First', data: { a: 1 } });
      expect(recorded.metadata).toMatchObject({ correlationId: 'c-1' });
      expect(Number.isSafeInteger(recorded.globalPosition) && recorded.globalPosition > 0).toBe(true);
      expect(recorded.occurredAt).toBeInstanceOf(Date);
      // Generous bounds: the store's clock may be a database server's, not this process's.
      expect(Math.abs(recorded.occurredAt.getTime() - before)).toBeLessThan(60_000);
      expect(await readStream(h.store, streamId)).toEqual(result.events);
    });
  });

  describe('expectedVersion', () => {
    it('appends when a numeric expectedVersion matches', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, numberedEvents(2));
      const result = await h.store.append(streamId, [newEvent()], { expectedVersion: 2 });
      expect(result.nextExpectedVersion).toBe(3);
    });

    it('refuses a mismatching expectedVersion with a ConcurrencyError naming stream, expected and actual', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, numberedEvents(2));
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(streamId, [newEvent()], { expectedVersion: 1 }));
      expect(isConcurrencyError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'EVENTFOLD_CONCURRENCY', streamId, expected: 1, actual: 2 });
      expect(String(error.message)).toContain(streamId);
      await h.expectNothingWritten(h.store, streamId, head, 2);
    });

    it('refuses an expectedVersion ahead of the stream', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent()]);
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(streamId, [newEvent()], { expectedVersion: 5 }));
      expect(error).toMatchObject({ code: 'EVENTFOLD_CONCURRENCY', expected: 5, actual: 1 });
      await h.expectNothingWritten(h.store, streamId, head, 1);
    });

    it('expectedVersion 0 creates a new stream and refuses an existing one', async () => {
      const streamId = newStreamId();
      expect((await h.store.append(streamId, [newEvent()], { expectedVersion: 0 })).nextExpectedVersion).toBe(1);
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(streamId, [newEvent()], { expectedVersion: 0 }));
      expect(error).toMatchObject({ code: 'EVENTFOLD_CONCURRENCY', streamId, expected: 0, actual: 1 });
      await h.expectNothingWritten(h.store, streamId, head, 1);
    });

    it("'no_stream' creates a new stream and refuses an existing one", async () => {
      const streamId = newStreamId();
      expect((await h.store.append(streamId, [newEvent()], { expectedVersion: 'no_stream' })).nextExpectedVersion).toBe(1);
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(streamId, [newEvent()], { expectedVersion: 'no_stream' }));
      expect(error).toMatchObject({ code: 'EVENTFOLD_CONCURRENCY', streamId, expected: 'no_stream', actual: 1 });
      await h.expectNothingWritten(h.store, streamId, head, 1);
    });

    it("'stream_exists' refuses a missing stream with actual 0 and does not create it", async () => {
      const streamId = newStreamId();
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(streamId, [newEvent()], { expectedVersion: 'stream_exists' }));
      expect(error).toMatchObject({ code: 'EVENTFOLD_CONCURRENCY', streamId, expected: 'stream_exists', actual: 0 });
      await h.expectNothingWritten(h.store, streamId, head);
      expect(await h.store.streamInfo(streamId)).toBeUndefined();
    });

    it("'stream_exists' appends to an existing stream at any version", async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, numberedEvents(3));
      const result = await h.store.append(streamId, [newEvent()], { expectedVersion: 'stream_exists' });
      expect(result.events.map((event) => event.version)).toEqual([4]);
    });

    it("'any' appends to a missing and to an existing stream", async () => {
      const streamId = newStreamId();
      expect((await h.store.append(streamId, [newEvent()], { expectedVersion: 'any' })).nextExpectedVersion).toBe(1);
      expect((await h.store.append(streamId, [newEvent()], { expectedVersion: 'any' })).nextExpectedVersion).toBe(2);
    });

    it("defaults expectedVersion to 'any'", async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent()]);
      expect((await h.store.append(streamId, [newEvent()])).nextExpectedVersion).toBe(2);
    });

    it.each<[string, unknown]>([
      ['-1', -1],
      ['1.5', 1.5],
      ["'latest'", 'latest'],
      ['null', null],
      ['NaN', Number.NaN],
    ])('refuses expectedVersion %s with InvalidExpectedVersionError and writes nothing', async (_label, value) => {
      const streamId = newStreamId();
      const head = await h.head();
      const error = await rejectionOf(() =>
        h.store.append(streamId, [newEvent()], { expectedVersion: value as ExpectedVersion }),
      );
      expect(isInvalidExpectedVersionError(error)).toBe(true);
      expect(error.code).toBe('EVENTFOLD_INVALID_EXPECTED_VERSION');
      await h.expectNothingWritten(h.store, streamId, head);
    });
  });

  describe('atomicity and concurrency', () => {
    it('writes nothing of a multi-event append whose second event is invalid', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent()]);
      const head = await h.head();
      const error = await rejectionOf(() =>
        h.store.append(streamId, [newEvent('Fine', { ok: true }), newEvent('Broken', { amount: 10n })]),
      );
      expect(error.code).toBe('EVENTFOLD_EVENT_VALIDATION');
      await h.expectNothingWritten(h.store, streamId, head, 1);
    });

    it('writes nothing of a multi-event append whose second event type the catalog does not know', async () => {
      const store = await h.catalogStore();
      const streamId = newStreamId();
      const head = await h.head(store);
      const error = await rejectionOf(() =>
        store.append(streamId, [
          newEvent('ItemAdded', { item: { sku: 'a', quantity: 1 } }),
          newEvent('ItemTeleported', { sku: 'a' }),
        ]),
      );
      expect(error).toMatchObject({ code: 'EVENTFOLD_EVENT_VALIDATION', eventType: 'ItemTeleported' });
      await h.expectNothingWritten(store, streamId, head);
    });

    it('lets exactly one of 50 parallel appends expecting the same version succeed', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent()]);
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, index) =>
          h.store.append(streamId, [newEvent('Raced', { writer: index })], { expectedVersion: 1 }),
        ),
      );
      const succeeded = results.filter((result) => result.status === 'fulfilled');
      const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
      expect(succeeded).toHaveLength(1);
      expect(refused).toHaveLength(49);
      for (const reason of refused) {
        expect(isConcurrencyError(reason)).toBe(true);
        expect(reason).toMatchObject({ streamId, expected: 1, actual: 2 });
      }
      expect(await h.store.streamVersion(streamId)).toBe(2);
      expect((await readStream(h.store, streamId)).map((event) => event.version)).toEqual([1, 2]);
    });

    it("gives 20 parallel 'any' appends distinct versions with no holes", async () => {
      const streamId = newStreamId();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => h.store.append(streamId, [newEvent('Parallel', { writer: index })])),
      );
      const versions = results.map((result) => result.nextExpectedVersion).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
      const events = await readStream(h.store, streamId);
      expect(events.map((event) => event.version)).toEqual(versions);
      expect(new Set(events.map((event) => (event.data as { writer: number }).writer)).size).toBe(20);
    });

    it('treats an empty event list as a no-op that does not create the stream', async () => {
      const streamId = newStreamId();
      const head = await h.head();
      const result = await h.store.append(streamId, []);
      expect(result).toMatchObject({ streamId, nextExpectedVersion: 0, events: [] });
      await h.expectNothingWritten(h.store, streamId, head);
    });
  });
}
