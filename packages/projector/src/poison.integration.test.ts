import { afterAll, describe, expect, it } from 'vitest';
import { appendLedger, foldLog, ledgerMismatches, ledgerProjection, readLedger } from '../test/ledger';
import { createPostgresHarness } from '../test/postgres';
import { createProjector, isProjectionStoppedError } from './index';

const harness = await createPostgresHarness('projector_poison');
afterAll(async () => harness?.close());

interface DeadLetterRow {
  projection: string;
  version: number;
  event_id: string;
  event_type: string;
  error_message: string;
  error_stack: string | null;
  attempts: number;
}

describe.skipIf(harness === undefined)('poison events (PostgreSQL)', () => {
  const retry = { maxAttempts: 3, baseDelayMs: 5 };

  it('parks the event in the dead-letter table and continues (park-and-continue)', async () => {
    const h = harness!;
    await appendLedger(h.store, { events: 200, perTransaction: 20 });
    const log = await foldLog(h.store);
    const poisonId = [...log].find(([, amount]) => amount === 77)?.[0];
    const projector = createProjector({
      store: h.store,
      db: h.db,
      projections: [ledgerProjection({ name: 'continue', table: 'continue', mode: 'per-event', poison: (a) => a === 77 })],
      batchSize: 50,
      retry,
    });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 30_000 });

    const ledger = await readLedger(h.pool, '"public"."continue_v1"');
    log.delete(poisonId!);
    expect(ledgerMismatches(ledger, log)).toEqual([]); // every other event once; the poison batch's rollback left nothing twice
    const { rows } = await h.pool.query<DeadLetterRow>(`select * from eventfold.projection_dead_letters where projection = 'continue'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ version: 1, event_id: poisonId, event_type: 'Added', error_message: 'amount 77 is poison', attempts: 6 });
    expect(rows[0]?.error_stack).toMatch(/amount 77 is poison\n\s+at /);
    const [status] = await projector.status();
    expect(status).toMatchObject({ state: 'running', parked: 1, lag: { events: 0 } });
    expect(status?.lastError?.message).toMatch(/parked after 6 attempts: amount 77 is poison/);
    await projector.stop();
  });

  it('isolates the poison event of a batch handler and rolls the failed batches back', async () => {
    const h = harness!;
    const projector = createProjector({
      store: h.store,
      db: h.db,
      projections: [ledgerProjection({ name: 'bisect', table: 'bisect', mode: 'batch', poison: (a) => a === 131 })],
      batchSize: 64,
      retry,
    });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 30_000 });
    const log = await foldLog(h.store);
    const poisonId = [...log].find(([, amount]) => amount === 131)?.[0];
    log.delete(poisonId!);
    expect(ledgerMismatches(await readLedger(h.pool, '"public"."bisect_v1"'), log)).toEqual([]);
    const { rows } = await h.pool.query<DeadLetterRow>(`select * from eventfold.projection_dead_letters where projection = 'bisect'`);
    expect(rows.map((r) => r.event_id)).toEqual([poisonId]);
    await projector.stop();
  });

  it('parks the event and stops (park-and-stop); a fixed handler resumes from it', async () => {
    const h = harness!;
    const broken = createProjector({
      store: h.store,
      db: h.db,
      projections: [ledgerProjection({ name: 'stop', table: 'stop', mode: 'per-event', poison: (a) => a === 120 })],
      onPoisonEvent: 'park-and-stop',
      batchSize: 50,
      retry,
    });
    await broken.start();
    const error = await broken.whenCaughtUp({ timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(isProjectionStoppedError(error)).toBe(true);
    const [status] = await broken.status();
    expect(status?.state).toBe('failed');
    const amounts = [...(await readLedger(h.pool, '"public"."stop_v1"')).values()].map((r) => r.amount).sort((a, b) => a - b);
    expect(amounts).toEqual(Array.from({ length: 120 }, (_, i) => i)); // everything before the poison event, nothing after
    const { rows: checkpoints } = await h.pool.query<{ status: string; last_error: string }>(
      `select status, last_error from eventfold.checkpoints where name = 'projection:stop:v1'`,
    );
    expect(checkpoints[0]).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/amount 120 is poison/) as unknown });
    const { rows: letters } = await h.pool.query<DeadLetterRow>(`select * from eventfold.projection_dead_letters where projection = 'stop'`);
    expect(letters).toHaveLength(1);
    await broken.stop();

    const fixed = createProjector({ store: h.store, db: h.db, projections: [ledgerProjection({ name: 'stop', table: 'stop', mode: 'per-event' })] });
    await fixed.start();
    await fixed.whenCaughtUp({ timeoutMs: 30_000 });
    expect(ledgerMismatches(await readLedger(h.pool, '"public"."stop_v1"'), await foldLog(h.store))).toEqual([]);
    expect((await fixed.status())[0]?.state).toBe('running');
    await fixed.stop();
  });
});
