import { createHash } from 'node:crypto';
import type { ListenSource, PgListenClient, SqlClient } from './driver';
import type { Logger } from './logger';
import { assertValidSchemaName, quoteIdentifier } from './schema-name';

/**
 * The LISTEN/NOTIFY channel a store in `schema` notifies after appends: `<schema>_events`, or a
 * hashed name when that would pass PostgreSQL's 63-character identifier limit.
 */
export function notificationChannel(schema: string): string {
  assertValidSchemaName(schema);
  const plain = `${schema}_events`;
  return plain.length <= 63 ? plain : `eventfold_${createHash('sha1').update(schema).digest('hex').slice(0, 20)}_events`;
}

const RECONNECT_DELAY_MS = 1000;

/**
 * The least time from one NOTIFY to the next, by default (the store's `notifyIntervalMs`). Under steady appends a NOTIFY is always due; without
 * a gap every round trip of the notify connection would carry one (each also delivered to every
 * listener), which costs a writer process more CPU than its appends. Readers in other processes
 * wake at most this much later.
 */
export const NOTIFY_INTERVAL_MS = 3;

/**
 * NOTIFY from its own small transaction. Committing a notification assigns a transaction id and
 * waits for the WAL flush like any write; with synchronous_commit off for that transaction only, it
 * does not: the appended events were made durable by their own commit, this is only a wake-up.
 */
const NOTIFY_SQL = "select pg_notify($1::text, $2::text) from (select set_config('synchronous_commit', 'off', true)) as async_commit";

/**
 * NOTIFY on the store's dedicated connection: synchronous_commit is off for that whole session (it
 * runs nothing else), and the statement is prepared once per connection, so a NOTIFY is not parsed
 * and planned again each time.
 */
const DEDICATED_NOTIFY = { name: 'eventfold_notify', text: 'select pg_notify($1::text, $2::text)' } as const;

/**
 * The store's own connection for notifications: NOTIFY through it, and LISTEN on it once some
 * reader waits (a process that only appends never listens, so its own notifications do not come
 * back to it).
 */
interface NotifyConnection {
  notify(): Promise<unknown>;
  /** Starts listening (once; later calls resolve the same promise). */
  listen(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wake-ups for feed readers of one store. Appends through this store wake local waiters at once and
 * send one NOTIFY after commit (coalesced: at most one in flight and one per NOTIFY_INTERVAL_MS, so
 * a burst of appends costs one or two notifications, never one per append). NOTIFY and LISTEN share
 * one dedicated connection, opened on first use (LISTEN only once a reader waits), so notifications
 * never hold a connection of the caller's pool. Every wait
 * also has a timeout: polling is the fallback for a missed or undeliverable notification.
 */
export class FeedSignal {
  readonly #waiters = new Set<() => void>();
  #sending = false;
  #sendAgain = false;
  #connection: Promise<NotifyConnection | undefined> | undefined;
  #retryAt = 0;
  #closed = false;
  #lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly channel: string,
    /** Fallback for NOTIFY when there is no dedicated connection (a single pg.Client); undefined: none. */
    private readonly sender: SqlClient | undefined,
    /** Where the dedicated connection comes from (a pg.Pool's settings, or the PGlite instance). */
    private readonly source: ListenSource | undefined,
    private readonly logger: Logger,
    /** False: never send NOTIFY (the store's `notify: false`); LISTEN still works. */
    private readonly sendNotifications: boolean,
    /** The least time from one NOTIFY to the next (the store's `notifyIntervalMs`). */
    private readonly intervalMs: number = NOTIFY_INTERVAL_MS,
  ) {}

  /** Events were committed by this store: wake local waiters and tell other processes. */
  committed(): void {
    this.#wakeAll();
    if (!this.sendNotifications || this.#closed) return;
    if (this.#sending) {
      this.#sendAgain = true;
      return;
    }
    this.#scheduleSend();
  }

  /** Sends a NOTIFY now, or `intervalMs` after the last one; commits meanwhile join it. */
  #scheduleSend(): void {
    this.#sending = true;
    const wait = this.#lastSentAt + this.intervalMs - performance.now();
    if (wait <= 0) {
      this.#send();
      return;
    }
    setTimeout(() => {
      if (this.#closed) this.#sending = false;
      else this.#send();
    }, wait).unref();
  }

  #send(): void {
    this.#sendAgain = false;
    this.#lastSentAt = performance.now();
    this.#notifyOnce()
      .catch((error: unknown) => {
        this.logger.warn({ channel: this.channel, err: String(error) }, 'NOTIFY after append failed; readers fall back to polling');
      })
      .finally(() => {
        if (this.#sendAgain && !this.#closed) this.#scheduleSend();
        else this.#sending = false;
      });
  }

  async #notifyOnce(): Promise<unknown> {
    const connection = await this.#ensureConnection();
    if (connection !== undefined) return connection.notify();
    return this.sender?.query(NOTIFY_SQL, [this.channel, '']);
  }

  /**
   * Registers a waiter (before the caller checks for news, so nothing slips between), and makes
   * sure the LISTEN connection is up. `wait` resolves on a wake-up or after `timeoutMs`; it rejects
   * with the signal's reason on abort.
   */
  async prepareWait(): Promise<Waiter> {
    let wake: () => void = () => undefined;
    let woken = false;
    const woke = new Promise<void>((resolve) => {
      wake = () => {
        woken = true;
        resolve();
      };
    });
    this.#waiters.add(wake);
    const connection = await this.#ensureConnection();
    if (connection !== undefined) {
      await connection.listen().catch((error: unknown) => {
        // The connection broke while starting to listen: its error handler reconnects on a later use.
        this.logger.warn({ channel: this.channel, err: String(error) }, 'LISTEN failed; readers poll until it reconnects');
      });
    }
    const dispose = (): void => {
      this.#waiters.delete(wake);
    };
    return {
      get woken() {
        return woken;
      },
      dispose,
      wait: (timeoutMs, signal) =>
        new Promise<void>((resolve, reject) => {
          if (signal?.aborted === true) {
            dispose();
            reject(abortReason(signal));
            return;
          }
          const finish = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            dispose();
          };
          const onAbort = (): void => {
            finish();
            reject(abortReason(signal));
          };
          const timer = setTimeout(() => {
            finish();
            resolve();
          }, timeoutMs);
          signal?.addEventListener('abort', onAbort, { once: true });
          void woke.then(() => {
            finish();
            resolve();
          });
        }),
    };
  }

