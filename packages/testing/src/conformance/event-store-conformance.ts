import { afterAll, beforeAll, describe } from 'vitest';
import { appendCases } from './append-cases';
import { badInputCases } from './bad-input-cases';
import type { MakeEventStore } from './fixtures';
import { EventStoreHarness } from './harness';
import { idempotencyCases } from './idempotency-cases';
import { payloadCases } from './payload-cases';
import { readAllCases } from './read-all-cases';
import { readStreamCases } from './read-stream-cases';
import { streamStateCases } from './stream-state-cases';
import { transactionCases } from './transaction-cases';

export interface ConformanceOptions {
  /** Runs once after every case (close pools, drop the test schema). */
  readonly teardown?: () => Promise<void>;
}

/**
 * Registers the EventStore conformance suite: every rule of ARCHITECTURE.md's "Semantics that must
 * hold in every store", as vitest cases. Call it at the top level of a test file.
 *
 * `makeStore` is called once for the shared store (`{}`), once with `{ catalog }` and once with
 * `{ maxEventBytes: 1024 }`. The cases never assume an empty store: they use fresh stream ids and
 * read the global feed from the head they observe first, so stores may share a database.
 */
export function eventStoreConformance(name: string, makeStore: MakeEventStore, options: ConformanceOptions = {}): void {
  describe(`EventStore conformance: ${name}`, () => {
    const harness = new EventStoreHarness(makeStore);
    beforeAll(() => harness.setUp());
    afterAll(async () => {
      await options.teardown?.();
    });

    appendCases(harness);
    idempotencyCases(harness);
    readStreamCases(harness);
    readAllCases(harness);
    transactionCases(harness);
    streamStateCases(harness);
    badInputCases(harness);
    payloadCases(harness);
  });
}
