import {
  compareCheckpoints,
  isInvalidArgumentError,
  START,
  type GlobalCheckpoint,
  type ReadAllOptions,
  type RecordedEvent,
} from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { newEvent, newStreamId, numberedEvents, readFeedToEnd, rejectionOf, uniqueStreamType } from './fixtures';
import type { EventStoreHarness } from './harness';

const idsOf = (events: readonly RecordedEvent[]): string[] => events.map((event) => event.id);

export function readAllCases(h: EventStoreHarness): void {
  describe('readAll (the global feed)', () => {
    /** Appends 2 + 3 + 1 events to three streams of one unique stream type; returns them in append order. */
    async function appendSample(type: string = uniqueStreamType()): Promise<RecordedEvent[]> {
      const recorded: RecordedEvent[] = [];
      recorded.push(...(await h.store.append(newStreamId(type), numberedEvents(2, 'Opened'))).events);
      recorded.push(...(await h.store.append(newStreamId(type), numberedEvents(3, 'Moved'))).events);
      recorded.push(...(await h.store.append(newStreamId(type), [newEvent('Closed')])).events);
      return recorded;
    }

    it('delivers the events appended after a checkpoint, in append order', async () => {
      const head = await h.head();
      const appended = await appendSample();
      const feed = await readFeedToEnd(h.store, head);
      expect(idsOf(feed.events)).toEqual(idsOf(appended));
      expect(feed.events).toEqual(appended);
    });

    it('holds every event exactly once when read from START', async () => {
      const appended = await appendSample();
      const feed = await readFeedToEnd(h.store, START, { limit: 500 });
      const positions = new Map(feed.events.map((event, index) => [event.id, index]));
      expect(positions.size).toBe(feed.events.length);
      const indexes = appended.map((event) => positions.get(event.id) ?? -1);
      expect(indexes.every((index) => index >= 0)).toBe(true);
      expect([...indexes].sort((a, b) => a - b)).toEqual(indexes);
    });

    it('returns the checkpoint it was given when nothing new is readable', async () => {
      const head = await h.head();
      const page = await h.store.readAll({ after: head });
      expect(page.events).toEqual([]);
      expect(page.hasMore).toBe(false);
      expect(compareCheckpoints(page.checkpoint, head)).toBe(0);
    });

    it('cuts pages at limit with hasMore, and the last page says hasMore false', async () => {
      const head = await h.head();
      const appended = await appendSample();
      const first = await h.store.readAll({ after: head, limit: 4 });
      expect(idsOf(first.events)).toEqual(idsOf(appended.slice(0, 4)));
      expect(first.hasMore).toBe(true);
      const second = await h.store.readAll({ after: first.checkpoint, limit: 4 });
      expect(idsOf(second.events)).toEqual(idsOf(appended.slice(4)));
      expect(second.hasMore).toBe(false);
      const exact = await h.store.readAll({ after: head, limit: appended.length });
      expect(exact.events).toHaveLength(appended.length);
      expect(exact.hasMore).toBe(false);
    });

    it('never changes the order: pages of 1, 2 and 500 and a second read all agree', async () => {
      const head = await h.head();
      await appendSample();
      await appendSample();
      const reads = [
        await readFeedToEnd(h.store, head, { limit: 1 }),
        await readFeedToEnd(h.store, head, { limit: 2 }),
        await readFeedToEnd(h.store, head, { limit: 500 }),
        await readFeedToEnd(h.store, head, { limit: 500 }),
      ];
      const [byOne, ...others] = reads;
      expect(byOne?.events).toHaveLength(12);
      for (const read of others) {
        expect(idsOf(read.events)).toEqual(idsOf(byOne?.events ?? []));
        expect(compareCheckpoints(read.checkpoint, byOne?.checkpoint ?? START)).toBe(0);
      }
    });

    it('gives checkpoints that strictly increase page by page and compare after START', async () => {
      const head = await h.head();
      await appendSample();
      const checkpoints: GlobalCheckpoint[] = [head];
      for (;;) {
        const previous = checkpoints.at(-1) ?? head;
        const page = await h.store.readAll({ after: previous, limit: 1 });
        if (page.events.length === 0) break;
        checkpoints.push(page.checkpoint);
      }
      expect(checkpoints).toHaveLength(7);
      for (let index = 1; index < checkpoints.length; index += 1) {
        const before = checkpoints[index - 1] ?? START;
        const after = checkpoints[index] ?? START;
        expect(compareCheckpoints(after, before)).toBeGreaterThan(0);
        expect(compareCheckpoints(before, after)).toBeLessThan(0);
        expect(compareCheckpoints(after, { ...after })).toBe(0);
        expect(compareCheckpoints(after, START)).toBeGreaterThan(0);
      }
    });

    it('gives global positions that increase within an append and from one append to the next', async () => {
      const appended = await appendSample();
      const positions = appended.map((event) => event.globalPosition);
      expect(positions.every((position) => Number.isSafeInteger(position) && position > 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(new Set(positions).size).toBe(positions.length);
    });

    it('filters by event type', async () => {
      const head = await h.head();
      const appended = await appendSample();
      const feed = await readFeedToEnd(h.store, head, { types: ['Moved', 'Closed'] });
      expect(idsOf(feed.events)).toEqual(idsOf(appended.filter((event) => event.type !== 'Opened')));
    });

    it('filters by stream type', async () => {
      const type = uniqueStreamType();
      const head = await h.head();
      const wanted = await appendSample(type);
      await appendSample();
      const feed = await readFeedToEnd(h.store, head, { streamTypes: [type] });
      expect(idsOf(feed.events)).toEqual(idsOf(wanted));
    });

    it('combines type and stream type filters', async () => {
      const type = uniqueStreamType();
      const head = await h.head();
      const wanted = await appendSample(type);
      await appendSample();
      const feed = await readFeedToEnd(h.store, head, { streamTypes: [type], types: ['Moved'] });
      expect(idsOf(feed.events)).toEqual(idsOf(wanted.filter((event) => event.type === 'Moved')));
    });

    it('pages a filtered read with limit and hasMore', async () => {
      const type = uniqueStreamType();
      const head = await h.head();
      const wanted = await appendSample(type);
      const first = await h.store.readAll({ after: head, limit: 2, streamTypes: [type], types: ['Moved'] });
      expect(idsOf(first.events)).toEqual(idsOf(wanted.filter((event) => event.type === 'Moved').slice(0, 2)));
      expect(first.hasMore).toBe(true);
      const rest = await readFeedToEnd(h.store, first.checkpoint, { streamTypes: [type], types: ['Moved'] });
      expect(idsOf(rest.events)).toEqual(idsOf(wanted.filter((event) => event.type === 'Moved').slice(2)));
    });

    it('moves a filtered checkpoint past the events it skipped', async () => {
      const head = await h.head();
      await appendSample();
      const filtered = await readFeedToEnd(h.store, head, { types: ['NoSuchType'] });
      expect(filtered.events).toEqual([]);
      expect(compareCheckpoints(filtered.checkpoint, head)).toBeGreaterThan(0);
      const unfiltered = await readFeedToEnd(h.store, filtered.checkpoint);
      expect(unfiltered.events).toEqual([]);
    });

    it('moves past events skipped by a stream type filter, and later events still arrive', async () => {
      const type = uniqueStreamType();
      const head = await h.head();
      await appendSample();
      const skipped = await readFeedToEnd(h.store, head, { streamTypes: [type] });
      expect(compareCheckpoints(skipped.checkpoint, head)).toBeGreaterThan(0);
      const later = await appendSample(type);
      const next = await readFeedToEnd(h.store, skipped.checkpoint, { streamTypes: [type] });
      expect(idsOf(next.events)).toEqual(idsOf(later));
    });

    it.each<[string, ReadAllOptions]>([
      ['limit 0', { limit: 0 }],
      ['limit -1', { limit: -1 }],
      ['limit 1.5', { limit: 1.5 }],
      ['a limit over 100,000', { limit: 100_001 }],
      ['a checkpoint with a negative position', { after: { transactionId: 0, position: -1 } }],
      ['a checkpoint that is not an object', { after: 5 as unknown as GlobalCheckpoint }],
      ['types that are not an array', { types: 'Opened' as unknown as string[] }],
    ])('refuses %s with InvalidArgumentError', async (_label, options) => {
      const error = await rejectionOf(() => h.store.readAll(options));
      expect(isInvalidArgumentError(error)).toBe(true);
    });
  });
}
