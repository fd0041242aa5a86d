import {
  compareCheckpoints,
  START,
  type CheckpointStatus,
  type EventStore,
  type GlobalCheckpoint,
  type ReadAllPage,
  type RecordedEvent,
} from '@eventfold/core';
import { isLeaseLostError } from '@eventfold/store-postgres';
import { sql } from 'drizzle-orm';
import { createProjectionContext } from './context';
import type { Projection, ProjectionContext } from './define-projection';
import {
  isProjectionHandlerError,
  messageOf,
  ProjectionBusyError,
  ProjectionDefinitionError,
  ProjectionStoppedError,
  ProjectorTimeoutError,
  type ProjectionHandlerError,
} from './errors';
import { errorFields, type ProjectorLogger } from './logger';
import { ProgressTracker, type ProgressListener, type RebuildProgress } from './progress';
import { backoffDelay, isTransientError, pause, type RetryPolicy } from './retry';
import type { ProjectionVersionState, ProjectorTarget, RunnerLease, TargetUnit } from './target';

/**
 * - `catching-up`: reading a backlog; `running`: caught up, waiting for new events;
 * - `rebuilding`: replaying from the start (truncate-and-replay, or a new version building beside the live one);
 * - `standby`: another process holds the projection's lease, this runner waits to take over;
 * - `stopped`: not started, or stopped; `failed`: an event was parked with `park-and-stop`.
 */
export type ProjectionState = 'running' | 'catching-up' | 'rebuilding' | 'standby' | 'stopped' | 'failed';

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly state: ProjectionState;
  /** The checkpoint the projection has committed up to. */
  readonly position: GlobalCheckpoint;
  /**
   * How far behind the feed it is: `events` counts global positions between the checkpoint and the
   * head; `ms` is the age of the oldest event not yet applied (0 when caught up).
   */
  readonly lag: { readonly events: number; readonly ms: number };
  readonly lastError: { readonly message: string; readonly at: Date } | null;
  /** Whether this process holds the lease (is the active runner). */
  readonly leaseHeld: boolean;
  /** Owner id of the active runner, wherever it runs; null when none holds the lease. */
  readonly leaseHolder: string | null;
  /** This version's place in blue/green: `live` answers queries. */
  readonly versionState: ProjectionVersionState | 'unregistered';
  /** Events applied and events parked by this runner since it started. */
  readonly applied: number;
  readonly parked: number;
}

/** What `onBatch` gets after each committed batch. */
export interface CommittedBatch {
  readonly projection: string;
  readonly version: number;
  readonly events: readonly RecordedEvent[];
  readonly checkpoint: GlobalCheckpoint;
  readonly durationMs: number;
}

export interface RunnerSettings {
  readonly store: EventStore;
  readonly target: ProjectorTarget;
  readonly projection: Projection;
  readonly batchSize: number;
  readonly retry: RetryPolicy;
  readonly onPoisonEvent: 'park-and-continue' | 'park-and-stop';
  readonly leaseTtlMs: number;
  readonly pollIntervalMs: number;
  readonly batchWindowMs: number;
  readonly ownerId: string;
  readonly logger: ProjectorLogger;
  readonly onProgress: ProgressListener | undefined;
  readonly onBatch: ((batch: CommittedBatch) => void) | undefined;
}

interface NumberedPage extends ReadAllPage {
  /** Reads are numbered in the order they start; `whenCaughtUp` waits for a read started after its call. */
  readonly readNumber: number;
}

interface Waiter {
  readonly afterRead: number;
  resolve(): void;
  reject(error: unknown): void;
}

interface RebuildRequest {
  readonly onProgress: ProgressListener | undefined;
  resolve(progress: RebuildProgress): void;
  reject(error: unknown): void;
}

interface HandlerFailure {
  readonly error: ProjectionHandlerError;
  readonly attempts: number;
}

/** Unwinds the leading loop when the runner is stopped or loses its lease. */
class Interrupted extends Error {}
/** Unwinds the leading loop after `park-and-stop` parked an event. */
class Halted extends Error {}

