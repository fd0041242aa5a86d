import type { AppendResult, EventStore, GlobalCheckpoint, RecordedEvent } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { newEvent, newStreamId, readFeedToEnd, readStream, rejectionOf, settleWithin, sleep } from './fixtures';
import type { EventStoreHarness } from './harness';

/** A transaction kept open after one append until the test commits or rolls it back. */
interface OpenTransaction {
  /** The append made inside the transaction, once it is done. */
  readonly appended: Promise<AppendResult>;
  /** Settles when withTransaction returns. */
  readonly finished: Promise<void>;
  commit(): void;
  rollBack(error: Error): void;
}

function openTransaction(store: EventStore, streamId: string): OpenTransaction {
  let release: (error: Error | undefined) => void = () => undefined;
  const released = new Promise<Error | undefined>((resolve) => {
    release = resolve;
  });
  let reportAppend: (result: AppendResult) => void = () => undefined;
  let reportFailure: (error: unknown) => void = () => undefined;
  const appended = new Promise<AppendResult>((resolve, reject) => {
    reportAppend = resolve;
    reportFailure = reject;
  });
  const finished = store.withTransaction(async ({ store: transactional }) => {
    reportAppend(await transactional.append(streamId, [newEvent('InTransaction', { slow: true })]));
    const error = await released;
    if (error !== undefined) throw error;
  });
  // Whatever ends the transaction before its append (a store error) must fail `appended` too.
  void finished.catch(reportFailure);
  return { appended, finished, commit: () => release(undefined), rollBack: (error) => release(error) };
}

/** Reads the feed repeatedly like a projection runner, remembering every event and its checkpoint. */
class FeedFollower {
  readonly delivered: RecordedEvent[] = [];

  constructor(
    private readonly store: EventStore,
    public checkpoint: GlobalCheckpoint,
  ) {}

  async poll(): Promise<void> {
    const read = await readFeedToEnd(this.store, this.checkpoint);
    this.delivered.push(...read.events);
    this.checkpoint = read.checkpoint;
  }

  countOf(eventId: string | undefined): number {
    return this.delivered.filter((event) => event.id === eventId).length;
  }
}

/**
 * How long a case lets a read run while a transaction is open. A store may hold reads back until
 * the commit (PGlite runs one query at a time); then the case checks what they return afterwards.
 */
const OPEN_TRANSACTION_READ_MS = 300;

