import type { RecordedEvent } from '@eventfold/shared-schema';
import { InvalidArgumentError } from './errors';
import { compareCheckpoints, START, type EventStore, type GlobalCheckpoint, type ReadAllPage } from './event-store';

export interface IterateAllOptions {
  /** Start strictly after this checkpoint. Default: the beginning of the feed. */
  readonly after?: GlobalCheckpoint | undefined;
  /** Only these event types (checkpoints still move past the others). */
  readonly types?: readonly string[] | undefined;
  /** Only these stream types. */
  readonly streamTypes?: readonly string[] | undefined;
  /** Events per `readAll` page, 1 to 10,000. Default 500. */
  readonly batchSize?: number | undefined;
  /** Stops the iteration (it throws the signal's reason) before the next page is read. */
  readonly signal?: AbortSignal | undefined;
}

const MAX_BATCH_SIZE = 10_000;

/**
 * The global feed page by page, from `after` until caught up (the first page with `hasMore: false`).
 * Each page carries the checkpoint to resume after its last event.
 */
export async function* iterateAllPages(store: EventStore, options: IterateAllOptions = {}): AsyncGenerator<ReadAllPage, void, undefined> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new InvalidArgumentError(`batchSize ${String(batchSize)} is not an integer from 1 to ${MAX_BATCH_SIZE}.`);
  }
  let after = options.after ?? START;
  for (;;) {
    options.signal?.throwIfAborted();
    const page = await store.readAll({
      after,
      limit: batchSize,
      ...(options.types !== undefined && { types: options.types }),
      ...(options.streamTypes !== undefined && { streamTypes: options.streamTypes }),
    });
    yield page;
    if (!page.hasMore) return;
    if (compareCheckpoints(page.checkpoint, after) <= 0) {
      // A store that says "more" without moving its checkpoint would make this loop forever.
      throw new Error(
        `readAll returned hasMore with a checkpoint (${page.checkpoint.transactionId}, ${page.checkpoint.position}) ` +
          `that does not move past (${after.transactionId}, ${after.position}); the store is broken.`,
      );
    }
    after = page.checkpoint;
  }
}

/**
 * Every event of the global feed after `after`, in feed order, until caught up. For a consumer that
 * must checkpoint as it goes, use {@link iterateAllPages}.
 *
 * ```ts
 * for await (const event of iterateAll(store, { types: ['ReservationCreated'] })) count++;
 * ```
 */
export async function* iterateAll(store: EventStore, options: IterateAllOptions = {}): AsyncGenerator<RecordedEvent, void, undefined> {
  for await (const page of iterateAllPages(store, options)) yield* page.events;
}
