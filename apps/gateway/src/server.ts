import type { FastifyInstance } from 'fastify';
import type { Projector } from '@eventfold/projector';
import type { RabbitRelay } from '@eventfold/relay-rabbitmq';
import { createPostgresCheckpointStore } from '@eventfold/store-postgres';
import type { Logger } from 'pino';
import { createIdempotencyStore } from './application/idempotency';
import type { GatewayConfig } from './config';
import type { OpenedDatabase } from './db/database';
import { buildHttpApp } from './http/app';
import { openRuntime, RELAY_NAME, type GatewayRuntime } from './runtime';

export interface AssembledGateway {
  readonly app: FastifyInstance;
  readonly runtime: GatewayRuntime;
  readonly projector: Projector;
  readonly relay: RabbitRelay | undefined;
  /** Stops accepting requests, stops the projector and the relay, closes the database. */
  stop(): Promise<void>;
}

export interface RunningGateway extends AssembledGateway {
  /** `http://host:port` the API answers on. */
  readonly url: string;
}

const PURGE_EVERY_MS = 60 * 60 * 1000;

/** Registers the gauges that come from other components: projection lag, relay lag, feed head. */
function registerLagMetrics(runtime: GatewayRuntime, projector: Projector, relay: RabbitRelay | undefined): void {
  const { metrics, store, config } = runtime;
  metrics.gauge('eventfold_event_store_head_position', 'Highest global position appended.', async () => [
    { value: await store.headPosition() },
  ]);
  const projectionStatus = () => projector.status();
  metrics.gauge('eventfold_projection_lag_events', 'Events an async projection still has to apply.', async () =>
    (await projectionStatus()).map((s) => ({ labels: { projection: s.name, version: String(s.version) }, value: s.lag.events })),
  );
  metrics.gauge('eventfold_projection_lag_seconds', 'Age of the oldest event an async projection has not applied.', async () =>
    (await projectionStatus()).map((s) => ({ labels: { projection: s.name, version: String(s.version) }, value: s.lag.ms / 1000 })),
  );
  metrics.gauge('eventfold_projection_applied_events', 'Events applied by this process\'s projection runners since start.', async () =>
    (await projectionStatus()).map((s) => ({ labels: { projection: s.name }, value: s.applied })), 'counter');
  metrics.gauge('eventfold_relay_enabled', '1 when AMQP_URL is set and events are relayed to RabbitMQ, else 0.', () => [
    { value: config.amqpUrl === undefined ? 0 : 1 },
  ]);
  if (config.amqpUrl === undefined) return;
  if (relay !== undefined) {
    metrics.gauge('eventfold_relay_lag_events', 'Committed events the relay has not had confirmed by RabbitMQ.', () => [
      { labels: { relay: relay.name }, value: relay.metrics().lagEvents },
    ]);
    metrics.gauge('eventfold_relay_lag_seconds', 'Age of the oldest committed event not yet confirmed by RabbitMQ.', () => [
      { labels: { relay: relay.name }, value: relay.metrics().lagMs / 1000 },
    ]);
    metrics.gauge('eventfold_relay_published_total', 'Events RabbitMQ confirmed, since start.', () => [
      { labels: { relay: relay.name }, value: relay.metrics().publishedTotal },
    ], 'counter');
    metrics.gauge('eventfold_relay_returned_total', 'Events RabbitMQ returned as unroutable, since start.', () => [
      { labels: { relay: relay.name }, value: relay.metrics().returnedTotal },
    ], 'counter');
    return;
  }
  // The relay runs in another process (`gateway relay`): its lag is readable from its checkpoint.
  const checkpoints = createPostgresCheckpointStore({ db: runtime.db, schema: config.eventStoreSchema });
  metrics.gauge('eventfold_relay_lag_events', 'Committed events past the relay\'s saved checkpoint.', async () => {
    const saved = await checkpoints.load(RELAY_NAME);
    const head = await store.headPosition();
    return [{ labels: { relay: RELAY_NAME }, value: Math.max(0, head - (saved?.checkpoint.position ?? 0)) }];
  });
}

/**
 * The whole service, ready for requests but not listening (tests use `app.inject`): migrates, starts
 * the async projector and (with AMQP_URL) the relay in this process.
 */
export async function assembleGateway(
  config: GatewayConfig,
  logger: Logger,
  options: { readonly database?: OpenedDatabase } = {},
): Promise<AssembledGateway> {
  const runtime = await openRuntime(config, { logger, migrate: true, ...options });
  logger.info({ database: runtime.database.kind, location: runtime.database.location }, 'database ready');
  const projector = runtime.createProjector();
  let relay: RabbitRelay | undefined;
  let app: FastifyInstance | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;
  const stopAll = async () => {
    if (purgeTimer !== undefined) clearInterval(purgeTimer);
    await app?.close();
    await relay?.stop();
    await projector.stop();
    await runtime.close();
  };
  try {
    if (config.projectorInServe) await projector.start();
    if (config.amqpUrl === undefined) {
      logger.info('relay off: AMQP_URL is not set, so events are not published to RabbitMQ');
    } else if (config.relayInServe) {
      relay = runtime.createRelay();
      relay?.start();
      logger.info({ exchange: config.relayExchange }, 'relay started');
    } else {
      logger.info('relay not started in serve (RELAY_IN_SERVE=false); run `gateway relay` as its own process');
    }
    registerLagMetrics(runtime, projector, relay);

    const idempotency = createIdempotencyStore(config.gatewaySchema);
    const purge = () =>
      idempotency
        .purge(runtime.db, config.idempotencyTtlHours)
        .then((removed) => removed > 0 && logger.info({ removed }, 'expired idempotency keys removed'))
        .catch((error: unknown) => logger.warn({ err: error }, 'idempotency key purge failed'));
    await purge();
    purgeTimer = setInterval(() => void purge(), PURGE_EVERY_MS).unref();

    app = await buildHttpApp({
      service: runtime.service,
      occupancy: runtime.occupancy,
      logger,
      metrics: runtime.metrics,
      counters: runtime.counters,
      readiness: runtime.readiness,
    });
    return { app, runtime, projector, relay, stop: stopAll };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/** `gateway serve`: {@link assembleGateway}, then listen on HOST:PORT. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const gateway = await assembleGateway(config, logger);
  try {
    await gateway.app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await gateway.stop().catch(() => undefined);
    throw error;
  }
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  // Listening on every interface: print an address a browser on this machine can open.
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const host = shown.includes(':') ? `[${shown}]` : shown;
  const url = `http://${host}:${port}`;
  logger.info({ url, docs: `${url}/docs` }, 'gateway listening');
  return { ...gateway, url };
}
