import { uniqueName } from '@eventfold/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startAppliedEventsConsumer, type AppliedEvents } from '../test/applied-events';
import { appendFromWriters, openTestStore, type TestStore } from '../test/postgres-store';
import { deleteTopology, forceCloseConnections, resolveInfra, waitUntil, type Infra } from '../test/support';
import { createRabbitRelay, type RabbitRelay } from './relay';

const infra = await resolveInfra('relay-rabbitmq connection-loss test');

describe.skipIf(infra === undefined)('broker connections force-closed mid-run (RabbitMQ + PostgreSQL)', () => {
  // Collected even when skipped: only read infra inside hooks and tests.
  const { amqpUrl, database } = infra ?? ({} as Infra);
  const schema = uniqueName('s');
  const exchange = uniqueName('conn_events');
  const relayName = uniqueName('relay');
  let test: TestStore | undefined;
  let applied: AppliedEvents | undefined;
  let relay: RabbitRelay | undefined;

  afterAll(async () => {
    await relay?.stop();
    await applied?.consumer.stop();
    await deleteTopology(amqpUrl, {
      exchanges: [exchange, ...(applied === undefined ? [] : [applied.deadLetterExchange])],
      queues: applied === undefined ? [] : [applied.queue, `${applied.queue}.retry-1000ms`],
    });
    await test?.close();
    await database.dispose();
  });

  it('the relay and the consumer reconnect, re-declare and carry on: every event applied exactly once', async () => {
    test = await openTestStore(database.connectionString, { schema });
    applied = await startAppliedEventsConsumer(test.db, amqpUrl, exchange);
    relay = createRabbitRelay({
      store: test.store,
      checkpoints: test.checkpoints,
      db: test.db,
      schema,
      amqpUrl,
      exchange,
      name: relayName,
      batchSize: 100,
      maxInFlight: 300,
      leaseTtlMs: 2000,
      pollIntervalMs: 200,
      reconnectBackoff: { initialMs: 20, maxMs: 200 },
    });
    relay.start();
    // Writers keep appending until every forced close has happened, so each one hits a live run.
    const stopWriting = new AbortController();
    const writing = appendFromWriters(test.store, {
      writers: 4,
      events: 100_000,
      maxPerAppend: 5,
      streamsPerWriter: 10,
      pauseMs: 20,
      signal: stopWriting.signal,
    });

    for (let round = 1; round <= 3; round++) {
      const publishedBefore = relay.metrics().publishedTotal;
      await waitUntil(() => relay!.metrics().publishedTotal > publishedBefore + 200, 20_000, () => JSON.stringify(relay!.metrics()));
      expect(await forceCloseConnections(`eventfold-relay:${relayName}`)).toBe(1);
      await waitUntil(() => relay!.metrics().reconnects === round && relay!.metrics().state === 'running', 20_000, () =>
        JSON.stringify(relay!.metrics()),
      );
      if (round === 2) {
        expect(await forceCloseConnections(`eventfold-consumer:${applied.consumerName}`)).toBe(1);
        await waitUntil(() => applied!.consumer.metrics().reconnects === 1, 20_000);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    stopWriting.abort();
    const ids = await writing;
    await waitUntil(() => relay!.metrics().lagEvents === 0 && relay!.metrics().inFlight === 0, 30_000, () => JSON.stringify(relay!.metrics()));
    await waitUntil(() => applied!.consumer.metrics().handled >= ids.length, 30_000, () => JSON.stringify(applied!.consumer.metrics()));
    await applied.expectExactlyOnce(ids);
    expect(relay.metrics().reconnects).toBe(3);
    expect(relay.metrics().lastError).not.toBeNull(); // the last failure stays visible
    expect(applied.consumer.metrics().deadLettered).toBe(0);
  }, 120_000);
});
