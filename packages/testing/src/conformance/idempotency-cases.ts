import { randomUUID } from 'node:crypto';
import { isDuplicateEventIdError, isInvalidArgumentError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { newEvent, newStreamId, readFeedToEnd, readStream, rejectionOf } from './fixtures';
import type { EventStoreHarness } from './harness';

export function idempotencyCases(h: EventStoreHarness): void {
  describe('idempotent retries', () => {
    it('accepts an identical retry as a no-op returning the events recorded the first time', async () => {
      const streamId = newStreamId();
      const events = [newEvent('A', { n: 1 }, { id: randomUUID() }), newEvent('B', { n: 2 }, { id: randomUUID() })];
      const first = await h.store.append(streamId, events, { expectedVersion: 'no_stream' });
      const head = await h.head();
      const retry = await h.store.append(streamId, events, { expectedVersion: 'no_stream' });
      expect(retry.idempotent).toBe(true);
      expect(retry.events).toEqual(first.events);
      expect(retry.nextExpectedVersion).toBe(2);
      await h.expectNothingWritten(h.store, streamId, head, 2);
    });

    it('accepts an identical retry whose numeric expectedVersion is now stale', async () => {
      const streamId = newStreamId();
      const retried = newEvent('A', { n: 1 }, { id: randomUUID() });
      const first = await h.store.append(streamId, [retried], { expectedVersion: 0 });
      await h.store.append(streamId, [newEvent('B')], { expectedVersion: 1 });
      const head = await h.head();
      const retry = await h.store.append(streamId, [retried], { expectedVersion: 0 });
      expect(retry.idempotent).toBe(true);
      expect(retry.events).toEqual(first.events);
      // The version after the retried append, not the stream's current one: the caller must still
      // see the later event as a conflict on its next append.
      expect(retry.nextExpectedVersion).toBe(1);
      await h.expectNothingWritten(h.store, streamId, head, 2);
    });

    it("accepts an identical retry with expectedVersion 'any' and adds no global positions", async () => {
      const streamId = newStreamId();
      const events = [newEvent('A', { n: 1 }, { id: randomUUID() })];
      const first = await h.store.append(streamId, events);
      const headPosition = await h.store.headPosition();
      const retry = await h.store.append(streamId, events);
      expect(retry.idempotent).toBe(true);
      expect(retry.events.map((event) => event.globalPosition)).toEqual(first.events.map((event) => event.globalPosition));
      expect(await h.store.headPosition()).toBe(headPosition);
    });

    it('recognises a retry that spells its ids in upper case', async () => {
      const streamId = newStreamId();
      const id = randomUUID();
      const first = await h.store.append(streamId, [newEvent('A', { n: 1 }, { id: id.toUpperCase() })]);
      expect(first.events[0]?.id).toBe(id.toLowerCase());
      const retry = await h.store.append(streamId, [newEvent('A', { n: 1 }, { id })], { expectedVersion: 0 });
      expect(retry.idempotent).toBe(true);
    });

    it('refuses a used event id in another stream with DuplicateEventIdError and writes nothing', async () => {
      const id = randomUUID();
      const firstStream = newStreamId();
      const otherStream = newStreamId();
      await h.store.append(firstStream, [newEvent('A', { n: 1 }, { id })]);
      const head = await h.head();
      const error = await rejectionOf(() =>
        h.store.append(otherStream, [newEvent('A', { n: 1 }, { id })], { expectedVersion: 'no_stream' }),
      );
      expect(isDuplicateEventIdError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'EVENTFOLD_DUPLICATE_EVENT_ID', eventId: id, streamId: otherStream });
      expect(String(error.message)).toContain(id);
      await h.expectNothingWritten(h.store, otherStream, head);
      await h.expectNothingWritten(h.store, firstStream, head, 1);
    });

    it('refuses a used event id at another position of the same stream', async () => {
      const id = randomUUID();
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent('A', { n: 1 }, { id })]);
      const head = await h.head();
      const error = await rejectionOf(() =>
        h.store.append(streamId, [newEvent('A', { n: 1 }, { id })], { expectedVersion: 1 }),
      );
      expect(error).toMatchObject({ code: 'EVENTFOLD_DUPLICATE_EVENT_ID', eventId: id });
      await h.expectNothingWritten(h.store, streamId, head, 1);
    });

    it('refuses a used event id at the same position with different data', async () => {
      const id = randomUUID();
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent('A', { n: 1 }, { id })]);
      const head = await h.head();
      const error = await rejectionOf(() =>
        h.store.append(streamId, [newEvent('A', { n: 2 }, { id })], { expectedVersion: 0 }),
      );
      expect(error).toMatchObject({ code: 'EVENTFOLD_DUPLICATE_EVENT_ID', eventId: id });
      await h.expectNothingWritten(h.store, streamId, head, 1);
      expect((await readStream(h.store, streamId))[0]?.data).toEqual({ n: 1 });
    });

    it('refuses a used event id at the same position with a different type', async () => {
      const id = randomUUID();
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent('A', { n: 1 }, { id })]);
      const head = await h.head();
      const error = await rejectionOf(() =>
        h.store.append(streamId, [newEvent('B', { n: 1 }, { id })], { expectedVersion: 0 }),
      );
      expect(error).toMatchObject({ code: 'EVENTFOLD_DUPLICATE_EVENT_ID', eventId: id });
      await h.expectNothingWritten(h.store, streamId, head, 1);
    });

    it('refuses a retry that adds a new event to used ones, writing nothing', async () => {
      const id = randomUUID();
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent('A', { n: 1 }, { id })], { expectedVersion: 0 });
      const head = await h.head();
      const error = await rejectionOf(() =>
        h.store.append(streamId, [newEvent('A', { n: 1 }, { id }), newEvent('B')], { expectedVersion: 0 }),
      );
      expect(['EVENTFOLD_DUPLICATE_EVENT_ID', 'EVENTFOLD_CONCURRENCY']).toContain(error.code);
      await h.expectNothingWritten(h.store, streamId, head, 1);
    });
  });

  describe('event ids', () => {
    it('gives events without an id distinct generated UUIDs', async () => {
      const streamId = newStreamId();
      const result = await h.store.append(streamId, [newEvent(), newEvent(), newEvent()]);
      const ids = result.events.map((event) => event.id);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(new Set(ids).size).toBe(3);
      expect((await readStream(h.store, streamId)).map((event) => event.id)).toEqual(ids);
    });

    it('keeps the id a caller gives', async () => {
      const streamId = newStreamId();
      const id = randomUUID();
      const head = await h.head();
      const result = await h.store.append(streamId, [newEvent('A', { n: 1 }, { id })]);
      expect(result.events[0]?.id).toBe(id);
      const feed = await readFeedToEnd(h.store, head);
      expect(feed.events.filter((event) => event.streamId === streamId).map((event) => event.id)).toEqual([id]);
    });

    it.each(['not-a-uuid', '', '123e4567-e89b-12d3-a456-42661417400', '123e4567e89b12d3a456426614174000'])(
      'refuses the event id %j with InvalidArgumentError and writes nothing',
      async (id) => {
        const streamId = newStreamId();
        const head = await h.head();
        const error = await rejectionOf(() => h.store.append(streamId, [newEvent(), newEvent('A', {}, { id })]));
        expect(isInvalidArgumentError(error)).toBe(true);
        await h.expectNothingWritten(h.store, streamId, head);
      },
    );

    it('refuses one id used twice in one append and writes nothing', async () => {
      const streamId = newStreamId();
      const id = randomUUID();
      const head = await h.head();
      const error = await rejectionOf(() =>
        h.store.append(streamId, [newEvent('A', { n: 1 }, { id }), newEvent('A', { n: 1 }, { id })]),
      );
      expect(error.code).toBe('EVENTFOLD_INVALID_ARGUMENT');
      await h.expectNothingWritten(h.store, streamId, head);
    });
  });
}
