import { isInvalidArgumentError, isInvalidStreamIdError, type ReadStreamOptions, type RecordedEvent } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { newEvent, newStreamId, numberedEvents, readStream, rejectionOf, waitUntilAfter } from './fixtures';
import type { EventStoreHarness } from './harness';

const versionsOf = (events: readonly RecordedEvent[]): number[] => events.map((event) => event.version);

export function readStreamCases(h: EventStoreHarness): void {
  describe('readStream', () => {
    async function fiveEventStream(): Promise<string> {
      const streamId = newStreamId();
      await h.store.append(streamId, numberedEvents(5));
      return streamId;
    }

    it('reads forwards by default', async () => {
      const streamId = await fiveEventStream();
      const events = await readStream(h.store, streamId);
      expect(versionsOf(events)).toEqual([1, 2, 3, 4, 5]);
      expect(events.map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
    });

    it('reads backwards', async () => {
      const streamId = await fiveEventStream();
      expect(versionsOf(await readStream(h.store, streamId, { direction: 'backwards' }))).toEqual([5, 4, 3, 2, 1]);
    });

    it('reads from and to a version, both inclusive', async () => {
      const streamId = await fiveEventStream();
      expect(versionsOf(await readStream(h.store, streamId, { fromVersion: 2, toVersion: 4 }))).toEqual([2, 3, 4]);
      expect(versionsOf(await readStream(h.store, streamId, { fromVersion: 4 }))).toEqual([4, 5]);
      expect(versionsOf(await readStream(h.store, streamId, { toVersion: 2 }))).toEqual([1, 2]);
      expect(versionsOf(await readStream(h.store, streamId, { fromVersion: 3, toVersion: 3 }))).toEqual([3]);
    });

    it('reads a version range backwards', async () => {
      const streamId = await fiveEventStream();
      const options: ReadStreamOptions = { direction: 'backwards', fromVersion: 2, toVersion: 4 };
      expect(versionsOf(await readStream(h.store, streamId, options))).toEqual([4, 3, 2]);
    });

    it('limits forwards to the first and backwards to the last events', async () => {
      const streamId = await fiveEventStream();
      expect(versionsOf(await readStream(h.store, streamId, { limit: 2 }))).toEqual([1, 2]);
      expect(versionsOf(await readStream(h.store, streamId, { limit: 2, direction: 'backwards' }))).toEqual([5, 4]);
      expect(versionsOf(await readStream(h.store, streamId, { limit: 2, fromVersion: 3 }))).toEqual([3, 4]);
      expect(versionsOf(await readStream(h.store, streamId, { limit: 50 }))).toEqual([1, 2, 3, 4, 5]);
    });

    it('yields nothing past the last version or for a range that is empty', async () => {
      const streamId = await fiveEventStream();
      expect(await readStream(h.store, streamId, { fromVersion: 6 })).toEqual([]);
      expect(await readStream(h.store, streamId, { fromVersion: 4, toVersion: 3 })).toEqual([]);
      expect(await readStream(h.store, streamId, { toVersion: 0 })).toEqual([]);
    });

    it('reads from the start for fromVersion 0, and to the end for a toVersion past any int4', async () => {
      const streamId = await fiveEventStream();
      expect(versionsOf(await readStream(h.store, streamId, { fromVersion: 0 }))).toEqual([1, 2, 3, 4, 5]);
      expect(versionsOf(await readStream(h.store, streamId, { fromVersion: 0, toVersion: 2 }))).toEqual([1, 2]);
      expect(versionsOf(await readStream(h.store, streamId, { fromVersion: 4, toVersion: Number.MAX_SAFE_INTEGER }))).toEqual([4, 5]);
    });

    it('reads a stream as of a time: only events that occurred at or before it', async () => {
      const streamId = newStreamId();
      const recorded: RecordedEvent[] = [];
      for (let n = 1; n <= 3; n += 1) {
        const previous = recorded.at(-1);
        if (previous !== undefined) await waitUntilAfter(previous.occurredAt);
        recorded.push(...(await h.store.append(streamId, [newEvent('Step', { n })])).events);
      }
      const [first, second, third] = recorded;
      if (first === undefined || second === undefined || third === undefined) return expect.unreachable();
      expect(second.occurredAt.getTime()).toBeGreaterThan(first.occurredAt.getTime());
      expect(third.occurredAt.getTime()).toBeGreaterThan(second.occurredAt.getTime());
      expect(versionsOf(await readStream(h.store, streamId, { asOf: second.occurredAt }))).toEqual([1, 2]);
      expect(versionsOf(await readStream(h.store, streamId, { asOf: first.occurredAt }))).toEqual([1]);
      expect(versionsOf(await readStream(h.store, streamId, { asOf: third.occurredAt }))).toEqual([1, 2, 3]);
      const justBefore = new Date(second.occurredAt.getTime() - 1);
      expect(versionsOf(await readStream(h.store, streamId, { asOf: justBefore }))).toEqual([1]);
      const backwards = await readStream(h.store, streamId, { asOf: second.occurredAt, direction: 'backwards' });
      expect(versionsOf(backwards)).toEqual([2, 1]);
    });

    it('yields nothing as of a time before the first event', async () => {
      const streamId = newStreamId();
      const [event] = (await h.store.append(streamId, [newEvent()])).events;
      if (event === undefined) return expect.unreachable();
      const before = new Date(event.occurredAt.getTime() - 1000);
      expect(await readStream(h.store, streamId, { asOf: before })).toEqual([]);
    });

    it('yields nothing for a stream that does not exist', async () => {
      expect(await readStream(h.store, newStreamId())).toEqual([]);
      expect(await readStream(h.store, newStreamId(), { direction: 'backwards' })).toEqual([]);
    });

    it('reads a 1,200-event stream completely and in order', async () => {
      const streamId = newStreamId();
      for (let batch = 0; batch < 12; batch += 1) {
        const events = Array.from({ length: 100 }, (_, index) => newEvent('Bulk', { n: batch * 100 + index + 1 }));
        await h.store.append(streamId, events, { expectedVersion: batch * 100 });
      }
      const forwards = await readStream(h.store, streamId);
      expect(forwards).toHaveLength(1200);
      expect(forwards.every((event, index) => event.version === index + 1 && (event.data as { n: number }).n === index + 1)).toBe(true);
      const backwards = await readStream(h.store, streamId, { direction: 'backwards' });
      expect(backwards.map((event) => event.id)).toEqual(forwards.map((event) => event.id).reverse());
      const middle = await readStream(h.store, streamId, { fromVersion: 550, toVersion: 1150 });
      expect(versionsOf(middle)).toEqual(Array.from({ length: 601 }, (_, index) => index + 550));
    });

    it.each<[string, ReadStreamOptions]>([
      ['fromVersion -1', { fromVersion: -1 }],
      ['fromVersion 1.5', { fromVersion: 1.5 }],
      ['toVersion -1', { toVersion: -1 }],
      ['limit 0', { limit: 0 }],
      ['direction sideways', { direction: 'sideways' as 'forwards' }],
      ['an invalid asOf date', { asOf: new Date(Number.NaN) }],
    ])('refuses %s with InvalidArgumentError', async (_label, options) => {
      const streamId = await fiveEventStream();
      const error = await rejectionOf(() => readStream(h.store, streamId, options));
      expect(isInvalidArgumentError(error)).toBe(true);
    });

    it('refuses an empty or over-long stream id with InvalidStreamIdError', async () => {
      expect(isInvalidStreamIdError(await rejectionOf(() => readStream(h.store, '')))).toBe(true);
      expect(isInvalidStreamIdError(await rejectionOf(() => readStream(h.store, 'x'.repeat(201))))).toBe(true);
    });
  });
}
