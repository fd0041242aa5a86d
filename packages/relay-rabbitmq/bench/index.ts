// W5 (ARCHITECTURE.md): relay throughput from a 100k-event backlog, as a ratio to the raw amqplib
// confirm-publish rate of the same bodies measured in the same run; and append -> broker latency
// at 1k events/s. Prints one JSON line per figure.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres AMQP_URL=amqp://guest:guest@127.0.0.1:5672 pnpm bench
//
// Environment: W5_EVENTS (default 100000), W5_RAW_IN_FLIGHT (500), W5_BATCH_SIZE (500),
// W5_MAX_IN_FLIGHT (2000), W5_RATE (1000 events/s), W5_LATENCY_SECONDS (10), W5_SETTLE_MS (the relay
// store's settleMs; store-postgres's default when unset).
// The latency run goes first (in its own schema, with its own relay), on a warmed-up writer pool.
// Its line also gives the relay's own share (commit -> broker), the commit latency of a bare INSERT
// probed alongside (the disk's share), and how often the cluster-wide xmin horizon held readers back.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { START } from '@eventfold/core';
import { percentile, report, rssMb } from '@eventfold/bench';
import { createPostgresCheckpointStore, createPostgresEventStore, migrate } from '@eventfold/store-postgres';
import amqp from 'amqplib';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { createRabbitRelay, defaultRoutingKey, toOutgoingMessage, type OutgoingMessage } from '../src/index';
import { measureRawConfirmPublish } from './raw-publish';

const number = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const EVENTS = number('W5_EVENTS', 100_000);
const RAW_IN_FLIGHT = number('W5_RAW_IN_FLIGHT', 500);
const BATCH_SIZE = number('W5_BATCH_SIZE', 500);
const MAX_IN_FLIGHT = number('W5_MAX_IN_FLIGHT', 2000);
const RATE = number('W5_RATE', 1000);
const LATENCY_SECONDS = number('W5_LATENCY_SECONDS', 10);
// The relay's store: how long readAll waits for held-back events to settle (store-postgres's default when unset).
const SETTLE_MS = process.env['W5_SETTLE_MS'] === undefined ? undefined : number('W5_SETTLE_MS', 250);
const STREAMS = 1000;

const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const suffix = randomBytes(4).toString('hex');
const schema = `relay_bench_${suffix}`;
// The latency run has a schema (and relay) of its own: its events are not part of the backlog.
const latencySchema = `relay_bench_latency_${suffix}`;
const exchange = `relay_bench_${suffix}`;
const queue = `relay_bench_${suffix}`;

// Writers and the relay get their own pools, as in production where the relay runs apart: a relay
// query must not queue behind a thousand pending appends.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const db = drizzle(pool);
const relayPool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
const relayDb = drizzle(relayPool);
const broker = await amqp.connect(amqpUrl);
const admin = await broker.createChannel();

