import { createProjector, migrateProjector, type Projector, type ProgressListener } from '@eventfold/projector';
import { createRabbitRelay, type RabbitRelay, type SqlExecutor } from '@eventfold/relay-rabbitmq';
import { reservationEvents } from '@eventfold/shared-schema/reservation';
import {
  createPostgresCheckpointStore,
  createPostgresEventStore,
  createPostgresSnapshotStore,
  migrate,
  type PostgresEventStore,
} from '@eventfold/store-postgres';
import { inlineProjections, type Projection } from '@eventfold/projector';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { createIdempotencyStore } from './application/idempotency';
import { reservationDomain } from './application/reservation-domain-binding';
import type { ReservationService } from './application/reservation-service';
import { createReservationService } from './application/reservation-service-impl';
import type { GatewayConfig } from './config';
import { openDatabase, type GatewayDatabase, type OpenedDatabase } from './db/database';
import { appliedGatewayMigration, LATEST_GATEWAY_MIGRATION, migrateGatewayTables } from './db/migrations';
import { queryRows } from './db/query';
import type { ReadinessCheck } from './http/routes/operations';
import { createMetricsRegistry, registerGatewayCounters, type GatewayCounters, type MetricsRegistry } from './metrics';
import { gatewayProjections, readModelTables, type GatewayProjections, type ReadModelTables } from './projections';
import { createOccupancyQueries, type OccupancyQueries } from './read-models/occupancy-queries';
import { createReservationQueries } from './read-models/reservation-queries';
import { inlineCreate } from './read-models/reservations';

/** The relay's name: its checkpoint and lease. One active relay per name across processes. */
export const RELAY_NAME = 'gateway-domain-events';

/** Everything the gateway is made of, opened on one database. */
export interface GatewayRuntime {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly database: OpenedDatabase;
  readonly db: GatewayDatabase;
  readonly store: PostgresEventStore;
  readonly projections: GatewayProjections;
  readonly tables: ReadModelTables;
  readonly service: ReservationService;
  readonly occupancy: OccupancyQueries;
  readonly metrics: MetricsRegistry;
  readonly counters: GatewayCounters;
  readonly readiness: ReadinessCheck;
  /** An async projector over `projections` (default: the async ones), not started. */
  createProjector(options?: { readonly projections?: readonly Projection[]; readonly onProgress?: ProgressListener }): Projector;
  /** The RabbitMQ relay, not started; undefined when AMQP_URL is not set. */
  createRelay(): RabbitRelay | undefined;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  readonly logger: Logger;
  /** Create or upgrade every table first (store, gateway, projections). Idempotent. */
  readonly migrate: boolean;
  /** An already opened database (tests); default: open the one the configuration names. */
  readonly database?: OpenedDatabase;
}

/** Creates or upgrades the event store, the gateway's tables and the read models, in that order. */
export async function migrateAll(db: GatewayDatabase, config: GatewayConfig, logger: Logger): Promise<void> {
  const projections = gatewayProjections(config.gatewaySchema);
  const store = await migrate(db, { schema: config.eventStoreSchema, logger });
  const gateway = await migrateGatewayTables(db, { schema: config.gatewaySchema, logger });
  await migrateProjector(db, { schema: config.eventStoreSchema, projections: [...projections.all], logger });
  logger.info(
    { eventStore: store.applied, gateway, projections: projections.all.map((p) => `${p.name}@v${p.version}`) },
    'migrations applied',
  );
}

export async function openRuntime(config: GatewayConfig, options: OpenRuntimeOptions): Promise<GatewayRuntime> {
  const { logger } = options;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.dbPoolSize,
      logger,
    }));
  try {
    return await assemble(config, database, options);
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

async function assemble(config: GatewayConfig, database: OpenedDatabase, options: OpenRuntimeOptions): Promise<GatewayRuntime> {
  const { logger } = options;
  const { db } = database;
  if (options.migrate) await migrateAll(db, config, logger);

  const projections = gatewayProjections(config.gatewaySchema);
  const tables = readModelTables(db, projections, config.eventStoreSchema);
  const store = createPostgresEventStore({
    db,
    schema: config.eventStoreSchema,
    catalog: reservationEvents,
    coalesce: config.coalesceAppends,
    notifyIntervalMs: config.notifyIntervalMs,
    logger: logger.child({ component: 'event-store' }),
  });
  const metrics = createMetricsRegistry();
  const counters = registerGatewayCounters(metrics);
  const queries = createReservationQueries(db, tables.reservations);
  const occupancy = createOccupancyQueries(db, tables.roomOccupancy);
  const service = createReservationService({
    store,
    db,
    domain: reservationDomain,
    inline: inlineProjections([...projections.inline], { logger: logger.child({ component: 'inline-projections' }) }),
    inlineCreate: inlineCreate(projections.reservations),
    queries,
    idempotency: createIdempotencyStore(config.gatewaySchema),
    counters,
    logger: logger.child({ component: 'reservations' }),
    snapshots: createPostgresSnapshotStore({ db, schema: config.eventStoreSchema }),
    snapshotEvery: config.snapshotEvery,
  });
  const checkpoints = createPostgresCheckpointStore({ db, schema: config.eventStoreSchema });

  const readiness: ReadinessCheck = async () => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    const reachable = await database.ping();
    checks['database'] = reachable ? { ok: true } : { ok: false, detail: 'the database does not answer' };
    if (reachable) {
      try {
        const [row] = await queryRows<{ present: boolean }>(
          db,
          sql`select to_regclass(${`"${config.eventStoreSchema}".__eventfold_migrations`}) is not null as present`,
        );
        const gatewayVersion = await appliedGatewayMigration(db, config.gatewaySchema);
        const readModels = await tables.exist();
        const ok = row?.present === true && gatewayVersion === LATEST_GATEWAY_MIGRATION && readModels;
        checks['migrations'] = ok ? { ok } : { ok, detail: 'run `gateway migrate` (serve does it at start)' };
      } catch {
        checks['migrations'] = { ok: false, detail: 'could not read the migration state' };
      }
    }
    return { ready: Object.values(checks).every((check) => check.ok), checks };
  };

  const createProjectorFor: GatewayRuntime['createProjector'] = (projectorOptions = {}) =>
    createProjector({
      store,
      db,
      schema: config.eventStoreSchema,
      projections: [...(projectorOptions.projections ?? projections.async)],
      batchWindowMs: config.projectorBatchWindowMs,
      logger: logger.child({ component: 'projector' }),
      ...(projectorOptions.onProgress === undefined ? {} : { onProgress: projectorOptions.onProgress }),
    });

  const createRelay = (): RabbitRelay | undefined =>
    config.amqpUrl === undefined
      ? undefined
      : createRabbitRelay({
          store,
          checkpoints,
          // Both Drizzle drivers answer execute() with { rows }.
          db: db as unknown as SqlExecutor,
          schema: config.eventStoreSchema,
          amqpUrl: config.amqpUrl,
          exchange: config.relayExchange,
          name: RELAY_NAME,
          logger: logger.child({ component: 'relay' }),
        });

  return {
    config,
    logger,
    database,
    db,
    store,
    projections,
    tables,
    service,
    occupancy,
    metrics,
    counters,
    readiness,
    createProjector: createProjectorFor,
    createRelay,
    async close() {
      await store.close().catch((error: unknown) => logger.warn({ err: error }, 'event store close failed'));
      await database.close();
    },
  };
}
