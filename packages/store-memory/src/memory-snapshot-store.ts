import { assertValidStreamId, InvalidArgumentError, toJsonText, type Snapshot, type SnapshotStore } from '@eventfold/core';

export interface MemorySnapshotStoreOptions {
  /** Source of `takenAt`. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

interface StoredSnapshot {
  readonly version: number;
  readonly schemaVersion: number;
  readonly stateJson: string;
  readonly takenAt: number;
}

/**
 * In-memory snapshots, one per stream: the latest save wins. State is kept as JSON text, so a
 * loaded snapshot is always a fresh copy and holds exactly what a JSON column would.
 */
export function createMemorySnapshotStore(options: MemorySnapshotStoreOptions = {}): SnapshotStore {
  const clock = options.clock ?? (() => new Date());
  const snapshots = new Map<string, StoredSnapshot>();
  return {
    async save(snapshot: Omit<Snapshot, 'takenAt'>): Promise<void> {
      if (typeof snapshot !== 'object' || snapshot === null) {
        throw new InvalidArgumentError('A snapshot must be an object { streamId, version, state, schemaVersion }.');
      }
      const { streamId, version, schemaVersion, state } = snapshot;
      assertValidStreamId(streamId);
      assertNonNegativeInteger(`Snapshot version of "${streamId}"`, version);
      assertNonNegativeInteger(`Snapshot schemaVersion of "${streamId}"`, schemaVersion);
      const stateJson = toJsonText(`Snapshot state of "${streamId}"`, state);
      snapshots.set(streamId, { version, schemaVersion, stateJson, takenAt: clock().getTime() });
    },

    async load(streamId: string): Promise<Snapshot | undefined> {
      assertValidStreamId(streamId);
      const stored = snapshots.get(streamId);
      if (stored === undefined) return undefined;
      return {
        streamId,
        version: stored.version,
        schemaVersion: stored.schemaVersion,
        state: JSON.parse(stored.stateJson) as unknown,
        takenAt: new Date(stored.takenAt),
      };
    },

    async delete(streamId: string): Promise<void> {
      assertValidStreamId(streamId);
      snapshots.delete(streamId);
    },
  };
}

function assertNonNegativeInteger(what: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} is ${String(value)}; use an integer >= 0.`);
  }
}
