import { describe, expect, it } from 'vitest';
import { createMemoryCheckpointStore } from './memory-checkpoint-store';
import { createMemorySnapshotStore } from './memory-snapshot-store';

describe('memory snapshot and checkpoint stores', () => {
  it('stamps takenAt from the injected clock', async () => {
    const store = createMemorySnapshotStore({ clock: () => new Date('2030-01-02T03:04:05.006Z') });
    await store.save({ streamId: 'room-1', version: 4, state: { open: true }, schemaVersion: 1 });
    expect((await store.load('room-1'))?.takenAt.toISOString()).toBe('2030-01-02T03:04:05.006Z');
  });

  it('stamps updatedAt from the injected clock and returns copies', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const store = createMemoryCheckpointStore({ clock: () => now });
    await store.save('projection', { transactionId: 1, position: 2 });
    now = new Date('2030-01-01T00:00:01.000Z');
    const loaded = await store.load('projection');
    expect(loaded?.updatedAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    loaded?.updatedAt.setTime(0);
    expect((await store.load('projection'))?.updatedAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('keeps each store instance separate', async () => {
    const first = createMemoryCheckpointStore();
    const second = createMemoryCheckpointStore();
    await first.save('projection', { transactionId: 1, position: 1 });
    expect(await second.load('projection')).toBeUndefined();
  });
});
