import { InvalidArgumentError, toJsonText, type Snapshot, type SnapshotStore } from '@eventfold/core';
import { sqlClientOf, type EventfoldDatabase } from './driver';
import { DEFAULT_SCHEMA, assertValidSchemaName } from './schema-name';
import { storeStatements } from './statements';
import { assertStorableStreamId } from './text-values';

export interface PostgresSnapshotStoreOptions {
  /** A Drizzle database or transaction on node-postgres or PGlite. */
  readonly db: EventfoldDatabase;
  /** Default `'eventfold'`. */
  readonly schema?: string;
}

interface SnapshotRow {
  readonly stream_id: string;
  readonly version: number;
  readonly schema_version: number;
  readonly state: unknown;
  readonly taken_at: Date;
}

/**
 * Snapshots in `<schema>.snapshots`, one per stream: the latest save wins. Snapshots are an
 * optimisation only; deleting them never changes a loaded aggregate.
 */
export function createPostgresSnapshotStore(options: PostgresSnapshotStoreOptions): SnapshotStore {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertValidSchemaName(schema);
  const client = sqlClientOf(options.db);
  const statements = storeStatements(schema);
  return {
    async save(snapshot: Omit<Snapshot, 'takenAt'>): Promise<void> {
      if (typeof snapshot !== 'object' || snapshot === null) {
        throw new InvalidArgumentError('A snapshot must be an object { streamId, version, state, schemaVersion }.');
      }
      const { streamId, version, schemaVersion, state } = snapshot;
      assertStorableStreamId(streamId);
      assertInt4(`Snapshot version of "${streamId}"`, version);
      assertInt4(`Snapshot schemaVersion of "${streamId}"`, schemaVersion);
      const stateJson = toJsonText(`Snapshot state of "${streamId}"`, state);
      await client.query(statements.snapshotSave, [streamId, version, schemaVersion, stateJson]);
    },

    async load(streamId: string): Promise<Snapshot | undefined> {
      assertStorableStreamId(streamId);
      const [row] = await client.query<SnapshotRow>(statements.snapshotLoad, [streamId]);
      if (row === undefined) return undefined;
      return { streamId: row.stream_id, version: row.version, schemaVersion: row.schema_version, state: row.state, takenAt: row.taken_at };
    },

    async delete(streamId: string): Promise<void> {
      assertStorableStreamId(streamId);
      await client.query(statements.snapshotDelete, [streamId]);
    },
  };
}

function assertInt4(what: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647) {
    throw new InvalidArgumentError(`${what} is ${String(value)}; use an integer from 0 to 2147483647.`);
  }
}
