import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { START, compareCheckpoints, type GlobalCheckpoint } from '@eventfold/core';
import type { RecordedEvent } from '@eventfold/shared-schema';
import { createLease } from '@eventfold/store-postgres';
import type { Message, MessageFields } from 'amqplib';
import { openLink, type AmqpLink } from './amqp-link';
import type { SqlExecutor } from './inbox';
import { backoffDelay, sleep, Waker } from './backoff';
import { InvalidRabbitOptionError, PublishNotConfirmedError } from './errors';
import { errorFields, redactUrl } from './logger';
import { toOutgoingMessage, type OutgoingMessage } from './message';
import { PublishWindow, type WindowBatch } from './publish-window';
import { resolveRelayOptions, type RabbitRelayOptions, type RelayLease } from './relay-options';

export type { RabbitRelayOptions, RelayLease } from './relay-options';

export type RelayState = 'idle' | 'standby' | 'connecting' | 'running' | 'stopping' | 'stopped';

export interface RelayMetrics {
  readonly name: string;
  /** `standby`: another process holds the lease. `connecting`: waiting for the broker. */
  readonly state: RelayState;
  readonly leaseHeld: boolean;
  /** Events the broker confirmed, since start (a republish after a failure counts again). */
  readonly publishedTotal: number;
  /** Events the broker returned as unroutable (see `alternateExchange`). */
  readonly returnedTotal: number;
  /** Broker connections opened after a lost one. */
  readonly reconnects: number;
  /** Committed events not yet confirmed by the broker (estimated from global positions; 0 when caught up). */
  readonly lagEvents: number;
  /** Age of the oldest committed event not yet confirmed by the broker, in ms (0 when caught up). */
  readonly lagMs: number;
  /** Events published and awaiting a confirm or the checkpoint write. */
  readonly inFlight: number;
  /** The last checkpoint saved. */
  readonly checkpoint: GlobalCheckpoint;
  /** The last failure (connection loss, nack, store error), or null after a clean run. */
  readonly lastError: string | null;
}

export interface RabbitRelay {
  readonly name: string;
  /**
   * Starts the relay in the background and resolves at once. It then waits for the lease, connects,
   * and publishes the feed from its checkpoint, reconnecting on failure until `stop()`.
   */
  start(): void;
  /**
   * Stops reading, waits up to `stopTimeoutMs` for in-flight confirms and saves their checkpoint
   * (anything unconfirmed is abandoned and republished by the next run), closes the connection and
   * releases the lease. Safe to call twice.
   */
  stop(): Promise<void>;
  metrics(): RelayMetrics;
}

/** A `basic.return` as amqplib emits it on the channel's `return` event. */
interface ReturnedMessage extends Message {
  readonly fields: MessageFields & { readonly replyCode: number; readonly replyText: string; readonly routingKey: string };
}

interface Pending {
  readonly batch: WindowBatch;
  readonly message: OutgoingMessage;
}

const HEAD_REFRESH_MS = 1000;
const HELD_BACK_MAX_WAIT_MS = 250;

/**
 * Creates the RabbitMQ relay: at-least-once publication of every committed event, in feed order,
 * with publisher confirms. See the package README for the guarantees.
 */
