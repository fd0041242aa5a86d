import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@eventfold/shared-schema';
import { reservationEvents } from '@eventfold/shared-schema/reservation';
import { uniqueName } from '@eventfold/testing';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectMessages,
  deleteTopology,
  forceCloseConnections,
  resolveInfra,
  waitUntil,
  type Collector,
  type Infra,
} from '../test/support';
import { createRabbitConsumer, type ConsumerHandler, type RabbitConsumer } from './consumer';
import { migrateInbox, pruneInbox } from './inbox';
import { MESSAGE_HEADERS, defaultRoutingKey, toOutgoingMessage } from './message';

type Tx = Parameters<Parameters<NodePgDatabase['transaction']>[0]>[0];

const infra = await resolveInfra('relay-rabbitmq consumer tests');

describe.skipIf(infra === undefined)('createRabbitConsumer (RabbitMQ + PostgreSQL)', () => {
  // Collected even when skipped: only read infra inside hooks and tests.
  const { amqpUrl, database } = infra ?? ({} as Infra);
  const exchange = uniqueName('consumer_events');
  const deadLetters = uniqueName('consumer_dlx');
  const queues: string[] = [];
  const extraExchanges: string[] = [];
  let pool: pg.Pool;
  let db: NodePgDatabase;
  let connection: ChannelModel;
  let channel: ConfirmChannel;
  let deadLetterCollector: Collector;
  const consumers: RabbitConsumer[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: database.connectionString, max: 6 });
    pool.on('error', (error) => console.warn(`idle PostgreSQL client failed (the pool replaces it): ${error.message}`));
    db = drizzle(pool);
    await migrateInbox(db, { schema: 'app' });
    await db.execute(sql`create table app.applied (event_id text not null, consumer text not null, note text)`);
    connection = await amqp.connect(amqpUrl);
    channel = await connection.createConfirmChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    deadLetterCollector = await collectMessages(amqpUrl, deadLetters);
  });

  afterAll(async () => {
    for (const consumer of consumers) await consumer.stop();
    await deadLetterCollector?.close();
    await connection?.close().catch(() => undefined);
    await deleteTopology(amqpUrl, {
      exchanges: [exchange, deadLetters, ...extraExchanges],
      queues: queues.flatMap((queue) => [queue, `${queue}.retry-150ms`, `${queue}.retry-1000ms`, `${queue}.retry-1500ms`]),
    });
    await pool?.end();
    await database.dispose();
  });

  let position = 0;
  function makeEvent(type: string, data: unknown, streamId = `reservation-${randomUUID()}`): RecordedEvent {
    position += 1;
    return {
      id: randomUUID(),
      streamId,
      streamType: 'reservation',
      version: 1,
      globalPosition: position,
      type,
      data,
      metadata: {},
      occurredAt: new Date(),
    };
  }

  async function publish(event: RecordedEvent): Promise<void> {
    const message = toOutgoingMessage(event, defaultRoutingKey);
    channel.publish(exchange, message.routingKey, message.content, message.options);
    await channel.waitForConfirms();
  }

  async function publishRaw(routingKey: string, body: string, messageId: string): Promise<void> {
    channel.publish(exchange, routingKey, Buffer.from(body), { messageId, contentType: 'application/json', persistent: true });
    await channel.waitForConfirms();
  }

  async function appliedCount(consumer: string, eventId?: string): Promise<number> {
    const { rows } = await db.execute(
      eventId === undefined
        ? sql`select count(*)::int as n from app.applied where consumer = ${consumer}`
        : sql`select count(*)::int as n from app.applied where consumer = ${consumer} and event_id = ${eventId}`,
    );
    return Number((rows[0] as { n: number }).n);
  }

  function startConsumer(
    name: string,
    handler: ConsumerHandler<RecordedEvent, Tx>,
    extra: { bindings?: string[]; maxAttempts?: number; deadLetterExchange?: string; retryDelayMs?: number } = {},
  ): Promise<RabbitConsumer> {
    const queue = uniqueName(`q_${name}`);
    queues.push(queue);
    const consumer = createRabbitConsumer({
      amqpUrl,
      queue,
      exchange,
      bindings: extra.bindings ?? ['event.#'],
      handler,
      inbox: { db, schema: 'app', consumerName: name },
      prefetch: 20,
      maxAttempts: extra.maxAttempts ?? 3,
      retryDelayMs: extra.retryDelayMs ?? 150,
      deadLetterExchange: extra.deadLetterExchange ?? deadLetters,
      reconnectBackoff: { initialMs: 20, maxMs: 200 },
    });
    consumers.push(consumer);
    return consumer.start().then(() => consumer);
  }

  it('applies a message delivered twice exactly once: handler writes and the inbox row commit together', async () => {
    const consumer = await startConsumer('dedup', async (event, { tx }) => {
      await tx.execute(sql`insert into app.applied (event_id, consumer) values (${event.id}, 'dedup')`);
    });
    const event = makeEvent('SomethingHappened', { n: 1 });
    await publish(event);
    await publish(event);
    await waitUntil(() => consumer.metrics().received === 2, 10_000);
    await waitUntil(() => consumer.metrics().handled + consumer.metrics().duplicates === 2, 10_000);
    expect(await appliedCount('dedup', event.id)).toBe(1);
    expect(consumer.metrics()).toMatchObject({ handled: 1, duplicates: 1 });
  });

  it('rolls back a failed attempt and retries it after the delay, with the attempt number', async () => {
    const attempts: number[] = [];
    const consumer = await startConsumer('flaky', async (event, { tx, attempt }) => {
      attempts.push(attempt);
      await tx.execute(sql`insert into app.applied (event_id, consumer) values (${event.id}, 'flaky')`);
      if (attempt < 3) throw new Error(`transient failure ${attempt}`);
    });
    const event = makeEvent('SomethingHappened', { n: 2 });
    const startedAt = Date.now();
    await publish(event);
    await waitUntil(() => consumer.metrics().handled === 1, 10_000);
    expect(attempts).toEqual([1, 2, 3]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2 * 150);
    expect(await appliedCount('flaky', event.id)).toBe(1); // the two failed attempts left nothing behind
    expect(consumer.metrics()).toMatchObject({ retried: 2, deadLettered: 0 });
  });

  it('dead-letters a poison message after maxAttempts while the other messages keep flowing', async () => {
    const poison = makeEvent('SomethingHappened', { poison: true });
    const consumer = await startConsumer(
      'poison',
      async (event, { tx }) => {
        if (event.id === poison.id) throw new Error('cannot handle this one');
        await tx.execute(sql`insert into app.applied (event_id, consumer) values (${event.id}, 'poison')`);
      },
      { retryDelayMs: 1500 },
    );
    await publish(poison);
    const others = Array.from({ length: 20 }, (_, i) => makeEvent('SomethingHappened', { i }));
    for (const event of others) await publish(event);
    // All the others are handled while the poison message is still waiting between its attempts.
    await waitUntil(() => consumer.metrics().handled === others.length, 10_000);
    expect(consumer.metrics().deadLettered).toBe(0);
    await waitUntil(() => consumer.metrics().deadLettered === 1, 10_000);
    await deadLetterCollector.waitUntil((received) => received.some((m) => m.messageId === poison.id), 10_000);
    const dead = deadLetterCollector.received.find((m) => m.messageId === poison.id)!;
    const headers = dead.raw.properties.headers ?? {};
    expect(headers[MESSAGE_HEADERS.attempts]).toBe(3);
    expect(String(headers[MESSAGE_HEADERS.deadLetterReason])).toContain('cannot handle this one');
    expect(headers[MESSAGE_HEADERS.deadLetterConsumer]).toBe('poison');
    expect(dead.routingKey).toBe('event.SomethingHappened');
    expect(JSON.parse(dead.raw.content.toString('utf8'))).toMatchObject({ id: poison.id, data: { poison: true } });
    expect(await appliedCount('poison')).toBe(others.length);
    expect(consumer.metrics()).toMatchObject({ retried: 2, deadLettered: 1 });
  });

  it('keeps a message it cannot dead-letter (nothing bound to the exchange) instead of dropping it', async () => {
    const unbound = uniqueName('consumer_dlx_unbound');
    extraExchanges.push(unbound);
    const consumer = await startConsumer(
      'unbound_dlx',
      async () => {
        throw new Error('always fails');
      },
      { maxAttempts: 1, deadLetterExchange: unbound },
    );
    const event = makeEvent('SomethingHappened', { doomed: true });
    await publish(event);
    await waitUntil(() => (consumer.metrics().lastError ?? '').includes('could not be forwarded'), 10_000, () =>
      JSON.stringify(consumer.metrics()),
    );
    expect(consumer.metrics().deadLettered).toBe(0);
    // Once a queue is bound, the next delivery (after a reconnect) reaches it: nothing was lost.
    const late = await collectMessages(amqpUrl, unbound);
    try {
      expect(await forceCloseConnections('eventfold-consumer:unbound_dlx')).toBe(1);
      await late.waitUntil((received) => received.some((m) => m.messageId === event.id), 15_000);
      expect(consumer.metrics()).toMatchObject({ deadLettered: 1, reconnects: 1 });
    } finally {
      await late.close();
    }
  });

  it('parses with the event catalog, and dead-letters at once what the catalog or the envelope rejects', async () => {
    const seen: unknown[] = [];
    const queue = uniqueName('q_catalog');
    queues.push(queue);
    const consumer = createRabbitConsumer({
      amqpUrl,
      queue,
      exchange,
      bindings: ['event.ReservationCancelled', 'event.Garbage'],
      catalog: reservationEvents,
      handler: async (event) => {
        seen.push(event.type === 'ReservationCancelled' ? event.data.reason : event.type);
      },
      inbox: { db, schema: 'app', consumerName: 'catalog' },
      maxAttempts: 5,
      retryDelayMs: 150,
      deadLetterExchange: deadLetters,
    });
    consumers.push(consumer);
    await consumer.start();
    const good = makeEvent('ReservationCancelled', { reservationId: randomUUID(), reason: 'guest asked' });
    const invalid = makeEvent('ReservationCancelled', { reservationId: 'not-a-uuid', reason: 'x' });
    const garbageId = randomUUID();
    await publish(invalid);
    await publishRaw('event.Garbage', '{not json', garbageId);
    await publish(good);
    await waitUntil(() => consumer.metrics().handled === 1 && consumer.metrics().deadLettered === 2, 10_000);
    expect(seen).toEqual(['guest asked']);
    expect(consumer.metrics().retried).toBe(0);
    await deadLetterCollector.waitUntil(
      (received) => [invalid.id, garbageId].every((id) => received.some((m) => m.messageId === id)),
      10_000,
    );
    const reasonOf = (id: string) =>
      String(deadLetterCollector.received.find((m) => m.messageId === id)?.raw.properties.headers?.[MESSAGE_HEADERS.deadLetterReason]);
    expect(reasonOf(invalid.id)).toContain('reservationId');
    expect(reasonOf(invalid.id)).toContain('InvalidMessageError');
    expect(reasonOf(garbageId)).toContain('not JSON');
  });

  it('binds per event type: only the bound types reach the handler', async () => {
    const types: string[] = [];
    const consumer = await startConsumer(
      'bound',
      async (event) => {
        types.push(event.type);
      },
      { bindings: ['event.Wanted'] },
    );
    await publish(makeEvent('Unwanted', {}));
    await publish(makeEvent('Wanted', {}));
    await publish(makeEvent('Unwanted', {}));
    await publish(makeEvent('Wanted', {}));
    await waitUntil(() => consumer.metrics().handled === 2, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(types).toEqual(['Wanted', 'Wanted']);
    expect(consumer.metrics().received).toBe(2);
  });

  it('migrateInbox is idempotent and safe to run from several connections at once', async () => {
    const pools = [0, 1, 2].map(() => new pg.Pool({ connectionString: database.connectionString, max: 1 }));
    try {
      await Promise.all(pools.map((p) => migrateInbox(drizzle(p), { schema: 'fresh_inbox' })));
      await migrateInbox(db, { schema: 'fresh_inbox' });
      const { rows } = await db.execute(
        sql`select count(*)::int as n from information_schema.tables where table_schema = 'fresh_inbox' and table_name = 'inbox'`,
      );
      expect((rows[0] as { n: number }).n).toBe(1);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('pruneInbox deletes only rows older than the given age, for one consumer or all', async () => {
    await migrateInbox(db, { schema: 'prune_test' });
    await db.execute(sql`insert into prune_test.inbox (consumer_name, message_id, received_at) values
      ('a', 'old-1', now() - interval '3 hours'), ('a', 'new-1', now()),
      ('b', 'old-2', now() - interval '3 hours'), ('b', 'mid-2', now() - interval '30 minutes')`);
    expect(await pruneInbox(db, { schema: 'prune_test', consumerName: 'a', olderThanMs: 2 * 3_600_000 })).toBe(1);
    expect(await pruneInbox(db, { schema: 'prune_test', olderThanMs: 3_600_000 })).toBe(1);
    const { rows } = await db.execute(sql`select message_id from prune_test.inbox order by message_id`);
    expect(rows.map((row) => (row as { message_id: string }).message_id)).toEqual(['mid-2', 'new-1']);
  });
});
