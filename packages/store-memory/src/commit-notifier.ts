/**
 * Wakes waiters when a commit happens. Registration and the caller's "is there news already?"
 * check run in the same synchronous step, so a commit can never slip between them unseen.
 */
export class CommitNotifier {
  readonly #waiters = new Set<() => void>();

  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next commit or after `timeoutMs`; rejects with `signal.reason` on abort. */
  wait(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(wake);
      };
      const wake = (): void => {
        finish();
        resolve();
      };
      const onAbort = (): void => {
        finish();
        reject(abortReason(signal));
      };
      const timer = setTimeout(wake, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(wake);
    });
  }
}

/**
 * The contract promises the signal's own reason, whatever it is; `abort()` without an argument
 * makes it a DOMException named 'AbortError'.
 */
function abortReason(signal: AbortSignal | undefined): Error {
  return (signal?.reason ?? new DOMException('The wait was aborted.', 'AbortError')) as Error;
}