export function transactionCases(h: EventStoreHarness): void {
  describe('withTransaction', () => {
    it('commits every append of the callback together', async () => {
      const first = newStreamId();
      const second = newStreamId();
      const head = await h.head();
      await h.store.withTransaction(async ({ store }) => {
        await store.append(first, [newEvent('A')]);
        await store.append(second, [newEvent('B'), newEvent('C')]);
        await store.append(first, [newEvent('D')], { expectedVersion: 1 });
      });
      expect(await h.store.streamVersion(first)).toBe(2);
      expect(await h.store.streamVersion(second)).toBe(2);
      const feed = await readFeedToEnd(h.store, head);
      expect(feed.events.map((event) => event.type).sort()).toEqual(['A', 'B', 'C', 'D']);
    });

    it("returns the callback's result", async () => {
      const result = await h.store.withTransaction(async ({ store }) => {
        await store.append(newStreamId(), [newEvent()]);
        return { answer: 42 };
      });
      expect(result).toEqual({ answer: 42 });
    });

    it('rolls back every append when the callback throws, and rethrows the same error', async () => {
      const first = newStreamId();
      const existing = newStreamId();
      await h.store.append(existing, [newEvent()]);
      const head = await h.head();
      const failure = new Error('decided to fail');
      const error = await rejectionOf(() =>
        h.store.withTransaction(async ({ store }) => {
          await store.append(first, [newEvent('A')]);
          await store.append(existing, [newEvent('B')], { expectedVersion: 1 });
          throw failure;
        }),
      );
      expect(error).toBe(failure);
      await h.expectNothingWritten(h.store, first, head);
      await h.expectNothingWritten(h.store, existing, head, 1);
    });

    it('lets reads through scope.store see the transaction’s own appends', async () => {
      const streamId = newStreamId();
      await h.store.withTransaction(async ({ store }) => {
        await store.append(streamId, [newEvent('A'), newEvent('B')]);
        expect(await store.streamVersion(streamId)).toBe(2);
        expect(await store.streamExists(streamId)).toBe(true);
        expect((await readStream(store, streamId)).map((event) => event.type)).toEqual(['A', 'B']);
        expect((await store.streamInfo(streamId))?.version).toBe(2);
        const next = await store.append(streamId, [newEvent('C')], { expectedVersion: 2 });
        expect(next.nextExpectedVersion).toBe(3);
      });
      expect(await h.store.streamVersion(streamId)).toBe(3);
    });

    it('keeps appends invisible to other readers until commit', async () => {
      const streamId = newStreamId();
      const head = await h.head();
      const transaction = openTransaction(h.store, streamId);
      try {
        const [recorded] = (await transaction.appended).events;
        const outsideView = (async () => ({
          version: await h.store.streamVersion(streamId),
          exists: await h.store.streamExists(streamId),
          info: await h.store.streamInfo(streamId),
          events: await readStream(h.store, streamId),
          feed: (await readFeedToEnd(h.store, head)).events,
        }))();
        const whileOpen = await settleWithin(outsideView, OPEN_TRANSACTION_READ_MS);
        if (whileOpen.settled) {
          expect(whileOpen.value).toEqual({ version: 0, exists: false, info: undefined, events: [], feed: [] });
        }
        transaction.commit();
        await transaction.finished;
        await outsideView;
        expect(await h.store.streamVersion(streamId)).toBe(1);
        expect((await readStream(h.store, streamId)).map((event) => event.id)).toEqual([recorded?.id]);
      } finally {
        // A failed assertion must not leave the transaction (and a serialising store) blocked.
        transaction.commit();
      }
    });
  });

  describe('gap safety', () => {
    it('never lets a reader pass an event of an open transaction, and delivers both events once after commit', async () => {
      const slowStream = newStreamId();
      const fastStream = newStreamId();
      const follower = new FeedFollower(h.store, await h.head());
      const transaction = openTransaction(h.store, slowStream);
      try {
        const slowEvent = (await transaction.appended).events[0];
        // Started, not awaited: a store that serialises writers finishes it only after the commit.
        let fastSettled = false;
        const fastAppend = h.store.append(fastStream, [newEvent('OutsideTransaction')]).finally(() => {
          fastSettled = true;
        });
        let committing = false;
        const followWhileOpen = (async () => {
          for (let round = 0; round < 20 && !fastSettled && !committing; round += 1) {
            await follower.poll();
            await sleep(10);
          }
          // The outside append committed first (stores that do not serialise writers): read past it.
          for (let round = 0; round < 3 && !committing; round += 1) await follower.poll();
        })();
        await settleWithin(followWhileOpen, OPEN_TRANSACTION_READ_MS + 300);
        const deliveredWhileOpen = follower.delivered.map((event) => event.id);
        expect(deliveredWhileOpen).not.toContain(slowEvent?.id);

        committing = true;
        transaction.commit();
        await transaction.finished;
        await followWhileOpen;
        const fastEvent = (await fastAppend).events[0];
        await follower.poll();
        await follower.poll();
        expect(follower.countOf(slowEvent?.id)).toBe(1);
        expect(follower.countOf(fastEvent?.id)).toBe(1);
        expect(follower.delivered.map((event) => event.streamId).sort()).toEqual([fastStream, slowStream].sort());
      } finally {
        transaction.commit();
      }
    });

    it('never delivers the events of a rolled-back transaction and leaves the stream version unchanged', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent('Before')]);
      const follower = new FeedFollower(h.store, await h.head());
      const transaction = openTransaction(h.store, streamId);
      const failure = new Error('roll back');
      try {
        const [staged] = (await transaction.appended).events;
        expect(staged?.version).toBe(2);
        const pollWhileOpen = follower.poll();
        await settleWithin(pollWhileOpen, OPEN_TRANSACTION_READ_MS);
        transaction.rollBack(failure);
        await expect(transaction.finished).rejects.toBe(failure);
        await pollWhileOpen;
        expect(await h.store.streamVersion(streamId)).toBe(1);
        const after = await h.store.append(streamId, [newEvent('After')], { expectedVersion: 1 });
        await follower.poll();
        expect(follower.countOf(staged?.id)).toBe(0);
        expect(follower.delivered.map((event) => event.type)).toEqual(['After']);
        expect(after.events[0]?.version).toBe(2);
        expect((await readStream(h.store, streamId)).map((event) => event.type)).toEqual(['Before', 'After']);
      } finally {
        transaction.rollBack(failure);
      }
    });
  });
}
