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
 * Wake-ups for feed readers of one store. Appends through this store wake local waiters at once and
 * send one NOTIFY after commit (coalesced: at most one in flight, so a burst of appends costs one or
 * two notifications, never one per append). A LISTEN connection, opened on first wait, wakes
 * waiters when other processes append. Every wait also has a timeout: polling is the fallback for a
 * missed or undeliverable notification.
 */
export class FeedSignal {
  readonly #waiters = new Set<() => void>();
  #sending = false;
  #sendAgain = false;
  #listening: Promise<boolean> | undefined;
  #stopListening: (() => Promise<void>) | undefined;
  #retryAt = 0;
  #closed = false;

  constructor(
    private readonly channel: string,
    /** Where NOTIFY is sent from (autocommit); undefined: send nothing. */
    private readonly sender: SqlClient | undefined,
    private readonly listenSource: ListenSource | undefined,
    private readonly logger: Logger,
  ) {}

  /** Events were committed by this store: wake local waiters and tell other processes. */
  committed(): void {
    this.#wakeAll();
    if (this.sender === undefined || this.#closed) return;
    if (this.#sending) {
      this.#sendAgain = true;
      return;
    }
    this.#send(this.sender);
  }

  #send(sender: SqlClient): void {
    this.#sending = true;
    this.#sendAgain = false;
    sender
      .query('select pg_notify($1::text, $2::text)', [this.channel, ''])
      .catch((error: unknown) => {
        this.logger.warn({ channel: this.channel, err: String(error) }, 'NOTIFY after append failed; readers fall back to polling');
      })
      .finally(() => {
        this.#sending = false;
        if (this.#sendAgain && !this.#closed) this.#send(sender);
      });
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
    await this.#ensureListening();
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

  /** True while a LISTEN connection is open. */
  async listening(): Promise<boolean> {
    return (await this.#listening) ?? false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeAll();
    const stop = this.#stopListening;
    this.#stopListening = undefined;
    await stop?.().catch(() => undefined);
  }

  #wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #ensureListening(): Promise<boolean> {
    if (this.listenSource === undefined || this.#closed) return Promise.resolve(false);
    if (this.#listening === undefined && Date.now() >= this.#retryAt) {
      this.#listening = this.#listen(this.listenSource).catch((error: unknown) => {
        this.logger.warn({ channel: this.channel, err: String(error) }, 'LISTEN failed; readers poll until it reconnects');
        this.#lost();
        return false;
      });
    }
    return this.#listening ?? Promise.resolve(false);
  }

  /** The LISTEN connection died: wake everyone (they re-read) and reconnect on a later wait. */
  #lost(): void {
    this.#listening = undefined;
    this.#stopListening = undefined;
    this.#retryAt = Date.now() + RECONNECT_DELAY_MS;
    this.#wakeAll();
  }

  async #listen(source: ListenSource): Promise<boolean> {
    if (source.driver === 'pglite') {
      const unlisten = await source.pglite.listen(this.channel, () => this.#wakeAll());
      this.#stopListening = unlisten;
      if (this.#closed) await this.close();
      return true;
    }
    const client: PgListenClient = new source.pool.Client({ ...source.pool.options, application_name: 'eventfold-listener' });
    client.on('error', (error) => {
      this.logger.warn({ channel: this.channel, err: error.message }, 'LISTEN connection error; reconnecting on the next wait');
      client.removeAllListeners();
      void client.end().catch(() => undefined);
      this.#lost();
    });
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.#wakeAll();
    });
    await client.connect();
    // The channel is derived from a validated schema name, so quoting it is safe.
    await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
    this.#stopListening = async () => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end();
    };
    this.logger.debug({ channel: this.channel }, 'listening for appends');
    if (this.#closed) await this.close();
    return true;
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
