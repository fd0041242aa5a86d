import { InvalidArgumentError } from '@eventfold/core';
import type { Logger } from './logger';

export interface CoalesceOptions {
  /** Most appends merged into one statement. Default 64. */
  readonly maxBatch?: number;
  /**
   * How long a batch waits for company before it runs, in ms. Default 0: a batch runs as soon as a
   * slot is free, and appends arriving while the slots are busy merge into the next one.
   */
  readonly maxWaitMs?: number;
  /** Batches in flight at once (each holds one connection). Default 2. */
  readonly maxConcurrentBatches?: number;
}

export interface CoalescerSettings {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly maxConcurrentBatches: number;
}

export function parseCoalesceOptions(value: boolean | CoalesceOptions | undefined): CoalescerSettings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    throw new InvalidArgumentError(`Invalid coalesce ${typeof value}: use true, false or { maxBatch, maxWaitMs }.`);
  }
  const options = value === true ? {} : value;
  return {
    maxBatch: integerIn('coalesce.maxBatch', options.maxBatch, 64, 1, 1000),
    maxWaitMs: integerIn('coalesce.maxWaitMs', options.maxWaitMs, 0, 0, 1000),
    maxConcurrentBatches: integerIn('coalesce.maxConcurrentBatches', options.maxConcurrentBatches, 2, 1, 64),
  };
}

function integerIn(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`Invalid ${name} ${JSON.stringify(value) ?? typeof value}: use an integer from ${min} to ${max}.`);
  }
  return value;
}

interface Pending<TItem, TResult> {
  readonly item: TItem;
  readonly resolve: (result: TResult) => void;
  readonly reject: (error: unknown) => void;
}

export interface CoalescerHandlers<TItem, TResult> {
  /** Items of one batch have distinct keys (an append's stream id). */
  readonly keyOf: (item: TItem) => string;
  /** Runs a batch as one statement; resolves one result per item, in order. */
  readonly runBatch: (items: readonly TItem[]) => Promise<readonly TResult[]>;
  /** Runs one item alone: the fallback when a whole batch fails, so each caller gets its own outcome. */
  readonly runOne: (item: TItem) => Promise<TResult>;
}

/**
 * Merges concurrent submissions into batches: at most `maxConcurrentBatches` run at once, and
 * everything submitted meanwhile waits to join the next batch. Items with the same key (an append's
 * stream) never share a batch nor run in two batches at once: the later one waits until the earlier
 * one has finished, so they run in submission order.
 */
export class Coalescer<TItem, TResult> {
  readonly #queue: Pending<TItem, TResult>[] = [];
  #inFlight = 0;
  /** Keys of the items in running batches: a later item with the same key waits for them. */
  readonly #busyKeys = new Set<string>();
  #scheduled = false;
  readonly #idle = new Set<() => void>();

  constructor(
    private readonly settings: CoalescerSettings,
    private readonly handlers: CoalescerHandlers<TItem, TResult>,
    private readonly logger: Logger,
  ) {}

  submit(item: TItem): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once every submitted item has been settled. */
  async drain(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.add(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.settings.maxConcurrentBatches || this.#queue.length === 0) return;
    this.#scheduled = true;
    const run = (): void => {
      this.#scheduled = false;
      this.#flush();
    };
    // setImmediate lets every append submitted in the same tick join the batch.
    if (this.settings.maxWaitMs > 0 && this.#queue.length < this.settings.maxBatch) {
      setTimeout(run, this.settings.maxWaitMs);
    } else {
      setImmediate(run);
    }
  }

  #flush(): void {
    while (this.#inFlight < this.settings.maxConcurrentBatches && this.#queue.length > 0) {
      const batch = this.#take();
      if (batch.length === 0) return; // everything queued waits for a key in flight
      const keys = batch.map((pending) => this.handlers.keyOf(pending.item));
      for (const key of keys) this.#busyKeys.add(key);
      this.#inFlight += 1;
      void this.#run(batch).finally(() => {
        for (const key of keys) this.#busyKeys.delete(key);
        this.#inFlight -= 1;
        if (this.#queue.length > 0) this.#schedule();
        if (this.#inFlight === 0 && this.#queue.length === 0) {
          for (const resolve of this.#idle) resolve();
          this.#idle.clear();
        }
      });
    }
  }

  #take(): Pending<TItem, TResult>[] {
    const batch: Pending<TItem, TResult>[] = [];
    const keys = new Set<string>();
    for (let index = 0; index < this.#queue.length && batch.length < this.settings.maxBatch; ) {
      const pending = this.#queue[index];
      if (pending === undefined) break;
      const key = this.handlers.keyOf(pending.item);
      if (keys.has(key) || this.#busyKeys.has(key)) {
        index += 1;
        continue;
      }
      keys.add(key);
      batch.push(pending);
      this.#queue.splice(index, 1);
    }
    return batch;
  }

  async #run(batch: readonly Pending<TItem, TResult>[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch;
      if (only !== undefined) await this.handlers.runOne(only.item).then(only.resolve, only.reject);
      return;
    }
    let results: readonly TResult[];
    try {
      results = await this.handlers.runBatch(batch.map((pending) => pending.item));
    } catch (error) {
      // The statement rolled back as a whole (a racing duplicate id, a deadlock, a lost connection):
      // run each append alone so every caller gets its own result or error. Contention that the
      // one-by-one run is there to sort out (a unique violation, say a room night already taken by
      // an alongside write; a deadlock) is routine under load: debug, not a warning.
      const level = isContention(error) ? 'debug' : 'warn';
      this.logger[level]({ batchSize: batch.length, err: describeError(error) }, 'coalesced append batch failed; retrying its appends one by one');
      await Promise.all(batch.map((pending) => this.handlers.runOne(pending.item).then(pending.resolve, pending.reject)));
      return;
    }
    batch.forEach((pending, index) => {
      const result = results[index];
      if (result === undefined) pending.reject(new Error(`append batch returned no row for item ${index + 1}`));
      else pending.resolve(result);
    });
  }
}

/** unique_violation, deadlock_detected, serialization_failure. */
const CONTENTION_CODES = new Set(['23505', '40P01', '40001']);

function isContention(error: unknown): boolean {
  return typeof error === 'object' && error !== null && CONTENTION_CODES.has(String((error as { code?: unknown }).code));
}

function describeError(error: unknown): { code?: unknown; message: string } {
  if (error instanceof Error) return { code: (error as { code?: unknown }).code, message: error.message };
  return { message: String(error) };
}
