// W4: rebuild 1M reservation events into the reservation read model, then live lag at 1k events/s.
// Prints one JSON line per figure. Env: DATABASE_URL (admin connection; a scratch database is
// created and dropped), BENCH_EVENTS (default 1000000), BENCH_BATCH (5000), BENCH_LAG_SECONDS (20),
// BENCH_RATE (1000 events/s), BENCH_RAW=0 to skip the raw-limit measurement.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureRawLimit, percentile, report, rssMb } from '@eventfold/bench';
import { createPostgresEventStore, migrate } from '@eventfold/store-postgres';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { createProjector } from '../src/index';
import { reservationsReadModel } from './reservations-read-model';

const here = dirname(fileURLToPath(import.meta.url));
const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 5000);
const LAG_SECONDS = Number(process.env['BENCH_LAG_SECONDS'] ?? 20);
const RATE = Number(process.env['BENCH_RATE'] ?? 1000);

const log = (message: string): void => {
  process.stderr.write(`[bench projector] ${message}\n`);
};

async function main(): Promise<void> {
  const raw = process.env['BENCH_RAW'] === '0' ? undefined : measureRawLimit({ concurrency: [8], seconds: 5, databaseUrl: adminUrl });
  const rawBatch = raw?.['raw-insert-batch100@8'];

  const name = `eventfold_bench_projector_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // The projector's pool; the writers run in their own process (bench/writer.ts).
  const pool = new pg.Pool({ connectionString: url.toString(), max: 6, application_name: 'bench-projector' });
  pool.on('error', () => undefined); // connections end when the scratch database is dropped
  try {
    const db = drizzle(pool);
    await migrate(db);
    log(`seeding ${EVENTS} events with one set-based insert...`);
    const seedStarted = performance.now();
    await seed(pool, EVENTS);
    log(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

    const store = createPostgresEventStore({ db });
    let maxRss = rssMb();
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, rssMb());
    }, 50);
    let lastLog = 0;
    const appliedAt = new Map<string, number>();
    const sinceOccurred: number[] = [];
    const batchMs: number[] = [];
    let measuringLag = false;
    const projector = createProjector({
      store,
      db,
      projections: [reservationsReadModel()],
      batchSize: BATCH,
      onProgress: (p) => {
        if (performance.now() - lastLog > 5000 || p.finished) {
          lastLog = performance.now();
          log(`rebuild ${p.done}/${p.total} at ${p.rate}/s, eta ${p.etaMs ?? '?'} ms`);
        }
      },
      onBatch: (batch) => {
        batchMs.push(batch.durationMs);
        if (!measuringLag) return;
        const now = Date.now();
        for (const event of batch.events) {
          appliedAt.set(event.id, now);
          sinceOccurred.push(now - event.occurredAt.getTime());
        }
      },
    });

    // The projection's first version is live at once, so its build is measured as a truncate-and-replay.
    await projector.start();
    const started = performance.now();
    const final = await projector.rebuild('bench_reservations');
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    maxRss = Math.max(maxRss, rssMb());
    const { rows } = await pool.query<{ n: string }>('select count(*) as n from public.bench_reservations_v1');
    const mismatched = await readModelMismatches(pool);
    report(
      {
        workload: 'W4-rebuild',
        events: final.done,
        readModelRows: Number(rows[0]?.n),
        readModelRowsNotMatchingTheLog: mismatched,
        batchSize: BATCH,
        seconds: Math.round(seconds * 100) / 100,
        eventsPerSec: Math.round(final.done / seconds),
        maxRssMb: maxRss,
        batchTransactionMsP50: Math.round(percentile(batchMs, 50)),
        target: '>= 50000 events/s, RSS <= 256 MB',
      },
      rawBatch === undefined ? undefined : { key: 'raw-insert-batch100@8', eventsPerSec: rawBatch },
    );

    log(`live lag: ${RATE} events/s for ${LAG_SECONDS} s...`);
    measuringLag = true;
    const written = await appendAtRate(url.toString(), RATE, LAG_SECONDS);
    await projector.whenCaughtUp({ timeoutMs: 60_000 });
    measuringLag = false;
    // Lag = applied (batch committed) - the writer's append acknowledged (committed), per event.
    const lags = written.acknowledged.map((ack) => Math.max(0, (appliedAt.get(ack.id) ?? Number.NaN) - ack.committedAt));
    const missing = lags.filter((lag) => Number.isNaN(lag)).length;
    report({
      workload: 'W4-live-lag',
      appendRate: RATE,
      appended: written.appended,
      seconds: written.seconds,
      samples: lags.length,
      p50Ms: percentile(lags, 50),
      p95Ms: percentile(lags, 95),
      p99Ms: percentile(lags, 99),
      maxMs: Math.max(...lags),
      notApplied: missing,
      sinceOccurredAtP99Ms: percentile(sinceOccurred, 99),
      target: 'p99 <= 100 ms',
    });
    await projector.stop();
    await store.close();
  } finally {
    await pool.end();
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

/**
 * 1M events as EVENTS/4 reservations x 4 events, inserted by one INSERT ... SELECT. Ordered by
 * event number, then reservation: every batch touches a different row per event (the worst case
 * for the read model, no two events of one reservation to fold together).
 */
async function seed(pool: pg.Pool, events: number): Promise<void> {
  const reservations = Math.ceil(events / 4);
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(
      `insert into eventfold.streams (id, type, version)
       select 'reservation-' || md5(r::text)::uuid, 'reservation', 4 from generate_series(1, $1::int) r`,
      [reservations],
    );
    await client.query(
      `insert into eventfold.events (stream_id, stream_type, version, event_id, type, data)
       select 'reservation-' || rid, 'reservation', v, gen_random_uuid(),
         case v when 1 then 'ReservationCreated' when 2 then 'ReservationDatesChanged' when 3 then 'ReservationConfirmed'
                else case when r % 3 = 0 then 'ReservationCancelled' else 'ReservationDatesChanged' end end,
         case v
           when 1 then jsonb_build_object('reservationId', rid, 'guestId', md5('guest' || r)::uuid, 'guestName', 'Guest ' || r,
                         'roomId', md5('room' || (r % 500))::uuid, 'checkInDate', (date '2027-01-01' + (r % 365))::text, 'nights', 1 + r % 14)
           when 3 then jsonb_build_object('reservationId', rid, 'confirmedAt', '2026-12-01T10:00:00.000Z')
           else case when v = 4 and r % 3 = 0 then jsonb_build_object('reservationId', rid, 'reason', 'guest asked')
                     else jsonb_build_object('reservationId', rid, 'checkInDate', (date '2027-02-01' + (r % 300))::text, 'nights', 2 + r % 10) end
         end
       from (select r, md5(r::text)::uuid as rid from generate_series(1, $1::int) r) reservations, generate_series(1, 4) v
       where (r - 1) * 4 + v <= $2::int
       order by v, r`,
      [reservations, events],
    );
    await client.query('commit');
    await client.query('analyze eventfold.events');
    // Start the timed rebuild from a server at rest: without this, the checkpoint that the seed's
    // (and raw-limit's) WAL triggers runs during the rebuild and every page it touches is written
    // to the WAL in full a second time.
    await client.query('checkpoint');
  } finally {
    client.release();
  }
}

/**
 * Rows of the read model that differ from a fold of the event log done in SQL (status, dates,
 * version), counted both ways: 0 means the rebuild applied every event exactly as a replay would.
 */
async function readModelMismatches(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`
    with folded as (
      select (min(data->>'reservationId'))::uuid as id,
             case when bool_or(type = 'ReservationCancelled') then 'CANCELLED'
                  when bool_or(type = 'ReservationConfirmed') then 'CONFIRMED' else 'PENDING' end as status,
             ((array_agg(data->>'checkInDate' order by version desc) filter (where data ? 'checkInDate'))[1])::date as check_in,
             (array_agg((data->>'nights')::int order by version desc) filter (where data ? 'nights'))[1] as nights,
             max(version) as version
        from eventfold.events group by stream_id
    ), projected as (
      select id, status, check_in, nights, version from public.bench_reservations_v1
    )
    select count(*) as n from ((select * from folded except all select * from projected)
                               union all (select * from projected except all select * from folded)) d`);
  return Number(rows[0]?.n);
}

/** Runs bench/writer.ts in its own process: the writers, like a service's, do not share our event loop. */
async function appendAtRate(
  databaseUrl: string,
  rate: number,
  seconds: number,
): Promise<{ appended: number; seconds: number; acknowledged: Array<{ id: string; committedAt: number }> }> {
  const child = spawn(process.execPath, ['--conditions=@eventfold/source', '--import', 'tsx', join(here, 'writer.ts')], {
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, RATE: String(rate), SECONDS: String(seconds) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the writer process exited with ${code}`);
  const lines = output.trim().split('\n');
  const summary = JSON.parse(lines.pop() ?? '{}') as { appended: number; seconds: number };
  return { ...summary, acknowledged: lines.map((line) => JSON.parse(line) as { id: string; committedAt: number }) };
}

await main();
