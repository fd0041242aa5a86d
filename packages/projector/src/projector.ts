import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { CheckpointStore, EventStore } from '@eventfold/core';
import type { ProjectionDatabase } from './database';
import type { Projection } from './define-projection';
import { InvalidProjectorOptionError, UnknownProjectionError } from './errors';
import { assertProjectionList } from './projection-list';
import { silentLogger, type ProjectorLogger } from './logger';
import { createMemoryTarget } from './memory-target';
import { createPostgresTarget } from './postgres-target';
import type { ProgressListener, RebuildProgress } from './progress';
import type { RetryPolicy } from './retry';
import { ProjectionRunner, type CommittedBatch, type ProjectionStatus } from './runner';
import { assertSqlName, DEFAULT_SCHEMA } from './sql-names';
import type { DeadLetter, ProjectionVersion, ProjectorTarget } from './target';

export type PoisonEventPolicy = 'park-and-continue' | 'park-and-stop';

export interface ProjectorOptions {
  /** The event store to follow (`readAll` + `waitForEvents`). */
  readonly store: EventStore;
  readonly projections: readonly Projection[];
  /**
   * A Drizzle database (node-postgres or PGlite): the PostgreSQL target. Each batch's read-model
   * writes, checkpoint and lease check then commit in one transaction.
   */
  readonly db?: ProjectionDatabase;
  /** Schema of the event store's tables and the projector's own tables. Default `eventfold`. */
  readonly schema?: string;
  /** Without `db`: where checkpoints live (e.g. store-memory's `createMemoryCheckpointStore()`). */
  readonly checkpoints?: CheckpointStore;
  /** Events per batch (one transaction each). Default 500. */
  readonly batchSize?: number;
  /** Default `{ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 30_000 }`. */
  readonly retry?: Partial<RetryPolicy>;
  /** What to do after an event was parked: go on with the next event (default) or stop the projection. */
  readonly onPoisonEvent?: PoisonEventPolicy;
  /** How long a runner's lease lives without a heartbeat; another process takes over after it. Default 10 000. */
  readonly leaseTtlMs?: number;
  /** Longest wait between two reads when no notification arrives. Default 1000. */
  readonly pollIntervalMs?: number;
  /**
   * Under steady traffic, wait this long after a live batch before reading the next one, so the
   * events written meanwhile arrive as one batch: fewer reads and transactions per event, at most
   * this much more lag. Default 0 (read again at once). Rebuilds and catching up never wait.
   */
  readonly batchWindowMs?: number;
  /** This process's id in the lease table. Default `<host>:<pid>:<random>`. */
  readonly ownerId?: string;
  /** Create the projector's own tables on start (idempotent). Default true. */
  readonly autoMigrate?: boolean;
  /** Pino-compatible logger. Default silent. */
  readonly logger?: ProjectorLogger;
  /** Rebuild progress (truncate-and-replay and blue/green builds), at most every 200 ms and once at the end. */
  readonly onProgress?: ProgressListener;
  /** Called after each committed batch (metrics, lag measurements). */
  readonly onBatch?: (batch: CommittedBatch) => void;
}

export interface Projector {
  /** Starts a runner per projection. Resolves once each has tried to take its lease once. */
  start(): Promise<void>;
  /** Stops every runner gracefully (batches in flight commit) and releases the leases. */
  stop(): Promise<void>;
  /** One status per projection (works in any process: runners not leading report the stored checkpoint). */
  status(): Promise<ProjectionStatus[]>;
  /** Resolves when every projection (or the named one) has applied everything committed before the call. */
  whenCaughtUp(options?: { readonly projection?: string; readonly timeoutMs?: number; readonly signal?: AbortSignal }): Promise<void>;
  /** Truncate-and-replay one projection; resolves with the final progress once it has caught up. */
  rebuild(projection: string, options?: { readonly onProgress?: ProgressListener }): Promise<RebuildProgress>;
  /** Parked events, oldest position first. */
  deadLetters(filter?: { readonly projection?: string; readonly version?: number }): Promise<DeadLetter[]>;
  /** The registered versions of a projection and which one is live. */
  versions(projection: string): Promise<ProjectionVersion[]>;
}

/**
 * Creates an async projector: one runner per projection, each following the global feed from its
 * own checkpoint, woken by the store's notifications, holding a lease so only one process writes.
 */
