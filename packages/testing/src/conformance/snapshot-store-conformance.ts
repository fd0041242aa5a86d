import { randomUUID } from 'node:crypto';
import { isInvalidArgumentError, isInvalidStreamIdError, type Snapshot, type SnapshotStore } from '@eventfold/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceOptions } from './event-store-conformance';
import { rejectionOf } from './fixtures';

const streamId = (): string => `snapshot-${randomUUID()}`;

/**
 * Registers the SnapshotStore conformance suite: save/load/overwrite/delete, the latest save wins,
 * state and versions round-trip exactly, bad input is refused and changes nothing.
 */
export function snapshotStoreConformance(
  name: string,
  makeStore: () => Promise<SnapshotStore> | SnapshotStore,
  options: ConformanceOptions = {},
): void {
  describe(`SnapshotStore conformance: ${name}`, () => {
    let store: SnapshotStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await options.teardown?.();
    });

    it('loads undefined for a stream without a snapshot', async () => {
      expect(await store.load(streamId())).toBeUndefined();
    });

    it('saves and loads a snapshot with its state, versions and takenAt', async () => {
      const id = streamId();
      const state = { name: 'Room 1', seats: [1, 2, 3], owner: { id: 'u-1', vip: true }, note: null, text: 'Grüße 😀' };
      const before = Date.now();
      await store.save({ streamId: id, version: 7, state, schemaVersion: 2 });
      const loaded = await store.load(id);
      expect(loaded).toMatchObject({ streamId: id, version: 7, schemaVersion: 2, state });
      expect(loaded?.takenAt).toBeInstanceOf(Date);
      expect(Math.abs((loaded?.takenAt.getTime() ?? 0) - before)).toBeLessThan(60_000);
    });

    it('lets the latest save win', async () => {
      const id = streamId();
      await store.save({ streamId: id, version: 5, state: { at: 5 }, schemaVersion: 1 });
      await store.save({ streamId: id, version: 10, state: { at: 10 }, schemaVersion: 1 });
      expect(await store.load(id)).toMatchObject({ version: 10, state: { at: 10 } });
    });

    it('overwrites a snapshot saved again at the same version', async () => {
      const id = streamId();
      await store.save({ streamId: id, version: 3, state: { value: 'old' }, schemaVersion: 1 });
      await store.save({ streamId: id, version: 3, state: { value: 'new' }, schemaVersion: 2 });
      expect(await store.load(id)).toMatchObject({ version: 3, schemaVersion: 2, state: { value: 'new' } });
    });

    it('keeps snapshots of different streams apart', async () => {
      const first = streamId();
      const second = streamId();
      await store.save({ streamId: first, version: 1, state: 'first', schemaVersion: 1 });
      await store.save({ streamId: second, version: 2, state: 'second', schemaVersion: 1 });
      expect((await store.load(first))?.state).toBe('first');
      expect((await store.load(second))?.state).toBe('second');
    });

    it('deletes a snapshot, and deleting a missing one is harmless', async () => {
      const id = streamId();
      await store.save({ streamId: id, version: 1, state: {}, schemaVersion: 1 });
      await store.delete(id);
      expect(await store.load(id)).toBeUndefined();
      await expect(store.delete(id)).resolves.toBeUndefined();
      await expect(store.delete(streamId())).resolves.toBeUndefined();
    });

    it('round-trips null, arrays and numbers as state', async () => {
      for (const state of [null, [1, [2, { three: 3 }]], 0, 'text', { big: 9_007_199_254_740_991 }]) {
        const id = streamId();
        await store.save({ streamId: id, version: 1, state, schemaVersion: 1 });
        expect((await store.load(id))?.state).toEqual(state);
      }
    });

    it('is not changed by mutating the saved or the loaded state', async () => {
      const id = streamId();
      const state = { items: ['a'], nested: { value: 1 } };
      await store.save({ streamId: id, version: 1, state, schemaVersion: 1 });
      state.items.push('saved-then-changed');
      const loaded = (await store.load(id)) as Snapshot<typeof state>;
      loaded.state.nested.value = 99;
      expect((await store.load(id))?.state).toEqual({ items: ['a'], nested: { value: 1 } });
    });

    it.each<[string, Record<string, unknown>]>([
      ['a negative version', { version: -1 }],
      ['a fractional version', { version: 1.5 }],
      ['a non-numeric version', { version: '3' }],
      ['a negative schemaVersion', { schemaVersion: -2 }],
      ['state holding a BigInt', { state: { big: 1n } }],
      ['undefined state', { state: undefined }],
    ])('refuses %s with InvalidArgumentError and keeps the previous snapshot', async (_label, override) => {
      const id = streamId();
      await store.save({ streamId: id, version: 1, state: { kept: true }, schemaVersion: 1 });
      const bad = { streamId: id, version: 2, state: { kept: false }, schemaVersion: 1, ...override };
      const error = await rejectionOf(() => store.save(bad));
      expect(isInvalidArgumentError(error)).toBe(true);
      expect(await store.load(id)).toMatchObject({ version: 1, state: { kept: true } });
    });

    it('refuses empty and over-long stream ids with InvalidStreamIdError', async () => {
      for (const id of ['', 'x'.repeat(201)]) {
        const error = await rejectionOf(() => store.save({ streamId: id, version: 1, state: {}, schemaVersion: 1 }));
        expect(isInvalidStreamIdError(error)).toBe(true);
        expect(isInvalidStreamIdError(await rejectionOf(() => store.load(id)))).toBe(true);
      }
    });
  });
}
