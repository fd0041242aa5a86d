import { compareCheckpoints, type GlobalCheckpoint } from '@eventfold/core';

/** One page of the feed being published: it may be checkpointed once every message in it is confirmed. */
export interface WindowBatch {
  readonly checkpoint: GlobalCheckpoint;
  readonly size: number;
  /** Publishes (including republishes to the alternate exchange) the broker has not confirmed yet. */
  unconfirmed: number;
  /** All of the batch's messages have been handed to the channel. */
  sealed: boolean;
  /** When the batch's first event occurred (for the lag metric). */
  readonly firstOccurredAt: Date | undefined;
}

/**
 * The relay's bookkeeping between "published" and "checkpointed". Batches are checkpointed strictly
 * in feed order, and only once the broker confirmed every message of the batch and of every batch
 * before it. `unsettled` counts events published but not yet covered by a saved checkpoint; keeping
 * it under `maxInFlight` bounds both broker backpressure and the duplicates a crash can cause.
 */
export class PublishWindow {
  private readonly batches: WindowBatch[] = [];
  /** Confirmed batches whose checkpoint is not saved yet, oldest first. */
  private readonly awaitingSave: WindowBatch[] = [];
  private unsettledEvents = 0;

  constructor(readonly maxInFlight: number) {}

  get unsettled(): number {
    return this.unsettledEvents;
  }

  /** True while another event may be published without passing `maxInFlight`. */
  get hasCapacity(): boolean {
    return this.unsettledEvents < this.maxInFlight;
  }

  /** Nothing published is waiting for a confirm or a checkpoint save. */
  get isSettled(): boolean {
    return this.batches.length === 0 && this.awaitingSave.length === 0;
  }

  /** When the oldest event not yet confirmed occurred, if any is in the window. */
  get oldestPendingAt(): Date | undefined {
    return this.batches.find((batch) => batch.firstOccurredAt !== undefined)?.firstOccurredAt;
  }

  begin(checkpoint: GlobalCheckpoint, size: number, firstOccurredAt?: Date): WindowBatch {
    const batch: WindowBatch = { checkpoint, size, unconfirmed: 0, sealed: false, firstOccurredAt };
    this.batches.push(batch);
    return batch;
  }

  /** A message of `batch` was handed to the channel; `counted` is false for republishes of the same event. */
  published(batch: WindowBatch, counted = true): void {
    batch.unconfirmed += 1;
    if (counted) this.unsettledEvents += 1;
  }

  confirmed(batch: WindowBatch): void {
    batch.unconfirmed -= 1;
  }

  seal(batch: WindowBatch): void {
    batch.sealed = true;
  }

  /**
   * Moves every fully confirmed batch at the head of the window to "awaiting save". Returns true
   * when at least one moved.
   */
  collectConfirmed(): boolean {
    let moved = false;
    for (let head = this.batches[0]; head !== undefined && head.sealed && head.unconfirmed === 0; head = this.batches[0]) {
      this.batches.shift();
      this.awaitingSave.push(head);
      moved = true;
    }
    return moved;
  }

  /** The newest checkpoint that may be saved now (every event up to it is confirmed), if any. */
  get checkpointToSave(): GlobalCheckpoint | undefined {
    return this.awaitingSave.at(-1)?.checkpoint;
  }

  /** The checkpoint up to and including `checkpoint` is saved: its events stop counting as unsettled. */
  saved(checkpoint: GlobalCheckpoint): void {
    while (this.awaitingSave.length > 0) {
      const head = this.awaitingSave[0];
      if (head === undefined || compareCheckpoints(head.checkpoint, checkpoint) > 0) break;
      this.awaitingSave.shift();
      this.unsettledEvents -= head.size;
    }
  }
}
