import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ListenSource, PgListenClient } from './driver';
import { silentLogger as logger } from './logger';
import { FeedSignal, NOTIFY_INTERVAL_MS } from './notifications';

/** A node-postgres pool stand-in whose dedicated clients record the statements they run. */
function fakeSource(): { source: ListenSource; statements: string[]; names: (string | undefined)[]; notify: (channel: string) => void } {
  const statements: string[] = [];
  const names: (string | undefined)[] = [];
  const listeners: Array<(message: { channel: string }) => void> = [];
  class FakeClient implements PgListenClient {
    connect = async (): Promise<void> => undefined;
    query = async (text: string | { text: string; values: unknown[]; name?: string }): Promise<unknown> => {
      statements.push(typeof text === 'string' ? text : text.text);
      names.push(typeof text === 'string' ? undefined : text.name);
      return { rows: [] };
    };
    end = async (): Promise<void> => undefined;
    on(event: string, listener: (...args: never[]) => void): this {
      if (event === 'notification') listeners.push(listener as (message: { channel: string }) => void);
      return this;
    }
    removeAllListeners = (): this => this;
  }
  const pool = {
    Client: FakeClient,
    options: {},
    query: async () => ({ rows: [] }),
    connect: async () => undefined,
    totalCount: 0,
  };
  return {
    source: { driver: 'node-postgres', pool },
    statements,
    names,
    notify: (channel) => listeners.forEach((listener) => listener({ channel })),
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
};


describe('FeedSignal', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never LISTENs in a process that only appends', async () => {
    const { source, statements } = fakeSource();
    const signal = new FeedSignal('eventfold_events', undefined, source, logger, true);
    signal.committed();
    await flush();
    await signal.close();
    expect(statements.some((text) => text.includes('pg_notify'))).toBe(true);
    expect(statements.filter((text) => text.startsWith('LISTEN'))).toEqual([]);
  });

  it('sends NOTIFY as a prepared statement on a connection whose commits do not wait for the WAL flush', async () => {
    const { source, statements, names } = fakeSource();
    const signal = new FeedSignal('eventfold_events', undefined, source, logger, true);
    signal.committed();
    await flush();
    await signal.close();
    // The session setting comes first, before any NOTIFY on that connection.
    expect(statements[0]).toBe('set synchronous_commit = off');
    const notify = statements.findIndex((text) => text.includes('pg_notify'));
    expect(notify).toBeGreaterThan(0);
    expect(names[notify]).toBe('eventfold_notify');
  });

  it('LISTENs once, before the first waiter looks for news, and wakes waiters on a notification', async () => {
    const { source, statements, notify } = fakeSource();
    const signal = new FeedSignal('eventfold_events', undefined, source, logger, true);
    const first = await signal.prepareWait();
    expect(statements).toEqual(['set synchronous_commit = off', 'LISTEN "eventfold_events"']);
    const second = await signal.prepareWait();
    expect(statements).toEqual(['set synchronous_commit = off', 'LISTEN "eventfold_events"']);
    notify('eventfold_events');
    expect(first.woken && second.woken).toBe(true);
    await signal.close();
  });

  it('sends one NOTIFY per interval under a stream of commits', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { source, statements } = fakeSource();
    const signal = new FeedSignal('eventfold_events', undefined, source, logger, true);
    const notifies = (): number => statements.filter((text) => text.includes('pg_notify')).length;
    signal.committed();
    await flush();
    expect(notifies()).toBe(1);
    // Many commits while the first NOTIFY is done and the interval runs: one more NOTIFY, later.
    for (let i = 0; i < 50; i += 1) signal.committed();
    await flush();
    expect(notifies()).toBe(1);
    await vi.advanceTimersByTimeAsync(NOTIFY_INTERVAL_MS);
    await flush();
    expect(notifies()).toBe(2);
    // Nothing committed since: no more notifications.
    await vi.advanceTimersByTimeAsync(NOTIFY_INTERVAL_MS * 10);
    expect(notifies()).toBe(2);
    await signal.close();
  });

  it('keeps a configured interval between notifications', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { source, statements } = fakeSource();
    const signal = new FeedSignal('eventfold_events', undefined, source, logger, true, 40);
    const notifies = (): number => statements.filter((text) => text.includes('pg_notify')).length;
    signal.committed();
    await flush();
    signal.committed();
    await vi.advanceTimersByTimeAsync(39);
    await flush();
    expect(notifies()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(notifies()).toBe(2);
    await signal.close();
  });
});
