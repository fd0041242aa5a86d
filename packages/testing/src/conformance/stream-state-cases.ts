import { START } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { newEvent, newStreamId, numberedEvents, settleWithin, sleep, waitUntilAfter } from './fixtures';
import type { EventStoreHarness } from './harness';

/** A wait far longer than any case may take: a wait that ends must have ended for its own reason. */
const LONG_TIMEOUT_MS = 600_000;
/** How long a wake-up may take before a case calls the wait stuck (a liveness bound, not a benchmark). */
const WAKE_UP_BOUND_MS = 10_000;

export function streamStateCases(h: EventStoreHarness): void {
  describe('stream state', () => {
    it('reports a missing stream as version 0, not existing, without info', async () => {
      const streamId = newStreamId();
      expect(await h.store.streamVersion(streamId)).toBe(0);
      expect(await h.store.streamExists(streamId)).toBe(false);
      expect(await h.store.streamInfo(streamId)).toBeUndefined();
    });

    it('reports version, existence and info of a stream', async () => {
      const streamId = newStreamId();
      const [first] = (await h.store.append(streamId, numberedEvents(2))).events;
      if (first === undefined) return expect.unreachable();
      expect(await h.store.streamVersion(streamId)).toBe(2);
      expect(await h.store.streamExists(streamId)).toBe(true);
      const info = await h.store.streamInfo(streamId);
      expect(info).toMatchObject({ streamId, streamType: first.streamType, version: 2 });
      expect(info?.createdAt).toBeInstanceOf(Date);
      expect(info?.createdAt.getTime()).toBe(first.occurredAt.getTime());
      expect(info?.updatedAt.getTime()).toBeGreaterThanOrEqual(info?.createdAt.getTime() ?? 0);
    });

    it('moves updatedAt but not createdAt when a stream grows', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent()]);
      const before = await h.store.streamInfo(streamId);
      if (before === undefined) return expect.unreachable();
      await waitUntilAfter(before.updatedAt);
      const [later] = (await h.store.append(streamId, [newEvent()])).events;
      const after = await h.store.streamInfo(streamId);
      expect(after?.version).toBe(2);
      expect(after?.createdAt.getTime()).toBe(before.createdAt.getTime());
      expect(after?.updatedAt.getTime()).toBe(later?.occurredAt.getTime());
      expect(after?.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    });

    it('reports the highest global position as headPosition', async () => {
      const before = await h.store.headPosition();
      expect(Number.isSafeInteger(before) && before >= 0).toBe(true);
      const appended = await h.store.append(newStreamId(), numberedEvents(3));
      const last = appended.events.at(-1)?.globalPosition ?? 0;
      expect(last).toBeGreaterThan(before);
      expect(await h.store.headPosition()).toBe(last);
    });
  });

  describe('waitForEvents', () => {
    it('wakes up promptly when another caller appends', async () => {
      const head = await h.head();
      const waiting = h.store.waitForEvents(head, { timeoutMs: LONG_TIMEOUT_MS });
      await sleep(20);
      await h.store.append(newStreamId(), [newEvent()]);
      expect((await settleWithin(waiting, WAKE_UP_BOUND_MS)).settled).toBe(true);
      await expect(waiting).resolves.toBeUndefined();
    });

    it('resolves at once when events already exist after the checkpoint', async () => {
      const head = await h.head();
      await h.store.append(newStreamId(), [newEvent()]);
      const waiting = h.store.waitForEvents(head, { timeoutMs: LONG_TIMEOUT_MS });
      expect((await settleWithin(waiting, WAKE_UP_BOUND_MS)).settled).toBe(true);
      const fromStart = h.store.waitForEvents(START, { timeoutMs: LONG_TIMEOUT_MS });
      expect((await settleWithin(fromStart, WAKE_UP_BOUND_MS)).settled).toBe(true);
    });

    it('resolves when timeoutMs passes without news', async () => {
      const head = await h.head();
      await expect(h.store.waitForEvents(head, { timeoutMs: 30 })).resolves.toBeUndefined();
    });

    it("rejects with the signal's reason when aborted while waiting", async () => {
      const head = await h.head();
      const controller = new AbortController();
      const waiting = h.store.waitForEvents(head, { timeoutMs: LONG_TIMEOUT_MS, signal: controller.signal });
      const reason = new Error('shutting down');
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
    });

    it('rejects with an AbortError when aborted without a reason', async () => {
      const head = await h.head();
      const controller = new AbortController();
      const waiting = h.store.waitForEvents(head, { timeoutMs: LONG_TIMEOUT_MS, signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    });

    it('rejects at once when the signal is already aborted', async () => {
      const head = await h.head();
      const reason = new Error('already stopped');
      await expect(
        h.store.waitForEvents(head, { timeoutMs: LONG_TIMEOUT_MS, signal: AbortSignal.abort(reason) }),
      ).rejects.toBe(reason);
    });
  });
}
