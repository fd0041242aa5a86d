// Shared helpers for the integration tests: infrastructure resolution through @eventfold/testing,
// a plain collecting consumer, targeted connection kills, and topology cleanup.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { EventStore } from '@eventfold/core';
import { createServerTestDatabase, findRabbitMq, uniqueName, type TestDatabase } from '@eventfold/testing';
import amqp, { type ConsumeMessage } from 'amqplib';
import { expect } from 'vitest';
import { MESSAGE_HEADERS } from '../src/message';

const run = promisify(execFile);

export type ServerDatabase = Extract<TestDatabase, { kind: 'server' }>;

export interface Infra {
  readonly amqpUrl: string;
  readonly database: ServerDatabase;
}

/**
 * RabbitMQ and a fresh PostgreSQL database for one test file, or undefined (after a printed reason)
 * when either is missing outside CI. Under CI=true a missing service rejects, failing the file.
 */
export async function resolveInfra(purpose: string): Promise<Infra | undefined> {
  const amqpUrl = await findRabbitMq({ purpose });
  if (amqpUrl === undefined) return undefined;
  const database = await createServerTestDatabase({ prefix: 'relay_rabbitmq', purpose });
  if (database === undefined) return undefined;
  return { amqpUrl, database };
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly streamId: string;
  readonly version: number;
  readonly routingKey: string;
  readonly raw: ConsumeMessage;
}

export interface Collector {
  readonly queue: string;
  readonly received: ReceivedMessage[];
  /** Resolves once `predicate` holds, polling; rejects with what was received after `timeoutMs`. */
  waitUntil(predicate: (received: readonly ReceivedMessage[]) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A plain amqplib consumer on a fresh queue bound to `exchange`, recording every delivery in order. */
export async function collectMessages(
  amqpUrl: string,
  exchange: string,
  patterns: readonly string[] = ['#'],
  exchangeType: 'topic' | 'fanout' = 'topic',
): Promise<Collector> {
  const connection = await amqp.connect(amqpUrl, { clientProperties: { connection_name: 'eventfold-test-collector' } });
  const channel = await connection.createChannel();
  const queue = uniqueName('collect');
  await channel.assertExchange(exchange, exchangeType, { durable: true });
  await channel.assertQueue(queue, { durable: false, exclusive: true });
  for (const pattern of patterns) await channel.bindQueue(queue, exchange, pattern);
  await channel.prefetch(500);
  const received: ReceivedMessage[] = [];
  await channel.consume(queue, (message) => {
    if (message === null) return;
    const headers = message.properties.headers ?? {};
    received.push({
      messageId: String(message.properties.messageId),
      streamId: String(headers[MESSAGE_HEADERS.streamId]),
      version: Number(headers[MESSAGE_HEADERS.version]),
      routingKey: message.fields.routingKey,
      raw: message,
    });
    channel.ack(message);
  });
  return {
    queue,
    received,
    waitUntil: (predicate, timeoutMs) => waitUntil(() => predicate(received), timeoutMs, () => `${received.length} messages received`),
    async close() {
      await connection.close().catch(() => undefined);
    },
  };
}

/** Polls `condition` every 25 ms; rejects after `timeoutMs` with `describe()` in the message. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Deletes test exchanges and queues (ignoring ones already gone). */
export async function deleteTopology(
  amqpUrl: string,
  topology: { readonly exchanges?: readonly string[]; readonly queues?: readonly string[] },
): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    for (const queue of topology.queues ?? []) {
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    for (const exchange of topology.exchanges ?? []) {
      const channel = await connection.createChannel();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Force-closes every broker connection whose client-provided name is `connectionName`, as an
 * operator or a network failure would. Uses the management HTTP API when AMQP_MANAGEMENT_URL is set
 * (e.g. http://guest:guest@127.0.0.1:15672), otherwise `rabbitmqctl close_connection` (needs to run
 * on the broker's host with rights to its Erlang cookie). Only the named connections are closed, so
 * other tests sharing the broker are not disturbed. Resolves how many were closed.
 */
export async function forceCloseConnections(connectionName: string): Promise<number> {
  const management = process.env['AMQP_MANAGEMENT_URL'];
  if (management !== undefined && management !== '') return closeThroughManagementApi(management, connectionName);
  const { stdout } = await run('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'client_properties'], {
    timeout: 30_000,
  });
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
    .map((line) => line.split('\t')[0] ?? '')
    .filter((pid) => pid.startsWith('<'));
  for (const pid of pids) {
    await run('rabbitmqctl', ['close_connection', pid, 'eventfold test: forced close'], { timeout: 30_000 });
  }
  return pids.length;
}

async function closeThroughManagementApi(base: string, connectionName: string): Promise<number> {
  const url = new URL(base);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  const root = url.toString().replace(/\/$/, '');
  const response = await fetch(`${root}/api/connections`, { headers: { authorization: auth } });
  const connections = (await response.json()) as Array<{ name: string; client_properties?: { connection_name?: string } }>;
  const targets = connections.filter((c) => c.client_properties?.connection_name === connectionName);
  for (const target of targets) {
    await fetch(`${root}/api/connections/${encodeURIComponent(target.name)}`, {
      method: 'DELETE',
      headers: { authorization: auth, 'x-reason': 'eventfold test: forced close' },
    });
  }
  return targets.length;
}

/** Asserts that, per stream, the first delivery of each version arrives in version order without holes. */
export function expectVersionOrderPerStream(received: readonly ReceivedMessage[]): void {
  const next = new Map<string, number>();
  const outOfOrder: string[] = [];
  for (const message of received) {
    const expected = next.get(message.streamId) ?? 1;
    if (message.version === expected) next.set(message.streamId, expected + 1);
    else if (message.version > expected) outOfOrder.push(`${message.streamId}: got v${message.version}, expected v${expected}`);
    // A lower version is a duplicate of one already seen: allowed (at-least-once).
  }
  expect(outOfOrder.slice(0, 5)).toEqual([]);
}

/** The same store, recording the `timeoutMs` of every `waitForEvents` call (how the relay polls). */
export function observeWaits(base: EventStore): { store: EventStore; waits: number[] } {
  const waits: number[] = [];
  const store: EventStore = {
    append: (...args) => base.append(...args),
    readStream: (...args) => base.readStream(...args),
    readAll: (...args) => base.readAll(...args),
    streamVersion: (...args) => base.streamVersion(...args),
    streamExists: (...args) => base.streamExists(...args),
    streamInfo: (...args) => base.streamInfo(...args),
    headPosition: () => base.headPosition(),
    withTransaction: (fn) => base.withTransaction(fn),
    waitForEvents: (after, options) => {
      waits.push(options?.timeoutMs ?? Number.NaN);
      return base.waitForEvents(after, options);
    },
  };
  return { store, waits };
}