const SKIP_SAVE_INTERVAL_MS = 1000;

/**
 * Runs one projection: holds its lease, follows the feed from its checkpoint, applies batches
 * (read-model writes and checkpoint in one unit), retries, parks poison events, and rebuilds.
 */
export class ProjectionRunner {
  readonly #settings: RunnerSettings;
  readonly #projection: Projection;
  readonly #checkpointName: string;
  readonly #lease: RunnerLease;
  #state: ProjectionState = 'stopped';
  #checkpoint: GlobalCheckpoint = START;
  #lastSavedCheckpoint: GlobalCheckpoint = START;
  #lastSaveAt = 0;
  #versionState: ProjectionVersionState | 'unregistered' = 'unregistered';
  #lastError: { message: string; at: Date } | null = null;
  #applied = 0;
  #parked = 0;
  #readsStarted = 0;
  #waiters = new Set<Waiter>();
  #stop: AbortController | undefined;
  #wake: AbortController | undefined;
  #nudged = false;
  #loop: Promise<void> | undefined;
  #firstAttempt: Promise<void> | undefined;
  #rebuildRequest: RebuildRequest | undefined;
  #tracker: ProgressTracker | undefined;
  #activeRebuild: RebuildRequest | undefined;
  /** True once the current leadership loaded the stored checkpoint (before that, ours is not to be saved). */
  #checkpointLoaded = false;
  #promotionRefused = false;

  constructor(settings: RunnerSettings) {
    this.#settings = settings;
    this.#projection = settings.projection;
    this.#checkpointName = checkpointNameOf(settings.projection);
    this.#lease = settings.target.createLease(this.#checkpointName, { ownerId: settings.ownerId, ttlMs: settings.leaseTtlMs });
  }

  get name(): string {
    return this.#projection.name;
  }

  get started(): boolean {
    return this.#loop !== undefined;
  }

