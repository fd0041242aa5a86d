/** Gives the lock back. Calling it twice is harmless. */
export type ReleaseLock = () => void;

/**
 * A first-come, first-served mutex for writers. Appends hold it for one synchronous step; a
 * transaction holds it from its first append until it commits or rolls back, which is what makes
 * its staged events invisible and conflict-free until commit.
 */
export class WriterLock {
  #held = false;
  readonly #waiting: (() => void)[] = [];

  get held(): boolean {
    return this.#held;
  }

  async acquire(): Promise<ReleaseLock> {
    if (this.#held) {
      // Ownership is handed over directly by release(), so #held stays true for the new owner.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#held = true;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next === undefined) this.#held = false;
      else next();
    };
  }
}