  /** True while the dedicated LISTEN connection is open. */
  async listening(): Promise<boolean> {
    return (await this.#connection) !== undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeAll();
    const connection = await this.#connection;
    this.#connection = undefined;
    await connection?.stop().catch(() => undefined);
  }

  #wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #ensureConnection(): Promise<NotifyConnection | undefined> {
    if (this.source === undefined || this.#closed) return Promise.resolve(undefined);
    if (this.#connection === undefined && Date.now() >= this.#retryAt) {
      this.#connection = this.#open(this.source).catch((error: unknown) => {
        this.logger.warn({ channel: this.channel, err: String(error) }, 'LISTEN connection failed; readers poll until it reconnects');
        this.#lost();
        return undefined;
      });
    }
    return this.#connection ?? Promise.resolve(undefined);
  }

  /** The connection died: wake everyone (they re-read) and reconnect on a later use. */
  #lost(): void {
    this.#connection = undefined;
    this.#retryAt = Date.now() + RECONNECT_DELAY_MS;
    this.#wakeAll();
  }

  async #open(source: ListenSource): Promise<NotifyConnection> {
    if (source.driver === 'pglite') {
      let listening: Promise<() => Promise<void>> | undefined;
      return {
        notify: () => source.pglite.query(NOTIFY_SQL, [this.channel, '']),
        listen: async () => {
          listening ??= source.pglite.listen(this.channel, () => this.#wakeAll());
          await listening;
        },
        stop: async () => {
          if (listening !== undefined) await (await listening)();
        },
      };
    }
    const client: PgListenClient = new source.pool.Client({ ...source.pool.options, application_name: 'eventfold-listener' });
    client.on('error', (error) => {
      this.logger.warn({ channel: this.channel, err: error.message }, 'LISTEN connection error; reconnecting on next use');
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      this.#lost();
    });
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.#wakeAll();
    });
    await client.connect();
    await client.query('set synchronous_commit = off');
    // Never keep the process alive for this connection alone; close() ends it properly.
    (client as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
    let listening: Promise<void> | undefined;
    return {
      notify: () => client.query({ ...DEDICATED_NOTIFY, values: [this.channel, ''] }),
      listen: () => {
        // The channel is derived from a validated schema name, so quoting it is safe.
        listening ??= client.query(`LISTEN ${quoteIdentifier(this.channel)}`).then(() => {
          this.logger.debug({ channel: this.channel }, 'listening for appends');
        });
        return listening;
      },
      stop: async () => {
        client.removeAllListeners();
        client.on('error', () => undefined);
        await client.end();
      },
    };
  }
}

export interface Waiter {
  /** True once a wake-up arrived (even before `wait` was called). */
  readonly woken: boolean;
  wait(timeoutMs: number, signal: AbortSignal | undefined): Promise<void>;
  dispose(): void;
}

/** The signal's reason (a DOMException 'AbortError' unless the caller passed its own). */
function abortReason(signal: AbortSignal | undefined): Error {
  return (signal?.reason as Error | undefined) ?? new DOMException('The wait was aborted.', 'AbortError');
}
