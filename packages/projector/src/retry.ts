export interface RetryPolicy {
  /** Tries per batch (and per event once a batch keeps failing) before the event is parked. */
  readonly maxAttempts: number;
  /** Delay before the second try; it doubles on each further try (with up to 20% jitter). */
  readonly baseDelayMs: number;
  /** Cap on one delay. */
  readonly maxDelayMs: number;
}

/** Delay before try number `attempt + 1` (attempt counts from 1). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (0.8 + Math.random() * 0.2));
}

/** Resolves after `ms`, or at once (without throwing) when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

// SQLSTATE classes that say "the database or the connection had a problem", not "this event is bad":
// 08 connection exception, 40 transaction rollback (serialization, deadlock), 53 insufficient
// resources, 57 operator intervention (shutdown, cancel), 58 system error.
const TRANSIENT_SQLSTATE = /^(08|40|53|57|58)/;
const TRANSIENT_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TRANSIENT_MESSAGE = /connection terminated|connection (is )?closed|client has encountered a connection error|timeout exceeded when trying to connect|cannot use a pool after calling end/i;

/**
 * True when `error` (or one of its causes) looks like an infrastructure failure: retrying later
 * may succeed, and the event being applied must not be blamed and parked for it.
 */
export function isTransientError(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth += 1) {
    if (typeof current !== 'object') return false;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (TRANSIENT_NODE_CODES.has(code) || (code.length === 5 && TRANSIENT_SQLSTATE.test(code)))) {
      return true;
    }
    if (typeof message === 'string' && TRANSIENT_MESSAGE.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
