import { Writable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@eventfold/testing';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig, type GatewayConfig } from '../../src/config';
import { pgliteDatabase } from '../../src/db/database';
import { createLogger } from '../../src/logger';
import { assembleGateway, type AssembledGateway } from '../../src/server';

export interface TestGateway extends AssembledGateway {
  readonly config: GatewayConfig;
  /** Every log line the gateway wrote, parsed (only when `captureLogs`). */
  readonly logs: Array<Record<string, unknown>>;
  request(options: {
    method: string;
    url: string;
    payload?: unknown;
    headers?: Record<string, string>;
  }): Promise<LightMyRequestResponse>;
}

/** Collects pino's JSON lines. */
function logCollector(lines: Array<Record<string, unknown>>): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        newline = pending.indexOf('\n');
      }
      done();
    },
  });
}

/**
 * The whole gateway on a database of its own (a fresh database on the test server, or an in-memory
 * PGlite), requests through Fastify's inject.
 */
export async function startTestGateway(options: {
  readonly database: TestDatabase;
  readonly env?: Record<string, string>;
  readonly captureLogs?: boolean;
}): Promise<TestGateway> {
  const { database } = options;
  const config = loadConfig({
    ...(database.kind === 'server' ? { DATABASE_URL: database.connectionString } : {}),
    LOG_LEVEL: options.captureLogs === true ? 'info' : 'silent',
    PORT: '0',
    ...options.env,
  });
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger(config, options.captureLogs === true ? logCollector(logs) : undefined);
  const gateway = await assembleGateway(
    config,
    logger,
    database.kind === 'pglite' ? { database: pgliteDatabase(database.pglite) } : {},
  );
  return {
    ...gateway,
    config,
    logs,
    request: ({ method, url, payload, headers }) =>
      gateway.app.inject({
        method: method as 'GET',
        url,
        ...(payload === undefined ? {} : { payload: payload as string }),
        ...(headers === undefined ? {} : { headers }),
      }),
  };
}

export { createTestDatabase };

/** A valid create body; override any field. */
export function newReservation(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    guestId: crypto.randomUUID(),
    guestName: 'Ada Lovelace',
    roomId: crypto.randomUUID(),
    checkInDate: '2026-12-01',
    nights: 3,
    ...overrides,
  };
}
