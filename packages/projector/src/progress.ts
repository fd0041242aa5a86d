/** How far a rebuild (truncate-and-replay or a new blue/green version) has come. */
export interface RebuildProgress {
  readonly projection: string;
  readonly version: number;
  readonly kind: 'truncate' | 'blue-green';
  /** Positions of the global feed passed so far (events applied plus events the projection skips). */
  readonly done: number;
  /** Positions to pass: the feed's head when last measured, minus where the rebuild started. */
  readonly total: number;
  /** Positions per second since the rebuild started. */
  readonly rate: number;
  /** Estimated milliseconds left at the current rate; `null` before the rate is known. */
  readonly etaMs: number | null;
  readonly elapsedMs: number;
  /** True on the last report, once the rebuild has caught up with the feed. */
  readonly finished: boolean;
}

export type ProgressListener = (progress: RebuildProgress) => void;

const REPORT_EVERY_MS = 200;

/** Turns "passed position P, head is H" into throttled {@link RebuildProgress} reports. */
export class ProgressTracker {
  readonly #startedAt = performance.now();
  #lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly base: { readonly projection: string; readonly version: number; readonly kind: 'truncate' | 'blue-green' },
    private readonly startPosition: number,
    private readonly listener: ProgressListener | undefined,
  ) {}

  /** True when a report is due (so the caller only measures the head when it will be used). */
  due(): boolean {
    return this.listener !== undefined && performance.now() - this.#lastReportAt >= REPORT_EVERY_MS;
  }

  report(position: number, head: number, finished: boolean): RebuildProgress {
    const elapsedMs = performance.now() - this.#startedAt;
    const done = Math.max(0, position - this.startPosition);
    // Once caught up the rebuild has passed everything readable; writes since then are live work.
    const total = finished ? done : Math.max(done, head - this.startPosition);
    const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const progress: RebuildProgress = {
      ...this.base,
      done,
      total,
      rate: Math.round(rate),
      etaMs: finished ? 0 : rate > 0 ? Math.round(((total - done) * 1000) / rate) : null,
      elapsedMs: Math.round(elapsedMs),
      finished,
    };
    this.#lastReportAt = performance.now();
    try {
      this.listener?.(progress);
    } catch {
      // A broken progress bar must not break the rebuild.
    }
    return progress;
  }
}
