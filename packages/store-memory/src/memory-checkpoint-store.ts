import {
  InvalidArgumentError,
  type CheckpointStatus,
  type CheckpointStore,
  type GlobalCheckpoint,
  type StoredCheckpoint,
} from '@eventfold/core';
import { parseCheckpoint } from './read-options';

export interface MemoryCheckpointStoreOptions {
  /** Source of `updatedAt`. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

const STATUSES: ReadonlySet<string> = new Set<CheckpointStatus>(['running', 'stopped', 'failed', 'rebuilding']);
const MAX_NAME_LENGTH = 200;

/**
 * In-memory checkpoints of named feed readers (projections, relays). A save that leaves out
 * `status` or `lastError` keeps the stored value (a new name starts as 'running' with no error).
 */
export function createMemoryCheckpointStore(options: MemoryCheckpointStoreOptions = {}): CheckpointStore {
  const clock = options.clock ?? (() => new Date());
  const checkpoints = new Map<string, StoredCheckpoint>();
  return {
    async load(name: string): Promise<StoredCheckpoint | undefined> {
      assertValidName(name);
      const stored = checkpoints.get(name);
      return stored === undefined ? undefined : { ...stored, checkpoint: { ...stored.checkpoint }, updatedAt: new Date(stored.updatedAt) };
    },

    async save(
      name: string,
      checkpoint: GlobalCheckpoint,
      saveOptions?: { readonly status?: CheckpointStatus; readonly lastError?: string | null },
    ): Promise<void> {
      assertValidName(name);
      const position = parseCheckpoint(checkpoint);
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
      const previous = checkpoints.get(name);
      checkpoints.set(name, {
        name,
        checkpoint: position,
        status: status ?? previous?.status ?? 'running',
        lastError: lastError === undefined ? (previous?.lastError ?? null) : lastError,
        updatedAt: new Date(clock().getTime()),
      });
    },

    async delete(name: string): Promise<void> {
      assertValidName(name);
      checkpoints.delete(name);
    },
  };
}

function assertValidName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(
      `Invalid checkpoint name ${JSON.stringify(String(name)).slice(0, 80)}: use a string of 1 to ${MAX_NAME_LENGTH} characters.`,
    );
  }
}
