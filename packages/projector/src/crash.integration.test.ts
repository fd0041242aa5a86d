import { afterAll, describe, expect, it } from 'vitest';
import { spawnProjector } from '../test/child';
import { appendLedger, foldLog, ledgerMismatches, readLedger, sleep } from '../test/ledger';
import { createPostgresHarness } from '../test/postgres';

const EVENTS = 1500;

const harness = await createPostgresHarness('projector_crash');
afterAll(async () => harness?.close());

describe.skipIf(harness === undefined)('a projector process killed while writing (PostgreSQL)', () => {
  it('leaves no lost or doubled effect after a restart', async () => {
    const h = harness!;
    await appendLedger(h.store, { events: EVENTS, perTransaction: 25 });

    const first = spawnProjector({ TEST_DATABASE_URL: h.connectionString, OWNER: 'crash_a', SLOW_MS: '2', BATCH_SIZE: '100' });
    await first.waitFor((line) => line['event'] === 'batch');
    // Kill it while a batch transaction of its is open and writing.
    for (;;) {
      const { rows } = await h.pool.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity
         where application_name = 'crash_a' and xact_start is not null and query like '%ledger_v1%'`,
      );
      if (Number(rows[0]?.n) > 0) break;
      await sleep(5);
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    const before = await readLedger(h.pool, '"public"."ledger_v1"');
    expect(before.size).toBeGreaterThan(0);
    expect(before.size).toBeLessThan(EVENTS); // it really died half-way
    const committed = first.lines.filter((line) => line['event'] === 'batch').length;
    expect(before.size).toBe(committed * 100); // only whole, committed batches are there

    const second = spawnProjector({ TEST_DATABASE_URL: h.connectionString, OWNER: 'crash_b', EXIT_WHEN_CAUGHT_UP: '1' });
    await second.waitFor((line) => line['event'] === 'caught-up', 60_000);
    expect(await second.exited).toBe(0);

    const ledger = await readLedger(h.pool, '"public"."ledger_v1"');
    expect(ledgerMismatches(ledger, await foldLog(h.store))).toEqual([]);
    expect(ledger.size).toBe(EVENTS);
    const writers = new Set([...ledger.values()].map((row) => row.writtenBy));
    expect(writers).toEqual(new Set(['crash_a', 'crash_b']));
  });
});
