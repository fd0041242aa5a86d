/** Where a progress bar writes: a TTY gets a redrawn bar, anything else one line per update interval. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface ProgressSnapshot {
  readonly done: number;
  /** Unknown totals show a count and a rate, without percentage or ETA. */
  readonly total: number | undefined;
}

export interface ProgressBarOptions {
  readonly label: string;
  readonly output: ProgressOutput;
  /** Milliseconds between redraws on a TTY / between lines elsewhere. Defaults 100 / 2000. */
  readonly intervalMs?: number;
  /** Injected clock, for tests. */
  readonly now?: () => number;
}

export interface ProgressBar {
  /** Report progress; cheap to call for every event (redraws are throttled). */
  update(done: number, total?: number): void;
  /** Draw the final state and end the line. */
  finish(): void;
}

/** `1234567` -> `1,234,567`. */
function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Seconds -> `1h02m`, `3m05s`, `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * Formats one progress line: label, bar, percentage, count, rate and ETA.
 * `rate` is items per second; the ETA comes from the remaining count at that rate.
 */
export function formatProgress(
  label: string,
  snapshot: ProgressSnapshot,
  rate: number,
  width: number,
  bar: boolean,
): string {
  const { done, total } = snapshot;
  const rateText = `${count(rate)}/s`;
  if (total === undefined || total <= 0) return `${label} ${count(done)} events  ${rateText}`;
  const fraction = Math.min(1, Math.max(0, done / total));
  const percent = `${(fraction * 100).toFixed(1).padStart(5)}%`;
  const remaining = Math.max(0, total - done);
  const eta = remaining === 0 ? '0s' : rate > 0 ? formatDuration(remaining / rate) : '--';
  const tail = ` ${percent} ${count(done)}/${count(total)} events  ${rateText}  ETA ${eta}`;
  if (!bar) return `${label}${tail}`;
  const room = Math.max(10, Math.min(40, width - label.length - tail.length - 4));
  const filled = Math.round(fraction * room);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(room - filled)}]${tail}`;
}

/**
 * A progress bar for long CLI jobs (projection rebuilds, seeding). On a TTY it redraws one line in
 * place; piped to a file or CI log it prints a plain line every couple of seconds instead.
 */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const { label, output } = options;
  const tty = output.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 100 : 2000);
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  let lastDraw = -Infinity;
  let snapshot: ProgressSnapshot = { done: 0, total: undefined };
  let finished = false;

  const rate = () => {
    const seconds = (now() - startedAt) / 1000;
    return seconds > 0 ? snapshot.done / seconds : 0;
  };

  const draw = () => {
    const text = formatProgress(label, snapshot, rate(), output.columns ?? 80, tty);
    output.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
    lastDraw = now();
  };

  return {
    update(done, total) {
      if (finished) return;
      snapshot = { done, total: total ?? snapshot.total };
      if (now() - lastDraw >= interval) draw();
    },
    finish() {
      if (finished) return;
      finished = true;
      draw();
      if (tty) output.write('\n');
    },
  };
}