try {
  await migrate(db, { schema });
  const store = createPostgresEventStore({ db, schema });
  const relayStore = createPostgresEventStore({ db: relayDb, schema, ...(SETTLE_MS === undefined ? {} : { settleMs: SETTLE_MS }) });
  const checkpoints = createPostgresCheckpointStore({ db: relayDb, schema });
  // Both runs publish into the same durable queue, so the broker persists every message alike.
  await admin.assertExchange(exchange, 'topic', { durable: true });
  await admin.assertQueue(queue, { durable: true });
  await admin.bindQueue(queue, exchange, '#');

  // Latency first. The backlog runs below write 200k persistent messages, and for a while after
  // them the broker and the disk are still digesting those: measured then, every commit waits on a
  // busy disk's fsync (seen: append p99 110-240 ms with the relay's own commit->broker p99 at 20-50).
  await migrate(db, { schema: latencySchema });
  // Earlier benchmarks leave dirty buffers and files behind: write them out now rather than during
  // the run, where every commit's fsync would queue behind them (CHECKPOINT needs superuser or
  // pg_checkpoint, `sync` a Unix; without them the run simply goes ahead).
  await pool.query('checkpoint').catch(() => undefined);
  try {
    execFileSync('sync', { stdio: 'ignore', timeout: 60_000 });
  } catch {
    // not available here
  }
  const latencyStore = createPostgresEventStore({ db, schema: latencySchema });
  const latencyRelayStore = createPostgresEventStore({
    db: relayDb,
    schema: latencySchema,
    ...(SETTLE_MS === undefined ? {} : { settleMs: SETTLE_MS }),
  });
  const latencyRelay = createRabbitRelay({
    store: latencyRelayStore,
    checkpoints: createPostgresCheckpointStore({ db: relayDb, schema: latencySchema }),
    db: relayDb,
    schema: latencySchema,
    amqpUrl,
    exchange,
    name: 'latency',
    batchSize: BATCH_SIZE,
    maxInFlight: MAX_IN_FLIGHT,
  });
  latencyRelay.start();
  const latency = await measureLatency(latencyStore);
  await latencyRelay.stop();
  await latencyRelayStore.close();
  await latencyStore.close();
  await admin.purgeQueue(queue);

  const seedStarted = performance.now();
  await seedBacklog();
  console.error(`seeded ${EVENTS} events in ${Math.round(performance.now() - seedStarted)} ms`);

  // Raw limit: the very bodies and properties the relay publishes, with plain amqplib.
  // Reading it also waits until the backlog is readable: a long transaction elsewhere in the
  // cluster holds the gap-safe feed back, and neither run should start before it ends.
  const messages: OutgoingMessage[] = [];
  for (let after = START; messages.length < EVENTS; ) {
    const page = await store.readAll({ after, limit: 5000 });
    for (const event of page.events) messages.push(toOutgoingMessage(event, defaultRoutingKey));
    after = page.checkpoint;
    if (page.events.length === 0) await store.waitForEvents(after, { timeoutMs: 100 });
  }
  const raw = await measureRawConfirmPublish({ amqpUrl, exchange, messages, inFlight: RAW_IN_FLIGHT });
  messages.length = 0;
  await admin.purgeQueue(queue);

  // The relay over the same backlog, from its first read to its last checkpoint write.
  const relay = createRabbitRelay({
    store: relayStore,
    checkpoints,
    db: relayDb,
    schema,
    amqpUrl,
    exchange,
    name: 'bench',
    batchSize: BATCH_SIZE,
    maxInFlight: MAX_IN_FLIGHT,
  });
  const relayStarted = performance.now();
  relay.start();
  let peakRss = rssMb();
  while (relay.metrics().publishedTotal < EVENTS || relay.metrics().inFlight > 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    peakRss = Math.max(peakRss, rssMb());
  }
  const relaySeconds = (performance.now() - relayStarted) / 1000;
  report(
    {
      workload: 'W5-relay-backlog',
      events: EVENTS,
      batchSize: BATCH_SIZE,
      maxInFlight: MAX_IN_FLIGHT,
      seconds: round(relaySeconds),
      eventsPerSec: Math.round(EVENTS / relaySeconds),
      rssMb: peakRss,
      loadAverage1m: loadAverage(),
      target: '>= 0.8x raw',
    },
    { key: `raw-amqplib-confirm@${RAW_IN_FLIGHT}`, eventsPerSec: raw.eventsPerSec },
  );
  await admin.purgeQueue(queue);

  report({
    workload: 'W5-append-to-broker-latency',
    targetRatePerSec: RATE,
    achievedRatePerSec: latency.rate,
    events: latency.fromCall.length,
    notArrived: latency.lost,
    p50Ms: round(percentile(latency.fromCall, 50)),
    p95Ms: round(percentile(latency.fromCall, 95)),
    p99Ms: round(percentile(latency.fromCall, 99)),
    maxMs: round(Math.max(...latency.fromCall)),
    commitToBrokerP50Ms: round(percentile(latency.fromCommit, 50)),
    commitToBrokerP99Ms: round(percentile(latency.fromCommit, 99)),
    rawCommitP50Ms: round(percentile(latency.rawCommits, 50)),
    rawCommitP99Ms: round(percentile(latency.rawCommits, 99)),
    // One probe sample per stall: a disk stall shows here, not in the probe's percentiles.
    rawCommitMaxMs: round(Math.max(...latency.rawCommits)),
    horizonBlockedShare: latency.horizonBlockedShare,
    longestHorizonBlocker: latency.longestBlocker ?? null,
    relayStoreSettleMs: SETTLE_MS ?? 'default',
    loadAverage1m: loadAverage(),
    target: 'p99 <= 50 ms',
  });
  await relay.stop();
  await relayStore.close();
  await store.close();
} finally {
  await admin.deleteQueue(queue).catch(() => undefined);
  await admin.deleteExchange(exchange).catch(() => undefined);
  await broker.close().catch(() => undefined);
  await db.execute(sql`drop schema if exists ${sql.identifier(schema)} cascade`);
  await db.execute(sql`drop schema if exists ${sql.identifier(latencySchema)} cascade`);
  await pool.end();
  await relayPool.end();
}

/** 100k events in one set-based statement: 1000 streams x 100 versions, in one transaction. */
async function seedBacklog(): Promise<void> {
  const perStream = Math.ceil(EVENTS / STREAMS);
  const s = sql.identifier(schema);
  await db.transaction(async (tx) => {
    await tx.execute(sql`insert into ${s}.streams (id, type, version)
      select 'bench-' || n, 'bench', ${perStream} from generate_series(1, ${STREAMS}) n`);
    await tx.execute(sql`insert into ${s}.events (stream_id, stream_type, version, event_id, type, data, metadata)
      select 'bench-' || n, 'bench', v, gen_random_uuid(), 'BenchItemAdded',
             jsonb_build_object('cartId', 'bench-' || n, 'line', v, 'sku', 'sku-' || (v % 97), 'quantity', 1 + v % 5,
                                'unitPrice', 100 + v, 'currency', 'EUR'),
             jsonb_build_object('correlationId', 'bench-' || n, 'causationId', 'bench-' || n || '-' || v, 'schemaVersion', 1)
        from generate_series(1, ${perStream}) v, generate_series(1, ${STREAMS}) n
       order by v, n`);
  });
}

