import { afterAll, describe, expect, it } from 'vitest';
import { foldLog, ledgerMismatches, ledgerProjection, readLedger, sleep } from '../test/ledger';
import { createPostgresHarness } from '../test/postgres';
import { createProjector } from './index';

const WRITERS = 16;
const EVENTS = 20_000;
const PER_TRANSACTION = 10;

const harness = await createPostgresHarness('projector_ooo', WRITERS + 4);
afterAll(async () => harness?.close());

describe.skipIf(harness === undefined)('async projector under out-of-order commits (PostgreSQL)', () => {
  it('applies every event of 16 slow, interleaved writers exactly once', async () => {
    const h = harness!;
    const runner = h.connect('runner', 4);
    const projector = createProjector({
      store: h.store,
      db: runner.db,
      projections: [ledgerProjection()],
      batchSize: 500,
      leaseTtlMs: 5000,
    });
    await projector.start();

    // Each writer appends inside a transaction and keeps it open a random while, so later
    // positions often commit before earlier ones while the projector is reading.
    let next = 0;
    const writer = async (w: number): Promise<void> => {
      for (;;) {
        const first = next;
        next += PER_TRANSACTION;
        if (first >= EVENTS) return;
        const count = Math.min(PER_TRANSACTION, EVENTS - first);
        await h.store.withTransaction(async ({ store }) => {
          await store.append(
            `account-${w}-${first % 7}`,
            Array.from({ length: count }, (_, i) => ({ type: 'Added', data: { amount: first + i } })),
          );
          await sleep(Math.random() * 6);
        });
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    await projector.whenCaughtUp({ timeoutMs: 60_000 });

    const log = await foldLog(h.store);
    expect(log.size).toBe(EVENTS);
    const ledger = await readLedger(h.pool, '"public"."ledger_v1"');
    expect(ledgerMismatches(ledger, log)).toEqual([]);
    expect(await projector.deadLetters()).toEqual([]);
    const [status] = await projector.status();
    expect(status).toMatchObject({ state: 'running', lag: { events: 0, ms: 0 }, applied: EVENTS });
    await projector.stop();
  });
});
