import { randomUUID } from 'node:crypto';
import {
  isInvalidArgumentError,
  START,
  type CheckpointStatus,
  type CheckpointStore,
  type GlobalCheckpoint,
} from '@eventfold/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceOptions } from './event-store-conformance';
import { rejectionOf, waitUntilAfter } from './fixtures';

const checkpointName = (): string => `projection-${randomUUID()}`;

/**
 * Registers the CheckpointStore conformance suite: checkpoints round-trip exactly (also large
 * values), status and lastError persist, a save that omits them keeps the stored values, unknown
 * names load as undefined, bad input is refused and changes nothing.
 */
export function checkpointStoreConformance(
  name: string,
  makeStore: () => Promise<CheckpointStore> | CheckpointStore,
  options: ConformanceOptions = {},
): void {
  describe(`CheckpointStore conformance: ${name}`, () => {
    let store: CheckpointStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await options.teardown?.();
    });

    it('loads undefined for an unknown name', async () => {
      expect(await store.load(checkpointName())).toBeUndefined();
    });

    it('round-trips a checkpoint exactly, also at the largest safe integers', async () => {
      for (const checkpoint of [
        START,
        { transactionId: 17, position: 4 },
        { transactionId: 2 ** 40 + 3, position: Number.MAX_SAFE_INTEGER },
      ]) {
        const id = checkpointName();
        await store.save(id, checkpoint);
        const loaded = await store.load(id);
        expect(loaded?.checkpoint).toEqual(checkpoint);
        expect(loaded?.name).toBe(id);
      }
    });

    it("starts a new name as 'running' with no error and an updatedAt", async () => {
      const id = checkpointName();
      const before = Date.now();
      await store.save(id, { transactionId: 1, position: 1 });
      const loaded = await store.load(id);
      expect(loaded).toMatchObject({ name: id, status: 'running', lastError: null });
      expect(loaded?.updatedAt).toBeInstanceOf(Date);
      expect(Math.abs((loaded?.updatedAt.getTime() ?? 0) - before)).toBeLessThan(60_000);
    });

    it.each<CheckpointStatus>(['running', 'stopped', 'failed', 'rebuilding'])('persists status %s', async (status) => {
      const id = checkpointName();
      await store.save(id, { transactionId: 2, position: 3 }, { status });
      expect((await store.load(id))?.status).toBe(status);
    });

    it('persists lastError and clears it with null', async () => {
      const id = checkpointName();
      await store.save(id, { transactionId: 1, position: 1 }, { status: 'failed', lastError: 'projection threw: boom' });
      expect(await store.load(id)).toMatchObject({ status: 'failed', lastError: 'projection threw: boom' });
      await store.save(id, { transactionId: 1, position: 1 }, { status: 'running', lastError: null });
      expect(await store.load(id)).toMatchObject({ status: 'running', lastError: null });
    });

    it('overwrites the checkpoint and keeps status and lastError a save leaves out', async () => {
      const id = checkpointName();
      await store.save(id, { transactionId: 1, position: 1 }, { status: 'rebuilding', lastError: 'earlier failure' });
      const first = await store.load(id);
      if (first === undefined) return expect.unreachable();
      await waitUntilAfter(first.updatedAt);
      await store.save(id, { transactionId: 5, position: 9 });
      const loaded = await store.load(id);
      expect(loaded).toMatchObject({
        checkpoint: { transactionId: 5, position: 9 },
        status: 'rebuilding',
        lastError: 'earlier failure',
      });
      expect(loaded?.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    });

    it('deletes a checkpoint, and deleting a missing one is harmless', async () => {
      const id = checkpointName();
      await store.save(id, { transactionId: 1, position: 1 });
      await store.delete(id);
      expect(await store.load(id)).toBeUndefined();
      await expect(store.delete(id)).resolves.toBeUndefined();
    });

    it('keeps checkpoints of different names apart', async () => {
      const first = checkpointName();
      const second = checkpointName();
      await store.save(first, { transactionId: 1, position: 10 });
      await store.save(second, { transactionId: 2, position: 20 }, { status: 'stopped' });
      expect(await store.load(first)).toMatchObject({ checkpoint: { transactionId: 1, position: 10 }, status: 'running' });
      expect(await store.load(second)).toMatchObject({ checkpoint: { transactionId: 2, position: 20 }, status: 'stopped' });
    });

    it.each<[string, unknown]>([
      ['a negative position', { transactionId: 1, position: -1 }],
      ['a fractional transaction id', { transactionId: 1.5, position: 1 }],
      ['a missing position', { transactionId: 1 }],
      ['a string', '1:1'],
      ['null', null],
    ])('refuses %s as checkpoint with InvalidArgumentError and keeps the stored one', async (_label, checkpoint) => {
      const id = checkpointName();
      await store.save(id, { transactionId: 3, position: 3 });
      const error = await rejectionOf(() => store.save(id, checkpoint as GlobalCheckpoint));
      expect(isInvalidArgumentError(error)).toBe(true);
      expect((await store.load(id))?.checkpoint).toEqual({ transactionId: 3, position: 3 });
    });

    it('refuses an unknown status and an empty or over-long name', async () => {
      const id = checkpointName();
      const error = await rejectionOf(() =>
        store.save(id, START, { status: 'paused' as CheckpointStatus }),
      );
      expect(isInvalidArgumentError(error)).toBe(true);
      expect(await store.load(id)).toBeUndefined();
      for (const badName of ['', 'n'.repeat(201)]) {
        expect(isInvalidArgumentError(await rejectionOf(() => store.save(badName, START)))).toBe(true);
      }
    });
  });
}