  start(): void {
    if (this.#loop !== undefined) return;
    const stop = new AbortController();
    this.#stop = stop;
    let firstAttemptDone!: () => void;
    this.#firstAttempt = new Promise((resolve) => {
      firstAttemptDone = resolve;
    });
    this.#loop = this.#run(stop.signal, firstAttemptDone);
  }

  /** Resolves once the runner has tried to take its lease (or has stopped). */
  async ready(): Promise<void> {
    await this.#firstAttempt;
  }

  /** Stops gracefully: the batch in flight commits, waits are cut short, the lease is released. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    if (loop === undefined) return;
    this.#stop?.abort();
    this.#nudge();
    await loop;
    this.#loop = undefined;
  }

  /**
   * Resolves once a read of the feed that started after this call came back with nothing more to
   * read and its events are committed: everything committed (and readable) before the call is applied.
   */
  whenCaughtUp(options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === 'failed') {
      return Promise.reject(new ProjectionStoppedError(this.name, 'failed', this.#lastError?.message ?? null));
    }
    if (this.#loop === undefined) return Promise.reject(new ProjectionStoppedError(this.name, 'stopped', null));
    return new Promise<void>((resolve, reject) => {
      const cleanups: Array<() => void> = [];
      const finish = (): void => {
        this.#waiters.delete(waiter);
        for (const cleanup of cleanups) cleanup();
      };
      const waiter: Waiter = {
        afterRead: this.#readsStarted,
        resolve: () => {
          finish();
          resolve();
        },
        reject: (error) => {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      if (options.timeoutMs !== undefined) {
        const timeoutMs = options.timeoutMs;
        const timer = setTimeout(() => waiter.reject(new ProjectorTimeoutError(this.name, timeoutMs, 'catch up')), timeoutMs);
        cleanups.push(() => clearTimeout(timer));
      }
      if (options.signal !== undefined) {
        const signal = options.signal;
        if (signal.aborted) {
          waiter.reject(signal.reason);
          return;
        }
        const onAbort = (): void => waiter.reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
      this.#waiters.add(waiter);
      this.#nudge();
    });
  }

  /**
   * Truncate-and-replay: empties this version's tables (`reset`, default `truncate`), sets the
   * checkpoint back to the start and replays the feed. Resolves with the final progress once it has
   * caught up. Needs this runner to hold the lease (it starts the runner when needed).
   */
  async rebuild(options: { readonly onProgress?: ProgressListener } = {}): Promise<RebuildProgress> {
    if (this.#projection.reset === undefined && this.#projection.tables.length === 0) {
      throw new ProjectionDefinitionError(
        this.name,
        `Projection "${this.name}" declares no tables and no reset, so a truncate-and-replay rebuild cannot empty it. Add tables or reset.`,
      );
    }
    this.start();
    await this.#firstAttempt;
    if (!this.#lease.held) throw new ProjectionBusyError(this.name, await this.#lease.holder().catch(() => undefined));
    if (this.#rebuildRequest !== undefined || this.#activeRebuild !== undefined) {
      throw new ProjectionBusyError(this.name, `${this.#settings.ownerId} (a rebuild is already running)`);
    }
    return new Promise<RebuildProgress>((resolve, reject) => {
      this.#rebuildRequest = { onProgress: options.onProgress, resolve, reject };
      this.#nudge();
    });
  }

  async status(): Promise<ProjectionStatus> {
    const { target } = this.#settings;
    const leading = this.#lease.held;
    let position = this.#checkpoint;
    let state = this.#state;
    let lastError = this.#lastError;
    const holder = leading ? this.#settings.ownerId : await this.#lease.holder();
    if (!leading) {
      // Not the active runner: report what the active one stored, so any process can show status.
      const stored = await target.loadCheckpoint(this.#checkpointName);
      position = stored?.checkpoint ?? START;
      if (state === 'stopped' && stored?.status === 'failed') state = 'failed';
      else if (state === 'stopped' && holder !== undefined) state = stored === undefined ? 'running' : stateOf(stored.status);
      if (lastError === null && stored?.lastError != null) lastError = { message: stored.lastError, at: stored.updatedAt };
      const versions = await target.versions(this.name);
      this.#versionState = versions.find((v) => v.version === this.#projection.version)?.state ?? 'unregistered';
    }
    const lag = await this.#lagAfter(position);
    if (!leading && state === 'running' && lag.events > 0) state = 'catching-up';
    return {
      name: this.name,
      version: this.#projection.version,
      state,
      position,
      lag,
      lastError,
      leaseHeld: leading,
      leaseHolder: holder ?? null,
      versionState: this.#versionState,
      applied: this.#applied,
      parked: this.#parked,
    };
  }

  async #lagAfter(position: GlobalCheckpoint): Promise<{ events: number; ms: number }> {
    const { store } = this.#settings;
    const types = this.#projection.eventTypes;
    const next = await store.readAll({ after: position, limit: 1, ...(types === undefined ? {} : { types }) });
    const first = next.events[0];
    if (first === undefined) return { events: 0, ms: 0 };
    const head = await store.headPosition();
    return { events: Math.max(1, head - position.position), ms: Math.max(0, Date.now() - first.occurredAt.getTime()) };
  }

  // ---------------------------------------------------------------------------------------------
  // The loop: take the lease, lead while it holds, stand by otherwise.

  async #run(stop: AbortSignal, firstAttemptDone: () => void): Promise<void> {
    const { logger, target } = this.#settings;
    const fields = { projection: this.name, version: this.#projection.version, owner: this.#settings.ownerId };
    try {
      this.#setState('standby');
      await this.#withInfrastructureRetry(() => target.prepare(), stop);
      const registered = await this.#withInfrastructureRetry(() => target.register(this.name, this.#projection.version), stop);
      this.#versionState = registered.state;
      while (!stop.aborted) {
        const acquired = await this.#lease.tryAcquire().catch((error: unknown) => {
          this.#recordError(error);
          logger.warn({ ...fields, ...errorFields(error) }, 'could not try the projection lease');
          return false;
        });
        if (acquired) this.#setState(this.#versionState === 'building' ? 'rebuilding' : 'catching-up');
        firstAttemptDone();
        if (!acquired) {
          this.#setState('standby');
          await pause(this.#standbyPollMs(), stop);
          continue;
        }
        logger.info(fields, 'projection lease acquired; leading');
        const leadership = new AbortController();
        const heartbeat = this.#startHeartbeat(leadership);
        try {
          await this.#lead(AbortSignal.any([stop, leadership.signal]));
        } catch (error) {
          if (error instanceof Halted) {
            this.#setState('failed');
            break;
          }
          if (stop.aborted) break;
          if (isLeaseLostError(error) || leadership.signal.aborted) {
            logger.warn(fields, 'projection lease lost; standing by');
            this.#failRebuild(error);
          } else {
            this.#recordError(error);
            logger.error({ ...fields, ...errorFields(error) }, 'projection runner failed; restarting it');
            await pause(backoffDelay(this.#settings.retry, 3), stop);
          }
        } finally {
          clearInterval(heartbeat);
        }
      }
    } catch (error) {
      if (!(error instanceof Interrupted)) {
        this.#recordError(error);
        logger.error({ ...fields, ...errorFields(error) }, 'projection runner crashed');
        this.#setState('failed');
      }
    } finally {
      firstAttemptDone();
      await this.#leave(stop.aborted);
    }
  }

  async #leave(graceful: boolean): Promise<void> {
    const { logger } = this.#settings;
    if (this.#lease.held) {
      if (graceful && this.#state !== 'failed' && this.#checkpointLoaded) {
        await this.#settings.target
          .transaction(this.#lease, (unit) => unit.saveCheckpoint(this.#checkpointName, this.#checkpoint, { status: 'stopped' }))
          .catch((error: unknown) => logger.warn({ projection: this.name, ...errorFields(error) }, 'could not record the stop'));
      }
      await this.#lease.release().catch(() => undefined);
    }
    if (this.#state !== 'failed') this.#setState('stopped');
    const error = new ProjectionStoppedError(this.name, this.#state === 'failed' ? 'failed' : 'stopped', this.#lastError?.message ?? null);
    for (const waiter of [...this.#waiters]) waiter.reject(error);
    this.#failRebuild(error);
    logger.info({ projection: this.name, state: this.#state }, 'projection runner stopped');
  }

  #startHeartbeat(leadership: AbortController): ReturnType<typeof setInterval> {
    let renewing = false;
    const timer = setInterval(() => {
      if (renewing) return;
      renewing = true;
      this.#lease
        .renew()
        .then((held) => {
          if (!held) leadership.abort();
        })
        .catch((error: unknown) => {
          // Cannot reach the database: keep going; the lease check inside each transaction decides.
          this.#settings.logger.warn({ projection: this.name, ...errorFields(error) }, 'could not renew the projection lease');
        })
        .finally(() => {
          renewing = false;
        });
    }, Math.max(50, Math.floor(this.#settings.leaseTtlMs / 3)));
    return timer;
  }

  #standbyPollMs(): number {
    return Math.max(50, Math.min(1000, Math.floor(this.#settings.leaseTtlMs / 10)));
  }

  // ---------------------------------------------------------------------------------------------
  // Leading: follow the feed from the stored checkpoint.

  async #lead(signal: AbortSignal): Promise<void> {
    const { target, logger } = this.#settings;
    this.#checkpointLoaded = false;
    this.#promotionRefused = false;
    const stored = await target.loadCheckpoint(this.#checkpointName);
    this.#checkpoint = stored?.checkpoint ?? START;
    this.#lastSavedCheckpoint = this.#checkpoint;
    this.#checkpointLoaded = true;
    const mine = (await target.versions(this.name)).find((v) => v.version === this.#projection.version);
    this.#versionState = mine?.state ?? 'unregistered';
    if (this.#versionState === 'building') {
      this.#tracker = this.#newTracker('blue-green', undefined);
    } else if (stored?.status === 'rebuilding') {
      this.#tracker = this.#newTracker('truncate', undefined);
    }
    if (this.#projection.setup !== undefined) {
      const setup = this.#projection.setup;
      await this.#withInfrastructureRetry(() => this.#unit((unit) => setup(this.#context(unit))), signal);
    }
    logger.info({ projection: this.name, version: this.#projection.version, position: this.#checkpoint }, 'following the feed');
    this.#setState(this.#tracker === undefined ? 'catching-up' : 'rebuilding');

    let prefetched: { after: GlobalCheckpoint; page: Promise<NumberedPage> } | undefined;
    for (;;) {
      if (signal.aborted) throw new Interrupted();
      if (this.#rebuildRequest !== undefined) {
        await this.#beginTruncateRebuild(signal);
        prefetched = undefined;
      }
      const after = this.#checkpoint;
      const page =
        prefetched !== undefined && compareCheckpoints(prefetched.after, after) === 0
          ? await prefetched.page
          : await this.#read(after, this.#settings.batchSize, signal);
      prefetched = undefined;
      if (page.hasMore && page.events.length > 0) {
        // Read the next page while this one is written: the checkpoint it starts from is known.
        const next = this.#read(page.checkpoint, this.#settings.batchSize, signal);
        next.catch(() => undefined);
        prefetched = { after: page.checkpoint, page: next };
      }
      if (page.events.length > 0) {
        await this.#process(page, after, signal);
        if (compareCheckpoints(this.#checkpoint, page.checkpoint) < 0) continue; // an event was isolated; read on from it
      } else if (compareCheckpoints(page.checkpoint, after) > 0) {
        this.#checkpoint = page.checkpoint; // only events this projection skips
      }
      await this.#reportProgress(page.hasMore);
      if (page.hasMore) {
        this.#setState(this.#tracker === undefined ? 'catching-up' : 'rebuilding');
        continue;
      }
      await this.#caughtUp(page.readNumber, signal);
      // Under steady traffic more events arrived while this page was written: read again at once,
      // and only wait (for a notification, or the poll interval) once a read finds nothing.
      if (page.events.length === 0) await this.#waitForEvents(signal);
      else await pause(this.#settings.batchWindowMs, signal);
    }
  }

  async #read(after: GlobalCheckpoint, limit: number, signal: AbortSignal): Promise<NumberedPage> {
    const types = this.#projection.eventTypes;
    return this.#withInfrastructureRetry(async () => {
      this.#readsStarted += 1;
      const readNumber = this.#readsStarted;
      const page = await this.#settings.store.readAll({ after, limit, ...(types === undefined ? {} : { types }) });
      return { ...page, readNumber };
    }, signal);
  }

  async #caughtUp(readNumber: number, signal: AbortSignal): Promise<void> {
    const { logger } = this.#settings;
    const skippedAhead = compareCheckpoints(this.#checkpoint, this.#lastSavedCheckpoint) > 0;
    const finishingRebuild = this.#tracker !== undefined;
    const promote = this.#versionState === 'building' && !this.#promotionRefused;
    if (promote || finishingRebuild || (skippedAhead && performance.now() - this.#lastSaveAt >= SKIP_SAVE_INTERVAL_MS)) {
      const checkpoint = this.#checkpoint;
      const promoted = await this.#withInfrastructureRetry(
        () =>
          this.#unit(async (unit) => {
            await unit.saveCheckpoint(this.#checkpointName, checkpoint, { status: 'running' });
            return promote ? unit.promote(this.name, this.#projection.version) : false;
          }),
        signal,
      );
      this.#savedAt(checkpoint);
      if (promoted) {
        this.#versionState = 'live';
        logger.info({ projection: this.name, version: this.#projection.version }, 'caught up: this version is live now');
      } else if (promote) {
        this.#promotionRefused = true; // a newer version is live (an older deploy still running); do not ask again
        logger.warn({ projection: this.name, version: this.#projection.version }, 'caught up, but a newer version is live; staying beside it');
      }
    }
    if (this.#tracker !== undefined) {
      const final = this.#tracker.report(this.#checkpoint.position, await this.#settings.store.headPosition(), true);
      this.#tracker = undefined;
      const rebuild = this.#activeRebuild;
      this.#activeRebuild = undefined;
      rebuild?.resolve(final);
      logger.info({ projection: this.name, version: this.#projection.version, done: final.done, rate: final.rate }, 'rebuild caught up');
    }
    this.#setState('running');
    for (const waiter of [...this.#waiters]) if (waiter.afterRead < readNumber) waiter.resolve();
  }

  async #waitForEvents(signal: AbortSignal): Promise<void> {
    if (this.#nudged) {
      this.#nudged = false;
      return;
    }
    const wake = new AbortController();
    this.#wake = wake;
    try {
      await this.#settings.store.waitForEvents(this.#checkpoint, {
        signal: AbortSignal.any([signal, wake.signal]),
        timeoutMs: this.#settings.pollIntervalMs,
      });
    } catch (error) {
      if (!signal.aborted && !wake.signal.aborted) {
        this.#recordError(error);
        await pause(this.#settings.pollIntervalMs, signal);
      }
    } finally {
      this.#wake = undefined;
      this.#nudged = false;
    }
  }

  #nudge(): void {
    this.#nudged = true;
    this.#wake?.abort();
  }

  // ---------------------------------------------------------------------------------------------
  // Applying events: batches with retries, then isolation of the event that keeps failing.

  /**
   * Applies the events of `page` (read after `after`); on success the checkpoint moves to the page's
   * end. `priorAttempts` counts the tries the events already had inside a larger batch.
   */
  async #process(page: ReadAllPage, after: GlobalCheckpoint, signal: AbortSignal, priorAttempts = 0): Promise<void> {
    if (page.events.length === 0) {
      this.#checkpoint = page.checkpoint;
      return;
    }
    const failure = await this.#applyWithRetries(page, signal);
    if (failure === undefined) return;
    const attempts = priorAttempts + failure.attempts;
    if (page.events.length === 1) {
      await this.#park(page, after, { error: failure.error, attempts }, signal);
      return;
    }
    // Narrow the failure down so that only the event that keeps failing is parked.
    const failedId = failure.error.event?.id;
    const index = failedId === undefined ? -1 : page.events.findIndex((event) => event.id === failedId);
    if (index >= 0) {
      if (index > 0) {
        const prefix = await this.#read(after, index, signal);
        if (this.#settings.target.atomic) await this.#process(prefix, after, signal);
        else await this.#commitApplied(prefix, signal);
      }
      const from = this.#checkpoint;
      await this.#process(await this.#read(from, 1, signal), from, signal, attempts);
      return;
    }
    const half = Math.ceil(page.events.length / 2);
    await this.#process(await this.#read(after, half, signal), after, signal, attempts);
    const middle = this.#checkpoint;
    await this.#process(await this.#read(middle, page.events.length - half, signal), middle, signal, attempts);
  }

  /**
   * Tries a batch up to `maxAttempts` times; infrastructure failures are retried without counting.
   * On a target that cannot roll back, a failure at a known event is returned at once, since a
   * retry would apply the events before it again.
   */
  async #applyWithRetries(page: ReadAllPage, signal: AbortSignal): Promise<HandlerFailure | undefined> {
    const { retry, logger, target } = this.#settings;
    let attempts = 0;
    let infrastructureFailures = 0;
    for (;;) {
      if (signal.aborted) throw new Interrupted();
      const started = performance.now();
      try {
        await this.#unit(async (unit) => {
          await this.#projection.apply(page.events, this.#context(unit));
          await unit.saveCheckpoint(this.#checkpointName, page.checkpoint, { status: this.#savedStatus() });
        });
      } catch (error) {
        if (isLeaseLostError(error)) throw error;
        this.#recordError(error);
        const blamesEvents = isProjectionHandlerError(error) && !isTransientError(error.cause);
        if (blamesEvents) attempts += 1;
        else infrastructureFailures += 1;
        if (blamesEvents && (attempts >= retry.maxAttempts || (!target.atomic && page.events.length > 1 && error.event !== undefined))) {
          return { error, attempts };
        }
        const delay = backoffDelay(retry, blamesEvents ? attempts : infrastructureFailures);
        logger.warn(
          { projection: this.name, events: page.events.length, attempt: blamesEvents ? attempts : infrastructureFailures, delayMs: delay, ...errorFields(error) },
          blamesEvents ? 'batch failed; retrying' : 'infrastructure error; retrying',
        );
        await pause(delay, signal);
        continue;
      }
      this.#committed(page, performance.now() - started);
      return undefined;
    }
  }

  /** Memory targets: the events of `page` were applied by a batch that failed later; record them as done. */
  async #commitApplied(page: ReadAllPage, signal: AbortSignal): Promise<void> {
    await this.#withInfrastructureRetry(
      () => this.#unit((unit) => unit.saveCheckpoint(this.#checkpointName, page.checkpoint, { status: this.#savedStatus() })),
      signal,
    );
    this.#committed(page, 0);
  }

  #committed(page: ReadAllPage, durationMs: number): void {
    this.#checkpoint = page.checkpoint;
    this.#savedAt(page.checkpoint);
    this.#applied += page.events.length;
    try {
      this.#settings.onBatch?.({
        projection: this.name,
        version: this.#projection.version,
        events: page.events,
        checkpoint: page.checkpoint,
        durationMs,
      });
    } catch (error) {
      // A metrics callback must not stop the projection.
      this.#settings.logger.warn({ projection: this.name, ...errorFields(error) }, 'onBatch threw');
    }
  }

  /** Parks the single event of `page` in the dead-letter table; then continues or halts, as configured. */
  async #park(page: ReadAllPage, after: GlobalCheckpoint, failure: HandlerFailure, signal: AbortSignal): Promise<void> {
    const { logger, onPoisonEvent } = this.#settings;
    const event = page.events[0];
    if (event === undefined) return;
    const cause = failure.error.cause;
    const letter = {
      projection: this.name,
      version: this.#projection.version,
      eventId: event.id,
      eventType: event.type,
      streamId: event.streamId,
      globalPosition: event.globalPosition,
      errorName: storableText(cause instanceof Error ? cause.name : 'Error', 200),
      errorMessage: storableText(messageOf(cause), 4000),
      errorStack: cause instanceof Error && cause.stack !== undefined ? storableText(cause.stack, 16_000) : null,
      attempts: failure.attempts,
    };
    const stopping = onPoisonEvent === 'park-and-stop';
    const lastError = storableText(`event ${event.id} (${event.type}) parked after ${failure.attempts} attempts: ${letter.errorMessage}`, 4000);
    await this.#withInfrastructureRetry(
      () =>
        this.#unit(async (unit) => {
          await unit.park(letter);
          if (stopping) await unit.saveCheckpoint(this.#checkpointName, after, { status: 'failed', lastError });
          else await unit.saveCheckpoint(this.#checkpointName, page.checkpoint, { status: this.#savedStatus(), lastError });
        }),
      signal,
    );
    this.#parked += 1;
    const fields = {
      projection: this.name,
      version: this.#projection.version,
      eventId: event.id,
      eventType: event.type,
      globalPosition: event.globalPosition,
      attempts: failure.attempts,
      error: letter.errorMessage,
    };
    this.#lastError = { message: lastError, at: new Date() };
    if (stopping) {
      logger.error(fields, 'poison event parked; projection stopped (park-and-stop)');
      throw new Halted(lastError);
    }
    this.#checkpoint = page.checkpoint;
    this.#savedAt(page.checkpoint);
    logger.warn(fields, 'poison event parked; continuing');
  }

  // ---------------------------------------------------------------------------------------------
  // Rebuilds.

  async #beginTruncateRebuild(signal: AbortSignal): Promise<void> {
    const request = this.#rebuildRequest;
    this.#rebuildRequest = undefined;
    if (request === undefined) return;
    const { reset } = this.#projection;
    try {
      await this.#withInfrastructureRetry(
        () =>
          this.#unit(async (unit) => {
            const ctx = this.#context(unit);
            if (reset !== undefined) await reset(ctx);
            else await ctx.tx.execute(sql`truncate table ${sql.join(this.#projection.tables.map((t) => ctx.table(t)), sql`, `)}`);
            await unit.saveCheckpoint(this.#checkpointName, START, { status: 'rebuilding' });
          }),
        signal,
      );
    } catch (error) {
      request.reject(error);
      throw error;
    }
    this.#checkpoint = START;
    this.#savedAt(START);
    this.#activeRebuild = request;
    this.#tracker = this.#newTracker('truncate', request.onProgress);
    this.#setState('rebuilding');
    this.#settings.logger.info({ projection: this.name, version: this.#projection.version }, 'truncate-and-replay rebuild started');
  }

  #newTracker(kind: 'truncate' | 'blue-green', extra: ProgressListener | undefined): ProgressTracker {
    const { onProgress } = this.#settings;
    const listeners = [onProgress, extra].filter((l): l is ProgressListener => l !== undefined);
    const listener: ProgressListener | undefined =
      listeners.length === 0 ? undefined : (progress) => listeners.forEach((l) => l(progress));
    return new ProgressTracker({ projection: this.name, version: this.#projection.version, kind }, this.#checkpoint.position, listener);
  }

  async #reportProgress(hasMore: boolean): Promise<void> {
    const tracker = this.#tracker;
    if (tracker === undefined || !hasMore || !tracker.due()) return;
    const head = await this.#settings.store.headPosition().catch(() => this.#checkpoint.position);
    tracker.report(this.#checkpoint.position, head, false);
  }

  #failRebuild(error: unknown): void {
    const requests = [this.#rebuildRequest, this.#activeRebuild];
    this.#rebuildRequest = undefined;
    this.#activeRebuild = undefined;
    this.#tracker = undefined;
    for (const request of requests) request?.reject(error);
  }

  // ---------------------------------------------------------------------------------------------

  #unit<T>(fn: (unit: TargetUnit) => Promise<T>): Promise<T> {
    return this.#settings.target.transaction(this.#lease, fn);
  }

  #context(unit: TargetUnit): ProjectionContext {
    return createProjectionContext(this.#projection, { mode: 'async', tx: unit.tx });
  }

  #savedStatus(): CheckpointStatus {
    return this.#tracker === undefined ? 'running' : 'rebuilding';
  }

  #savedAt(checkpoint: GlobalCheckpoint): void {
    this.#lastSavedCheckpoint = checkpoint;
    this.#lastSaveAt = performance.now();
  }

  /** Retries `fn` with capped backoff until it succeeds; a lost lease or a stop ends the retries. */
  async #withInfrastructureRetry<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let failures = 1; ; failures += 1) {
      if (signal.aborted) throw new Interrupted();
      try {
        return await fn();
      } catch (error) {
        if (isLeaseLostError(error) || error instanceof Interrupted || error instanceof Halted) throw error;
        this.#recordError(error);
        const delay = backoffDelay(this.#settings.retry, failures);
        this.#settings.logger.warn({ projection: this.name, attempt: failures, delayMs: delay, ...errorFields(error) }, 'retrying after an error');
        await pause(delay, signal);
      }
    }
  }

  #recordError(error: unknown): void {
    this.#lastError = { message: messageOf(error), at: new Date() };
  }

  #setState(state: ProjectionState): void {
    this.#state = state;
  }
}

/** The checkpoint and lease name of one version of a projection. */
export function checkpointNameOf(projection: Pick<Projection, 'name' | 'version'>): string {
  return `projection:${projection.name}:v${projection.version}`;
}

/** Text PostgreSQL can store (no NUL) and of bounded size: error messages come from anywhere. */
function storableText(text: string, maxLength: number): string {
  const clean = text.replaceAll('\u0000', '\uFFFD');
  return clean.length > maxLength ? `${clean.slice(0, maxLength - 3)}...` : clean;
}

function stateOf(status: CheckpointStatus): ProjectionState {
  return status === 'running' ? 'running' : status;
}
