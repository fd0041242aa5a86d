import {
  InvalidArgumentError,
  type CheckpointStatus,
  type CheckpointStore,
  type GlobalCheckpoint,
  type StoredCheckpoint,
} from '@eventfold/core';
import { sqlClientOf, type EventfoldDatabase } from './driver';
import { parseCheckpoint } from './read-options';
import { DEFAULT_SCHEMA, assertValidSchemaName } from './schema-name';
import { storeStatements } from './statements';
import { hasNul } from './text-values';

export interface PostgresCheckpointStoreOptions {
  /**
   * A Drizzle database or transaction on node-postgres or PGlite. Pass the transaction your
   * read-model writes run in to save the checkpoint in the same commit.
   */
  readonly db: EventfoldDatabase;
  /** Default `'eventfold'`. */
  readonly schema?: string;
}

const STATUSES: ReadonlySet<string> = new Set<CheckpointStatus>(['running', 'stopped', 'failed', 'rebuilding']);
const MAX_NAME_LENGTH = 200;

interface CheckpointRow {
  readonly name: string;
  readonly transaction_id: string;
  readonly position: string;
  readonly status: CheckpointStatus;
  readonly last_error: string | null;
  readonly updated_at: Date;
}

/**
 * Checkpoints of named feed readers (projections, relays) in `<schema>.checkpoints`. A save that
 * leaves out `status` or `lastError` keeps the stored value (a new name starts as 'running' with
 * no error).
 */
export function createPostgresCheckpointStore(options: PostgresCheckpointStoreOptions): CheckpointStore {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertValidSchemaName(schema);
  const client = sqlClientOf(options.db);
  const statements = storeStatements(schema);
  return {
    async load(name: string): Promise<StoredCheckpoint | undefined> {
      assertValidName(name);
      const [row] = await client.query<CheckpointRow>(statements.checkpointLoad, [name]);
      if (row === undefined) return undefined;
      return {
        name: row.name,
        checkpoint: { transactionId: Number(row.transaction_id), position: Number(row.position) },
        status: row.status,
        lastError: row.last_error,
        updatedAt: row.updated_at,
      };
    },

    async save(
      name: string,
      checkpoint: GlobalCheckpoint,
      saveOptions?: { readonly status?: CheckpointStatus; readonly lastError?: string | null },
    ): Promise<void> {
      assertValidName(name);
      const { transactionId, position } = parseCheckpoint(checkpoint);
      const status = saveOptions?.status;
      if (status !== undefined && !STATUSES.has(status)) {
        throw new InvalidArgumentError(
          `Invalid status ${JSON.stringify(status)} for checkpoint "${name}": use ${[...STATUSES].join(', ')}.`,
        );
      }
      const lastError = saveOptions?.lastError;
      if (lastError !== undefined && lastError !== null && typeof lastError !== 'string') {
        throw new InvalidArgumentError(`Invalid lastError for checkpoint "${name}": use a string or null.`);
      }
      if (typeof lastError === 'string' && hasNul(lastError)) {
        throw new InvalidArgumentError(`Invalid lastError for checkpoint "${name}": it contains a NUL character.`);
      }
      await client.query(statements.checkpointSave, [
        name,
        transactionId,
        position,
        status ?? null,
        lastError ?? null,
        lastError !== undefined,
      ]);
    },

    async delete(name: string): Promise<void> {
      assertValidName(name);
      await client.query(statements.checkpointDelete, [name]);
    },
  };
}

function assertValidName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || hasNul(name)) {
    throw new InvalidArgumentError(
      `Invalid checkpoint name ${JSON.stringify(String(name)).slice(0, 80)}: use a string of 1 to ${MAX_NAME_LENGTH} characters, without NUL.`,
    );
  }
}