/**
 * Appends single-event appends at RATE per second for LATENCY_SECONDS, each to a new stream, and
 * times each event to its arrival at a consumer of the relay's queue: from just before `append`
 * (what a caller sees) and from the moment `append` resolved (committed; the relay's own share).
 * The first second is warm-up and not counted. Samples the store's read horizon meanwhile, since
 * a long transaction anywhere in the cluster holds every gap-safe reader back.
 */
async function measureLatency(store: ReturnType<typeof createPostgresEventStore>): Promise<LatencyResult> {
  const calledAt = new Map<string, number>();
  const committedAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>();
  const consumer = await broker.createChannel();
  await consumer.consume(
    queue,
    (message) => {
      if (message !== null) arrivedAt.set(String(message.properties.messageId), performance.now());
    },
    { noAck: true },
  );
  let horizonSamples = 0;
  let horizonBlocked = 0;
  let longestBlocker: { ageMs: number; database: string | null; state: string | null; prepared: boolean } | undefined;
  // The disk's share, measured alongside: a bare one-row INSERT committed every 10 ms on a
  // connection of its own. No append can commit faster than this does at the same moment.
  const probe = new pg.Client({ connectionString: databaseUrl });
  await probe.connect();
  await probe.query(`create table if not exists "${latencySchema}".commit_probe (at timestamptz not null)`);
  const rawCommits: number[] = [];
  let probing = true;
  const probeLoop = (async () => {
    while (probing) {
      const t0 = performance.now();
      await probe.query(`insert into "${latencySchema}".commit_probe values (now())`);
      rawCommits.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const sampler = setInterval(() => {
    void store
      .horizon()
      .then((horizon) => {
        horizonSamples += 1;
        if (horizon.eventsWaiting > 0) horizonBlocked += 1;
        const blocker = horizon.blocker;
        if (blocker !== null && (blocker.ageMs ?? 0) > (longestBlocker?.ageMs ?? -1)) {
          // Which database it is in tells whether the bench itself or another workload held readers back.
          longestBlocker = { ageMs: blocker.ageMs ?? 0, database: blocker.database, state: blocker.state, prepared: blocker.prepared };
        }
      })
      .catch(() => undefined);
  }, 200);
  // Warm up the writers' pool first: open its connections and let each backend plan the append
  // statement and function once. Cold, the first second queues a few hundred appends behind
  // connection set-up, and their wait spills into the measured seconds.
  for (let round = 0; round < 5; round += 1) {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.append(`warm-${randomUUID()}`, [{ type: 'CartCreated', data: { currency: 'EUR' } }], { expectedVersion: 'no_stream' }),
      ),
    );
  }
  const total = RATE * LATENCY_SECONDS;
  const warmUp = RATE;
  const outstanding = new Set<Promise<unknown>>();
  const started = performance.now();
  for (let issued = 0; issued < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
    for (; issued < due; issued++) {
      const id = randomUUID();
      const counted = issued >= warmUp;
      if (counted) calledAt.set(id, performance.now());
      const append = store
        .append(`cart-${randomUUID()}`, [{ id, type: 'CartCreated', data: { currency: 'EUR' } }], { expectedVersion: 'no_stream' })
        .then(() => {
          if (counted) committedAt.set(id, performance.now());
        })
        .finally(() => outstanding.delete(append));
      outstanding.add(append);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(outstanding);
  const rate = Math.round(total / ((performance.now() - started) / 1000));
  // Wait for every counted event itself: the consumer also receives the warm-up appends, so a count
  // of arrivals could reach the total while the last counted events are still on their way.
  const deadline = Date.now() + 30_000;
  const waiting = (): boolean => [...calledAt.keys()].some((id) => !arrivedAt.has(id));
  while (waiting() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(sampler);
  probing = false;
  await probeLoop;
  await probe.end();
  await consumer.close();
  const fromCall: number[] = [];
  const fromCommit: number[] = [];
  for (const [id, called] of calledAt) {
    const arrived = arrivedAt.get(id);
    if (arrived === undefined) continue;
    fromCall.push(arrived - called);
    fromCommit.push(Math.max(0, arrived - (committedAt.get(id) ?? arrived)));
  }
  return {
    rate,
    fromCall,
    fromCommit,
    lost: calledAt.size - fromCall.length,
    rawCommits,
    horizonBlockedShare: horizonSamples === 0 ? 0 : round(horizonBlocked / horizonSamples),
    longestBlocker,
  };
}

interface LatencyResult {
  readonly rate: number;
  readonly fromCall: number[];
  readonly fromCommit: number[];
  readonly lost: number;
  readonly rawCommits: number[];
  readonly horizonBlockedShare: number;
  readonly longestBlocker: { ageMs: number; database: string | null; state: string | null; prepared: boolean } | undefined;
}

/** The machine is shared: the 1-minute load average puts each figure in context. */
function loadAverage(): number {
  return round(loadavg()[0] ?? 0);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
