import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@eventfold/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startAppliedEventsConsumer, type AppliedEvents } from '../test/applied-events';
import { appendFromWriters, openTestStore, type TestStore } from '../test/postgres-store';
import { deleteTopology, resolveInfra, waitUntil, type Infra } from '../test/support';
import type { RelayMetrics } from './relay';

const infra = await resolveInfra('relay-rabbitmq kill test');
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const childScript = fileURLToPath(new URL('../test/relay-child.ts', import.meta.url));

const KILLS = 10;
const MAX_IN_FLIGHT = 200;

interface RelayChild {
  readonly process: ChildProcess;
  latest: RelayMetrics | undefined;
  readonly exited: Promise<void>;
  stderr: string;
}

describe.skipIf(infra === undefined)('relay process killed with SIGKILL (RabbitMQ + PostgreSQL)', () => {
  // Collected even when skipped: only read infra inside hooks and tests.
  const { amqpUrl, database } = infra ?? ({} as Infra);
  const schema = uniqueName('s');
  const exchange = uniqueName('kill_events');
  const relayName = uniqueName('relay');
  let test: TestStore | undefined;
  let applied: AppliedEvents | undefined;
  const children: RelayChild[] = [];

  afterAll(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await applied?.consumer.stop();
    await deleteTopology(amqpUrl, {
      exchanges: [exchange, ...(applied === undefined ? [] : [applied.deadLetterExchange])],
      queues: applied === undefined ? [] : [applied.queue, `${applied.queue}.retry-1000ms`],
    });
    await test?.close();
    await database.dispose();
  });

  function spawnRelay(): RelayChild {
    const child = spawn(process.execPath, ['--conditions=@eventfold/source', '--import', 'tsx', childScript], {
      cwd: packageDir,
      env: {
        ...process.env,
        RELAY_DATABASE_URL: database.connectionString,
        RELAY_SCHEMA: schema,
        RELAY_EXCHANGE: exchange,
        RELAY_NAME: relayName,
        RELAY_BATCH_SIZE: '50',
        RELAY_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
        RELAY_LEASE_TTL_MS: '1000',
        AMQP_URL: amqpUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const handle: RelayChild = {
      process: child,
      latest: undefined,
      stderr: '',
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) handle.latest = JSON.parse(line) as RelayMetrics;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      handle.stderr = (handle.stderr + chunk.toString('utf8')).slice(-4000);
    });
    children.push(handle);
    return handle;
  }

  it(`loses nothing when the relay is SIGKILLed ${KILLS} times; the inbox consumer applies each event exactly once`, async () => {
    test = await openTestStore(database.connectionString, { schema, poolSize: 6 });
    applied = await startAppliedEventsConsumer(test.db, amqpUrl, exchange);
    const writing = appendFromWriters(test.store, {
      writers: 4,
      events: 4000,
      maxPerAppend: 5,
      streamsPerWriter: 10,
      pauseMs: 25,
    });

    let killedWhilePublishing = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const child = spawnRelay();
      await waitUntil(() => child.latest?.state === 'running', 30_000, () => `child never ran: ${child.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 700));
      if ((child.latest?.inFlight ?? 0) > 0) killedWhilePublishing += 1;
      child.process.kill('SIGKILL');
      await child.exited;
    }
    const last = spawnRelay();
    const ids = await writing;
    await waitUntil(
      () => last.latest?.state === 'running' && last.latest.lagEvents === 0 && last.latest.inFlight === 0,
      60_000,
      () => JSON.stringify(last.latest),
    );
    await waitUntil(() => applied!.consumer.metrics().handled >= ids.length, 60_000, () => JSON.stringify(applied!.consumer.metrics()));
    last.process.kill('SIGTERM');
    await last.exited;

    await applied.expectExactlyOnce(ids);
    const { duplicates, deadLettered } = applied.consumer.metrics();
    // Duplicates only come from what a killed relay had published but not checkpointed: at most
    // maxInFlight events per kill.
    expect(duplicates).toBeLessThanOrEqual(KILLS * MAX_IN_FLIGHT);
    expect(deadLettered).toBe(0);
    console.log(`kill test: ${ids.length} events, ${KILLS} kills (${killedWhilePublishing} mid-publish), ${duplicates} duplicate deliveries`);
  }, 180_000);
});
