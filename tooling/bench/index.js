// Shared benchmark plumbing: the physical limit from ../shared/bench/raw-limit.sh, taken in the
// same run, and one JSON line per result with its ratio to that limit.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where raw-limit.sh lives: $EVENTFOLD_RAW_LIMIT, else ../shared/bench next to the checkout. */
export function rawLimitScript() {
  const candidates = [
    process.env.EVENTFOLD_RAW_LIMIT,
    join(repoRoot, '..', 'shared', 'bench', 'raw-limit.sh'),
    '/work/shared/bench/raw-limit.sh',
  ].filter(Boolean);
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`raw-limit.sh not found (looked in ${candidates.join(', ')}); set EVENTFOLD_RAW_LIMIT`);
  return found;
}

/**
 * Runs raw-limit.sh and returns its cases, e.g. { 'raw-insert-single@8': 9000, 'raw-insert-batch100@8': 90000 }.
 * @param {{ concurrency?: number[]; seconds?: number; databaseUrl?: string }} [options]
 */
export function measureRawLimit(options = {}) {
  const env = {
    ...process.env,
    CONC: (options.concurrency ?? [1, 8, 16]).join(' '),
    SECS: String(options.seconds ?? 10),
  };
  const url = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const out = execFileSync(rawLimitScript(), [url], { env, encoding: 'utf8' });
  /** @type {Record<string, number>} */
  const limits = {};
  for (const line of out.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const row = JSON.parse(line);
    limits[`${row.case}@${row.concurrency}`] = row.eventsPerSec;
  }
  return limits;
}

/**
 * Prints one JSON line: the result, plus the raw limit it is compared with and the ratio.
 * @param {Record<string, unknown> & { eventsPerSec?: number }} result
 * @param {{ key: string; eventsPerSec: number } | undefined} [raw]
 */
export function report(result, raw) {
  const line = { ...result };
  if (raw && typeof result.eventsPerSec === 'number' && raw.eventsPerSec > 0) {
    line.raw = raw.key;
    line.rawEventsPerSec = raw.eventsPerSec;
    line.ratio = Math.round((result.eventsPerSec / raw.eventsPerSec) * 100) / 100;
  }
  console.log(JSON.stringify(line));
  return line;
}

/** Percentile of a numeric sample (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** Resident set size in MB, now. */
export function rssMb() {
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}