export function createRabbitRelay(options: RabbitRelayOptions): RabbitRelay {
  const config = resolveRelayOptions(options);
  const { store, checkpoints, logger, name } = config;
  const lease: RelayLease = options.lease ?? createLease({
    db: options.db as SqlExecutor,
    schema: config.schema,
    name: `relay:${name}`,
    ttlMs: config.leaseTtlMs,
    ownerId: `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
  });
  const log = { relay: name, exchange: config.exchange };

  let state: RelayState = 'idle';
  let publishedTotal = 0;
  let returnedTotal = 0;
  let reconnects = 0;
  let connectedBefore = false;
  let lastError: string | null = null;
  let savedCheckpoint: GlobalCheckpoint = START;
  /** Every event up to here is confirmed by the broker (maybe not saved yet). */
  let confirmedCheckpoint: GlobalCheckpoint | undefined;
  let maxConfirmedPosition = 0;
  /** The highest position read from the feed or reported by `headPosition()`. */
  let headPosition = 0;
  /** The highest position read from the feed (or the checkpoint's, at start). */
  let maxReadPosition = 0;
  /** Current short poll while committed events are held back by the read horizon (0: not held back). */
  let heldBackWaitMs = 0;
  let headCheckedAt = 0;
  let caughtUp = false;
  let oldestUnpublishedAt: Date | undefined;
  let unsettled = 0;

  const stopController = new AbortController();
  let running: Promise<void> | undefined;
  let leaseValidUntil = 0;

  function setError(error: unknown): void {
    lastError = error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
  }

  async function acquireLease(): Promise<boolean> {
    const startedAt = Date.now();
    const held = await lease.tryAcquire();
    if (held) leaseValidUntil = startedAt + lease.ttlMs;
    return held;
  }

  /** True while the lease is held with margin: publishing and saving are only allowed then. */
  function leaseIsFresh(): boolean {
    return lease.held && Date.now() + lease.ttlMs / 4 < leaseValidUntil;
  }

  /** The lease is fresh, or a renewal made it so (the heartbeat may be late on a busy event loop). */
  async function ensureFreshLease(): Promise<boolean> {
    if (leaseIsFresh()) return true;
    if (!lease.held) return false;
    const startedAt = Date.now();
    try {
      if (!(await lease.renew())) return false;
    } catch (error) {
      logger.warn({ ...log, ...errorFields(error) }, 'relay could not renew its lease');
      return false;
    }
    leaseValidUntil = startedAt + lease.ttlMs;
    return leaseIsFresh();
  }

  async function run(): Promise<void> {
    let failures = 0;
    let standbyLogged = false;
    while (!stopController.signal.aborted) {
      let held: boolean;
      try {
        held = await acquireLease();
      } catch (error) {
        setError(error);
        logger.error({ ...log, ...errorFields(error) }, 'relay could not take its lease; retrying');
        await sleep(backoffDelay(failures++, config.reconnectBackoff), stopController.signal);
        continue;
      }
      if (!held) {
        state = 'standby';
        if (!standbyLogged) logger.info(log, 'relay on standby: another process holds the lease');
        standbyLogged = true;
        await sleep(Math.max(100, Math.floor(lease.ttlMs / 4)), stopController.signal);
        continue;
      }
      standbyLogged = false;
      logger.info(log, 'relay took its lease');
      try {
        await runSession();
        failures = 0;
      } catch (error) {
        if (stopController.signal.aborted) break;
        setError(error);
        state = 'connecting';
        const delay = backoffDelay(failures++, config.reconnectBackoff);
        logger.warn({ ...log, ...errorFields(error), retryInMs: delay }, 'relay session failed; reconnecting');
        await recordFailure(error);
        await sleep(delay, stopController.signal);
      }
    }
    await finish();
  }

  async function recordFailure(error: unknown): Promise<void> {
    if (!leaseIsFresh()) return;
    try {
      await checkpoints.save(name, savedCheckpoint, {
        status: 'running',
        lastError: error instanceof Error ? error.message.slice(0, 500) : String(error),
      });
    } catch {
      // The store is likely what failed; the error is already logged.
    }
  }

  async function finish(): Promise<void> {
    try {
      if (await ensureFreshLease()) {
        await checkpoints.save(name, savedCheckpoint, { status: 'stopped' });
        await lease.release();
      }
    } catch (error) {
      logger.warn({ ...log, ...errorFields(error) }, 'relay could not record its stop; the lease expires by itself');
    }
    state = 'stopped';
    logger.info({ ...log, checkpoint: savedCheckpoint }, 'relay stopped');
  }

  /**
   * One leadership-and-connection session: publish from the checkpoint until stop, lease loss or a
   * failure. Throws on failure; returns on stop or lease loss.
   */
  async function runSession(): Promise<void> {
    const session = new AbortController();
    const waker = new Waker();
    let failure: Error | undefined;
    let leaseLost = false;
    let saving = false;
    const fail = (error: Error): void => {
      failure ??= error;
      session.abort();
      waker.wake();
    };
    const stopListener = (): void => {
      session.abort();
      waker.wake();
    };
    stopController.signal.addEventListener('abort', stopListener, { once: true });
    const heartbeat = startHeartbeat({
      onLost: () => {
        leaseLost = true;
        session.abort();
        waker.wake();
      },
      onRenewed: () => waker.wake(),
    });

    state = 'connecting';
    let link: AmqpLink | undefined;
    try {
      link = await openLink(config.amqpUrl, {
        connectionName: `eventfold-relay:${name}`,
        socketOptions: config.socketOptions,
        onBlocked: (blocked, reason) =>
          logger.warn({ ...log, blocked, reason }, blocked ? 'broker blocked publishing (resource alarm)' : 'broker unblocked publishing'),
      });
      void link.lost.then(fail);
      const { channel } = link;
      await channel.assertExchange(config.exchange, 'topic', { durable: true });
      if (config.alternateExchange !== undefined) {
        await channel.assertExchange(config.alternateExchange, 'fanout', { durable: true });
      }
      if (connectedBefore) reconnects += 1;
      connectedBefore = true;
      logger.info({ ...log, url: redactUrl(config.amqpUrl) }, 'relay connected to RabbitMQ');

      const stored = (await checkpoints.load(name))?.checkpoint ?? START;
      savedCheckpoint = stored;
      let readPosition = stored;
      // Positions are not in feed order, so these are estimates (for the lag metric and idle polling).
      maxReadPosition = Math.max(maxReadPosition, stored.position);
      maxConfirmedPosition = Math.max(maxConfirmedPosition, stored.position);
      if (confirmedCheckpoint !== undefined && compareCheckpoints(confirmedCheckpoint, stored) > 0 && (await ensureFreshLease())) {
        // Confirmed by the broker in an earlier session but not saved before it failed.
        await checkpoints.save(name, confirmedCheckpoint, { status: 'running', lastError: null });
        savedCheckpoint = readPosition = confirmedCheckpoint;
      }
      state = 'running';

      const window = new PublishWindow(config.maxInFlight);
      const pending = new Map<string, Pending>();
      let writable = true;
      const broken = (): boolean => failure !== undefined || leaseLost;

      channel.on('drain', () => {
        writable = true;
        waker.wake();
      });
      channel.on('return', (returned: ReturnedMessage) =>
        onReturn(returned, pending, channel, fail, {
          published: (batch) => window.published(batch, false),
          confirmed: (batch) => {
            window.confirmed(batch);
            collectAndSave();
          },
        }),
      );

      const saveConfirmed = async (): Promise<void> => {
        if (saving) return;
        saving = true;
        try {
          for (let checkpoint = window.checkpointToSave; checkpoint !== undefined; checkpoint = window.checkpointToSave) {
            if (broken() || !(await ensureFreshLease())) return;
            await checkpoints.save(name, checkpoint, { status: 'running', lastError: null });
            savedCheckpoint = checkpoint;
            window.saved(checkpoint);
            unsettled = window.unsettled;
          }
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
        } finally {
          saving = false;
          waker.wake();
        }
      };

      const onConfirmed = (entry: Pending, event: RecordedEvent, error: unknown): void => {
        if (error !== null && error !== undefined) {
          // A lost connection fails every pending confirm first; let the connection's own reason win.
          setImmediate(() => fail(new PublishNotConfirmedError(event.id, config.exchange, entry.message.routingKey, { cause: error })));
          return;
        }
        pending.delete(event.id);
        publishedTotal += 1;
        if (event.globalPosition > maxConfirmedPosition) maxConfirmedPosition = event.globalPosition;
        window.confirmed(entry.batch);
        collectAndSave();
      };

      const collectAndSave = (): void => {
        if (!window.collectConfirmed()) return;
        confirmedCheckpoint = window.checkpointToSave;
        oldestUnpublishedAt = window.oldestPendingAt;
        void saveConfirmed();
      };

      // A stop ends the loop between pages; a failure or a lost lease ends it at once.
      while (!session.signal.aborted) {
        while (!window.hasCapacity && !session.signal.aborted) {
          // A save skipped while the lease renewal was late is retried here, after the next wake-up.
          if (!saving && window.checkpointToSave !== undefined) void saveConfirmed();
          await waker.wait();
        }
        if (session.signal.aborted) break;
        const limit = Math.min(config.batchSize, window.maxInFlight - window.unsettled);
        const page = await store.readAll({ after: readPosition, limit });
        if (broken()) break;
        if (page.events.length > 0) {
          caughtUp = false;
          const first = page.events[0];
          oldestUnpublishedAt ??= first?.occurredAt;
          for (const event of page.events) if (event.globalPosition > maxReadPosition) maxReadPosition = event.globalPosition;
          if (maxReadPosition > headPosition) headPosition = maxReadPosition;
          await refreshHead();
          if (!(await ensureFreshLease())) {
            leaseLost = true;
            break;
          }
          const batch = window.begin(page.checkpoint, page.events.length, first?.occurredAt);
          for (const event of page.events) {
            while (!writable && !broken()) await waker.wait();
            if (broken()) break;
            const message = toOutgoingMessage(event, config.routingKey);
            const entry: Pending = { batch, message };
            pending.set(event.id, entry);
            window.published(batch);
            writable = channel.publish(config.exchange, message.routingKey, message.content, message.options, (error: unknown) =>
              onConfirmed(entry, event, error),
            );
          }
          unsettled = window.unsettled;
          if (broken()) break;
          window.seal(batch);
          collectAndSave();
        } else if (compareCheckpoints(page.checkpoint, readPosition) > 0) {
          // Nothing to publish, but the feed moved (e.g. filtered events): checkpoint that too.
          window.seal(window.begin(page.checkpoint, 0));
          collectAndSave();
        }
        readPosition = page.checkpoint;
        if (page.hasMore || session.signal.aborted) continue;
        const waitMs = page.events.length === 0 ? await idleWaitMs(window, page.heldBack) : config.pollIntervalMs;
        // Returns at once when more is readable, else on a notification or after waitMs.
        // Stores may reject when the signal aborts; a stop, failure or lost lease is handled below.
        await store
          .waitForEvents(readPosition, { signal: session.signal, timeoutMs: waitMs })
          .catch((error: unknown) => {
            if (!session.signal.aborted) throw error;
          });
      }

      if (!broken() && stopController.signal.aborted) {
        state = 'stopping';
        await settle(window, waker, broken, () => {
          if (!saving && window.checkpointToSave !== undefined) void saveConfirmed();
        });
        while (saving) await waker.wait();
        if (!window.isSettled) {
          logger.warn(
            { ...log, abandoned: window.unsettled },
            'relay stopped before the broker confirmed every in-flight event; they will be republished on the next start',
          );
        }
      }
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      heartbeat.stop();
      stopController.signal.removeEventListener('abort', stopListener);
      await link?.close();
      // A checkpoint write still running belongs to this session; let it land before the next one.
      while (saving) await waker.wait();
      unsettled = 0;
    }
    if (leaseLost && !stopController.signal.aborted) {
      logger.warn(log, 'relay lost its lease; in-flight events are abandoned and the new holder republishes them');
      state = 'standby';
      return;
    }
    if (failure !== undefined && !stopController.signal.aborted) throw failure;
  }

  /** Waits until every in-flight event is confirmed and checkpointed, a failure, or `stopTimeoutMs`. */
  async function settle(window: PublishWindow, waker: Waker, failed: () => boolean, retrySave: () => void): Promise<void> {
    const deadline = Date.now() + config.stopTimeoutMs;
    const timer = setTimeout(() => waker.wake(), config.stopTimeoutMs);
    try {
      while (!window.isSettled && !failed() && Date.now() < deadline) {
        retrySave();
        await waker.wait();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * How long to wait after an empty read. Committed events the gap-safe feed does not show yet mean
   * a transaction elsewhere holds the read horizon back; it may end without any notification, so
   * look again soon (10 ms, doubling up to 250 ms). Otherwise the relay is caught up.
   *
   * The page says whether events are held back (`heldBack`). Only for a store that cannot tell is a
   * head beyond the highest position read taken as held back: positions are not in feed order, so
   * after a restart from a checkpoint whose position is below an event delivered before it, that
   * estimate would never clear.
   */
  async function idleWaitMs(window: PublishWindow, reportedHeldBack: boolean | undefined): Promise<number> {
    const head = await store.headPosition();
    headCheckedAt = Date.now();
    if (head > headPosition) headPosition = head;
    if (reportedHeldBack ?? head > maxReadPosition) {
      caughtUp = false;
      // Their occurredAt is unknown until they can be read: count the lag from when it was seen.
      oldestUnpublishedAt ??= new Date();
      heldBackWaitMs = Math.min(config.pollIntervalMs, HELD_BACK_MAX_WAIT_MS, Math.max(10, heldBackWaitMs * 2));
      return heldBackWaitMs;
    }
    heldBackWaitMs = 0;
    if (window.isSettled) {
      caughtUp = true;
      oldestUnpublishedAt = undefined;
    }
    return config.pollIntervalMs;
  }

  async function refreshHead(): Promise<void> {
    const now = Date.now();
    if (now - headCheckedAt < HEAD_REFRESH_MS) return;
    headCheckedAt = now;
    headPosition = Math.max(headPosition, await store.headPosition());
  }

  function onReturn(
    returned: ReturnedMessage,
    pending: ReadonlyMap<string, Pending>,
    channel: AmqpLink['channel'],
    fail: (error: Error) => void,
    republish: { readonly published: (batch: WindowBatch) => void; readonly confirmed: (batch: WindowBatch) => void },
  ): void {
    returnedTotal += 1;
    const eventId = typeof returned.properties.messageId === 'string' ? returned.properties.messageId : undefined;
    const fields = {
      ...log,
      eventId,
      eventType: returned.properties.type as unknown,
      routingKey: returned.fields.routingKey,
      returnedBy: returned.fields.exchange,
      reply: `${returned.fields.replyCode} ${returned.fields.replyText}`,
    };
    const entry = eventId === undefined ? undefined : pending.get(eventId);
    if (config.alternateExchange === undefined) {
      logger.warn(
        fields,
        'event was unroutable and returned by the broker (no queue bound for its routing key; configure alternateExchange to keep such events)',
      );
      return;
    }
    if (returned.fields.exchange === config.alternateExchange || entry === undefined) {
      logger.error(fields, 'event was unroutable even on the alternate exchange and is not kept anywhere; bind a queue to the alternate exchange');
      return;
    }
    logger.warn({ ...fields, alternateExchange: config.alternateExchange }, 'event was unroutable; sent to the alternate exchange');
    // The return arrives before the original's confirm, so the batch cannot be checkpointed
    // before this republish is confirmed too.
    republish.published(entry.batch);
    try {
      channel.publish(config.alternateExchange, entry.message.routingKey, entry.message.content, entry.message.options, (error: unknown) => {
        if (error !== null && error !== undefined) {
          fail(new PublishNotConfirmedError(eventId ?? '(unknown)', config.alternateExchange ?? '', entry.message.routingKey, { cause: error }));
          return;
        }
        republish.confirmed(entry.batch);
      });
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  function startHeartbeat(hooks: { readonly onLost: () => void; readonly onRenewed: () => void }): { stop(): void } {
    let stopped = false;
    let renewing = false;
    const interval = Math.max(50, Math.floor(lease.ttlMs / 3));
    const timer = setInterval(() => {
      if (renewing || stopped) return;
      renewing = true;
      const startedAt = Date.now();
      lease
        .renew()
        .then((held) => {
          if (held) {
            leaseValidUntil = startedAt + lease.ttlMs;
            hooks.onRenewed();
          } else if (!stopped) hooks.onLost();
        })
        .catch((error: unknown) => {
          logger.warn({ ...log, ...errorFields(error) }, 'relay could not renew its lease');
          if (!leaseIsFresh() && !stopped) hooks.onLost();
        })
        .finally(() => {
          renewing = false;
        });
    }, interval);
    timer.unref();
    return {
      stop() {
        stopped = true;
        clearInterval(timer);
      },
    };
  }

  return {
    name,
    start() {
      if (running !== undefined) return;
      if (stopController.signal.aborted) {
        throw new InvalidRabbitOptionError('start', 'after stop', 'create a new relay instead of restarting a stopped one');
      }
      logger.info({ ...log, url: redactUrl(config.amqpUrl) }, 'relay starting');
      running = run().catch((error: unknown) => {
        setError(error);
        state = 'stopped';
        logger.error({ ...log, ...errorFields(error) }, 'relay crashed');
      });
    },
    async stop() {
      stopController.abort();
      if (running === undefined) {
        state = 'stopped';
        return;
      }
      await running;
    },
    metrics() {
      const lagEvents = caughtUp ? 0 : Math.max(0, headPosition - maxConfirmedPosition);
      return {
        name,
        state,
        leaseHeld: lease.held,
        publishedTotal,
        returnedTotal,
        reconnects,
        lagEvents,
        lagMs: oldestUnpublishedAt === undefined ? 0 : Math.max(0, Date.now() - oldestUnpublishedAt.getTime()),
        inFlight: unsettled,
        checkpoint: savedCheckpoint,
        lastError,
      };
    },
  };
}
