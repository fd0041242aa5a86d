// `pnpm bench` in apps/gateway: W6 of ARCHITECTURE.md. POST /reservations over 32 connections with
// autocannon against the gateway on real PostgreSQL, compared with the store's W1 (single appends
// to new streams, expected version checked) at the same concurrency, measured in the same run.
// The gateway runs as its own process (`gateway serve`), as in production, so autocannon does not
// share its event loop. Flags: --seconds <n> per run (default 10), --connections <n> (default 32),
// --workers <n> gateway processes (WORKERS, default 1), --skip-raw to leave out the pgbench raw limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureRawLimit, percentile, report } from '@eventfold/bench';
import { createPostgresEventStore, migrate } from '@eventfold/store-postgres';
import autocannon from 'autocannon';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';

const { values } = parseArgs({
  // `pnpm bench -- --seconds 5` passes the `--` through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    workers: { type: 'string', default: '1' },
    'skip-raw': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const serverUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// W1 and W6 get a database each: the gateway's async projection must not start by replaying W1's events.
const suffix = randomBytes(4).toString('hex');
const databases = { w1: `gateway_bench_w1_${suffix}`, w6: `gateway_bench_w6_${suffix}` };
const urlOf = (name: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;

function reservationData() {
  return {
    reservationId: randomUUID(),
    guestId: randomUUID(),
    guestName: 'Ada Lovelace',
    roomId: randomUUID(),
    checkInDate: '2027-12-01',
    nights: 3,
  };
}

/** W1: `writers` loops appending one event to a new stream (expected version 'no_stream'). */
async function storeW1(writers: number): Promise<{ eventsPerSec: number; p50Ms: number; p99Ms: number }> {
  const pool = new pg.Pool({ connectionString: urlOf(databases.w1), max: writers });
  const store = createPostgresEventStore({ db: drizzle(pool) });
  const append = () =>
    store.append(`reservation-${randomUUID()}`, [{ type: 'ReservationCreated', data: reservationData(), metadata: { correlationId: randomUUID() } }], {
      expectedVersion: 'no_stream',
    });
  try {
    await Promise.all(Array.from({ length: writers * 4 }, append)); // warm up connections and plans
    const latencies: number[] = [];
    let appends = 0;
    const started = performance.now();
    const stopAt = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (performance.now() < stopAt) {
          const t0 = performance.now();
          await append();
          latencies.push(performance.now() - t0);
          appends += 1;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return { eventsPerSec: Math.round(appends / elapsed), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
  } finally {
    await store.close();
    await pool.end();
  }
}

/** Starts `gateway serve` on the bench database and resolves with its URL. */
function startGateway(): Promise<{ child: ChildProcess; url: string }> {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'gateway.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: urlOf(databases.w6),
    PORT: '0',
    HOST: '127.0.0.1',
    DB_POOL_SIZE: String(Math.ceil(connections / Number(values.workers))),
    WORKERS: values.workers,
    RELAY_IN_SERVE: 'false',
  };
  delete env['AMQP_URL'];
  const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match?.[1] !== undefined) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${String(code)}:\n${stderr}`)));
  });
}

function postReservations(url: string, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/reservations',
        headers: { 'content-type': 'application/json' },
        // A new guest and room each time: every request is a success, none a double booking.
        setupRequest: (request) => {
          const { reservationId: _unused, ...body } = reservationData();
          return { ...request, body: JSON.stringify(body) };
        },
      },
    ],
  });
}

async function main(): Promise<void> {
  await admin(`create database ${databases.w1}`);
  await admin(`create database ${databases.w6}`);
  let gateway: ChildProcess | undefined;
  try {
    const setup = new pg.Pool({ connectionString: urlOf(databases.w1), max: 2 });
    await migrate(drizzle(setup));
    await setup.end();

    const raw = values['skip-raw'] ? {} : measureRawLimit({ concurrency: [connections], seconds, databaseUrl: urlOf(databases.w1) });
    const rawKey = `raw-insert-single@${connections}`;
    const rawLimit = raw[rawKey] === undefined ? undefined : { key: rawKey, eventsPerSec: raw[rawKey] };

    const w1 = await storeW1(connections);
    report({ workload: 'W1 append-single', writers: connections, coalesce: false, ...w1 }, rawLimit);

    const started = await startGateway();
    gateway = started.child;
    await postReservations(started.url, 2); // warm up
    const result = await postReservations(started.url, seconds);
    const succeeded = result['2xx'];
    const eventsPerSec = Math.round(succeeded / result.duration);
    report({
      workload: 'W6 http POST /reservations',
      connections,
      workers: Number(values.workers),
      eventsPerSec,
      requestsPerSec: round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      w1EventsPerSec: w1.eventsPerSec,
      ratioToW1: round(eventsPerSec / w1.eventsPerSec),
      targets: { ratioToW1: '>= 0.5', p99Ms: '<= 25' },
      met: eventsPerSec / w1.eventsPerSec >= 0.5 && result.latency.p99 <= 25,
    });
  } finally {
    if (gateway !== undefined && gateway.exitCode === null) {
      const exited = new Promise((resolve) => gateway?.once('exit', resolve));
      gateway.kill('SIGTERM');
      await exited;
    }
    for (const name of Object.values(databases)) await admin(`drop database if exists ${name} with (force)`);
  }
}

await main();
