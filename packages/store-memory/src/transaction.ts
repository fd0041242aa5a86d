import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidArgumentError } from '@eventfold/core';
import { StagedWrites, type EventLog } from './event-log';
import type { ReleaseLock, WriterLock } from './writer-lock';

/**
 * One `withTransaction` call: a staged overlay plus the writer lock, taken at the first append and
 * held until commit or rollback. Nothing reaches the shared log before {@link MemoryTransaction.commit}.
 */
export class MemoryTransaction {
  readonly staged: StagedWrites;
  #lock: Promise<ReleaseLock> | undefined;
  #ended = false;

  constructor(
    private readonly log: EventLog,
    private readonly writerLock: WriterLock,
  ) {
    this.staged = new StagedWrites(log);
  }

  /** True from the first append's lock request until the end: outside writers wait for it. */
  get blocksWriters(): boolean {
    return this.#lock !== undefined && !this.#ended;
  }

  get ended(): boolean {
    return this.#ended;
  }

  assertOpen(): void {
    if (this.#ended) {
      throw new InvalidArgumentError(
        'This transaction has already committed or rolled back; use scope.store only inside the withTransaction callback.',
      );
    }
  }

  async lockForWriting(): Promise<void> {
    this.assertOpen();
    this.#lock ??= this.writerLock.acquire();
    await this.#lock;
    // The callback may have returned while this append was still waiting for the lock.
    this.assertOpen();
  }

  /** Applies the staged events to the log in one step; returns true when anything was written. */
  commit(): boolean {
    this.assertOpen();
    this.#ended = true;
    // Events are only staged while the lock is held, so a non-empty stage means we hold it now.
    this.log.commit(this.staged);
    this.#releaseLock();
    return this.staged.events.length > 0;
  }

  rollback(): void {
    this.#ended = true;
    this.#releaseLock();
  }

  #releaseLock(): void {
    // A lock request still pending is released the moment it is granted.
    void this.#lock?.then((release) => release());
  }
}

/**
 * Which transactions of one store the current async call chain runs inside. An append made there
 * through the outer store (or another transaction) would wait for a transaction that waits for
 * it; the store refuses it with a clear error instead of hanging.
 */
export class TransactionFrames {
  readonly #storage = new AsyncLocalStorage<readonly MemoryTransaction[]>();

  run<T>(transaction: MemoryTransaction, fn: () => T): T {
    return this.#storage.run([...(this.#storage.getStore() ?? []), transaction], fn);
  }

  refuseSelfDeadlock(appendingThrough: MemoryTransaction | undefined): void {
    const blocker = (this.#storage.getStore() ?? []).find(
      (transaction) => transaction !== appendingThrough && transaction.blocksWriters,
    );
    if (blocker !== undefined) {
      throw new InvalidArgumentError(
        'This append runs inside a withTransaction callback that holds the memory store\'s writer lock, ' +
          'but goes through another store handle, so it would wait for the transaction forever. ' +
          'Append through scope.store inside withTransaction.',
      );
    }
  }
}