export function createProjector(options: ProjectorOptions): Projector {
  const settings = validateOptions(options);
  const runners = new Map<string, ProjectionRunner>();
  for (const projection of settings.projections) {
    runners.set(
      projection.name,
      new ProjectionRunner({
        store: settings.store,
        target: settings.target,
        projection,
        batchSize: settings.batchSize,
        retry: settings.retry,
        onPoisonEvent: settings.onPoisonEvent,
        leaseTtlMs: settings.leaseTtlMs,
        pollIntervalMs: settings.pollIntervalMs,
        batchWindowMs: settings.batchWindowMs,
        ownerId: settings.ownerId,
        logger: settings.logger,
        onProgress: options.onProgress,
        onBatch: options.onBatch,
      }),
    );
  }
  const runnerOf = (name: string): ProjectionRunner => {
    const runner = runners.get(name);
    if (runner === undefined) throw new UnknownProjectionError(name, [...runners.keys()]);
    return runner;
  };

  return {
    async start() {
      for (const runner of runners.values()) runner.start();
      await Promise.all([...runners.values()].map((runner) => runner.ready()));
    },
    async stop() {
      await Promise.all([...runners.values()].map((runner) => runner.stop()));
    },
    status: () => Promise.all([...runners.values()].map((runner) => runner.status())),
    async whenCaughtUp(waitOptions = {}) {
      const { projection, ...rest } = waitOptions;
      const selected = projection === undefined ? [...runners.values()] : [runnerOf(projection)];
      await Promise.all(selected.map((runner) => runner.whenCaughtUp(rest)));
    },
    rebuild: async (projection, rebuildOptions) => runnerOf(projection).rebuild(rebuildOptions),
    deadLetters: (filter = {}) => settings.target.deadLetters(filter),
    versions: async (projection) => {
      runnerOf(projection);
      return settings.target.versions(projection);
    },
  };
}

interface ProjectorSettings {
  readonly store: EventStore;
  readonly projections: readonly Projection[];
  readonly target: ProjectorTarget;
  readonly batchSize: number;
  readonly retry: RetryPolicy;
  readonly onPoisonEvent: PoisonEventPolicy;
  readonly leaseTtlMs: number;
  readonly pollIntervalMs: number;
  readonly batchWindowMs: number;
  readonly ownerId: string;
  readonly logger: ProjectorLogger;
}

function validateOptions(options: ProjectorOptions): ProjectorSettings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidProjectorOptionError('options', options, 'pass { store, projections, db | checkpoints }');
  }
  const { store } = options;
  if (typeof store?.readAll !== 'function' || typeof store.waitForEvents !== 'function') {
    throw new InvalidProjectorOptionError('store', typeof store, 'pass an EventStore (createPostgresEventStore or createMemoryEventStore)');
  }
  const { projections } = options;
  assertProjectionList(projections);
  const batchSize = integerOption('batchSize', options.batchSize, 500, 1, 100_000);
  const retry: RetryPolicy = {
    maxAttempts: integerOption('retry.maxAttempts', options.retry?.maxAttempts, 5, 1, 1000),
    baseDelayMs: integerOption('retry.baseDelayMs', options.retry?.baseDelayMs, 100, 0, 3_600_000),
    maxDelayMs: integerOption('retry.maxDelayMs', options.retry?.maxDelayMs, 30_000, 0, 3_600_000),
  };
  const onPoisonEvent = options.onPoisonEvent ?? 'park-and-continue';
  if (onPoisonEvent !== 'park-and-continue' && onPoisonEvent !== 'park-and-stop') {
    throw new InvalidProjectorOptionError('onPoisonEvent', onPoisonEvent, "use 'park-and-continue' or 'park-and-stop'");
  }
  const leaseTtlMs = integerOption('leaseTtlMs', options.leaseTtlMs, 10_000, 100, 3_600_000);
  const pollIntervalMs = integerOption('pollIntervalMs', options.pollIntervalMs, 1000, 10, 3_600_000);
  const batchWindowMs = integerOption('batchWindowMs', options.batchWindowMs, 0, 0, 60_000);
  const ownerId = options.ownerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  if (typeof ownerId !== 'string' || ownerId.length === 0 || ownerId.length > 200) {
    throw new InvalidProjectorOptionError('ownerId', ownerId, 'use a string of 1 to 200 characters');
  }
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSqlName('schema', schema);
  return {
    store,
    projections,
    target: targetOf(options, schema),
    batchSize,
    retry,
    onPoisonEvent,
    leaseTtlMs,
    pollIntervalMs,
    batchWindowMs,
    ownerId,
    logger: options.logger ?? silentLogger,
  };
}

function targetOf(options: ProjectorOptions, schema: string): ProjectorTarget {
  if (options.db !== undefined) {
    if (typeof options.db?.transaction !== 'function' || typeof options.db.execute !== 'function') {
      throw new InvalidProjectorOptionError('db', typeof options.db, 'pass a Drizzle database on node-postgres or PGlite');
    }
    return createPostgresTarget(options.db, schema, options.autoMigrate ?? true);
  }
  const { checkpoints } = options;
  if (checkpoints === undefined || typeof checkpoints.load !== 'function' || typeof checkpoints.save !== 'function') {
    throw new InvalidProjectorOptionError(
      'checkpoints',
      checkpoints === undefined ? undefined : typeof checkpoints,
      'without db, pass a CheckpointStore (store-memory: createMemoryCheckpointStore())',
    );
  }
  return createMemoryTarget(checkpoints);
}

function integerOption(option: string, value: unknown, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== 'number' || !Number.isSafeInteger(chosen) || chosen < min || chosen > max) {
    throw new InvalidProjectorOptionError(option, value, `use an integer from ${min} to ${max}`);
  }
  return chosen;
}
