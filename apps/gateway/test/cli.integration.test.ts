import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { createServerTestDatabase, findRabbitMq, uniqueName } from '@eventfold/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { main } from '../src/cli-main';
import { openDatabase } from '../src/db/database';
import { queryRows } from '../src/db/query';

// The gateway CLI, run in-process (the same `main` bin/gateway.js runs): migrate, seed,
// projections status / rebuild, relay, and its errors. A server database when there is one,
// else embedded PGlite in a temporary folder.
const server = await createServerTestDatabase({ prefix: 'gateway_cli', purpose: 'the CLI test on PostgreSQL' });
const amqpUrl = await findRabbitMq({ purpose: 'the `gateway relay` test' });
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-cli-'));
const baseEnv: NodeJS.ProcessEnv = {
  LOG_LEVEL: 'silent',
  ...(server === undefined ? { DATA_DIR: dataDir } : { DATABASE_URL: server.connectionString }),
};

function sink() {
  const chunks: string[] = [];
  return { chunks, text: () => chunks.join(''), output: { isTTY: false, write: (text: string) => chunks.push(text) } };
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}, signal: AbortSignal = new AbortController().signal) {
  const out = sink();
  const err = sink();
  const code = await main(argv, { env: { ...baseEnv, ...env }, stdout: out.output, stderr: err.output, signal });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Events in the log, read straight from the database the CLI uses. */
async function eventCount(): Promise<number> {
  const database = await openDatabase({ databaseUrl: baseEnv['DATABASE_URL'], dataDir, poolSize: 1, logger: pino({ level: 'silent' }) });
  try {
    const [row] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from eventfold.events`);
    return row?.n ?? -1;
  } finally {
    await database.close();
  }
}

interface StatusRow {
  name: string;
  mode: string;
  version: number;
  lagEvents: number;
}

describe('gateway CLI', () => {
  afterAll(async () => {
    await server?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('explains usage and configuration mistakes, with exit codes 2 and 1', async () => {
    const usage = await run(['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Unknown command "frobnicate"');
    expect(usage.stderr).toContain('Usage: gateway <command>');
    const help = await run(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('projections rebuild <name>');
    const config = await run(['migrate'], { PORT: 'eighty' });
    expect(config.code).toBe(1);
    expect(config.stderr).toContain('PORT must be a whole number');
  });

  describe('on a migrated, seeded database', () => {
    let seeded = 0;

    beforeAll(async () => {
      if (server === undefined) {
        expect((await run(['migrate'])).code).toBe(0);
      } else {
        // Two migrations at once both succeed (a server; embedded PGlite allows one user at a time).
        const [a, b] = await Promise.all([run(['migrate']), run(['migrate'])]);
        expect([a.code, b.code]).toEqual([0, 0]);
      }
      const seed = await run(['seed', '--reservations', '30', '--rooms', '5']);
      expect(seed.code).toBe(0);
      seeded = Number(/seeded (\d+) reservations/.exec(seed.stderr)?.[1] ?? -1);
      expect(seeded).toBe(30);
      expect(seed.stderr).toMatch(/seed .*30\/30 events/); // the progress line
    });

    it('reports every projection, inline ones never behind', async () => {
      // The feed is gap-safe: a long transaction anywhere on the server (other test suites open
      // some on purpose) holds readers back until it ends, so wait for the seeded events to show.
      let rows: StatusRow[] = [];
      const deadline = Date.now() + 30_000;
      do {
        const status = await run(['projections', 'status', '--json']);
        expect(status.code).toBe(0);
        rows = JSON.parse(status.stdout) as StatusRow[];
        if ((rows.find((r) => r.name === 'room_occupancy')?.lagEvents ?? 0) >= seeded) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      } while (Date.now() < deadline);
      expect(rows.map((r) => [r.name, r.mode])).toEqual([
        ['reservations', 'inline'],
        ['room_occupancy', 'async'],
      ]);
      expect(rows.filter((r) => r.mode === 'inline').every((r) => r.lagEvents === 0)).toBe(true);
      // Nothing ran the async projection yet: it is behind by every event seeded.
      expect(rows.find((r) => r.name === 'room_occupancy')?.lagEvents).toBeGreaterThanOrEqual(seeded);
      const table = await run(['projections', 'status']);
      expect(table.stdout).toMatch(/^projection\s+mode\s+version/);
    });

    it('rebuilds a projection with a progress bar, after which it is caught up', async () => {
      const rebuild = await run(['projections', 'rebuild', 'room_occupancy']);
      expect(rebuild.code).toBe(0);
      expect(rebuild.stderr).toMatch(/rebuild room_occupancy .*events .*\/s .*ETA/);
      expect(rebuild.stderr).toContain('rebuilt room_occupancy v1');
      const rows = JSON.parse((await run(['projections', 'status', '--json'])).stdout) as StatusRow[];
      expect(rows.find((r) => r.name === 'room_occupancy')?.lagEvents).toBe(0);

      const unknown = await run(['projections', 'rebuild', 'nope']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('Known projections: reservations, room_occupancy');
    });

    it('refuses a second user of the embedded database with a clear message', async () => {
    const embeddedDir = mkdtempSync(join(tmpdir(), 'gateway-cli-lock-'));
    const first = await openDatabase({ databaseUrl: undefined, dataDir: embeddedDir, poolSize: 1, logger: pino({ level: 'silent' }) });
    try {
      const second = await run(['projections', 'status'], { DATABASE_URL: '', DATA_DIR: embeddedDir });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('is in use by process');
      expect(second.stderr).toContain('pglite.lock');
    } finally {
      await first.close();
      rmSync(embeddedDir, { recursive: true, force: true });
    }
  });

  it('refuses `relay` without AMQP_URL', async () => {
      const relay = await run(['relay']);
      expect(relay.code).toBe(1);
      expect(relay.stderr).toContain('needs AMQP_URL');
    });

    it.skipIf(amqpUrl === undefined)('runs the relay as its own process until stopped, publishing every event', async () => {
      const exchange = uniqueName('cli_events');
      const connection = await amqp.connect(amqpUrl!);
      const channel = await connection.createChannel();
      await channel.assertExchange(exchange, 'topic', { durable: true, autoDelete: false });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, exchange, 'event.#');
      const ids = new Set<string>();
      await channel.consume(queue, (message) => message !== null && ids.add(String(message.properties.messageId)), { noAck: true });

      // 30 creations plus the confirmations and cancellations the seed made.
      const events = await eventCount();
      expect(events).toBeGreaterThan(seeded);
      const stop = new AbortController();
      const relay = run(['relay'], { AMQP_URL: amqpUrl!, RELAY_EXCHANGE: exchange }, stop.signal);
      const deadline = Date.now() + 20_000;
      while (ids.size < events && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      stop.abort();
      const result = await relay;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`publishing to exchange "${exchange}"`);
      expect(ids.size).toBe(events);
      await channel.deleteExchange(exchange);
      await connection.close();
    });
  });
});
