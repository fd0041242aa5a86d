import type { CheckpointStore, EventStore } from '@eventfold/core';
import { createMemoryCheckpointStore, createMemoryEventStore } from '@eventfold/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineProjection, type Projection, type ProjectionContext } from './define-projection';
import { isInvalidProjectorOptionError, isProjectionStoppedError, isProjectorTimeoutError, isUnknownProjectionError } from './errors';
import type { RebuildProgress } from './progress';
import { createProjector, type Projector, type ProjectorOptions } from './projector';

type TallyEvent = { type: 'Added'; data: { amount: number } } | { type: 'Noise'; data: null };

/** A read model in process memory: per version, the total per stream. */
class Totals {
  readonly byVersion = new Map<number, Map<string, number>>();
  of(version: number): Map<string, number> {
    let totals = this.byVersion.get(version);
    if (totals === undefined) {
      totals = new Map();
      this.byVersion.set(version, totals);
    }
    return totals;
  }
  add(ctx: ProjectionContext, streamId: string, amount: number): void {
    const totals = this.of(ctx.version);
    totals.set(streamId, (totals.get(streamId) ?? 0) + amount);
  }
}

function tallyProjection(totals: Totals, options: { version?: number; fail?: (amount: number) => boolean } = {}): Projection<TallyEvent> {
  return defineProjection<TallyEvent>({
    name: 'tally',
    version: options.version ?? 1,
    handlers: {
      Added: (event, ctx) => {
        if (options.fail?.(event.data.amount) === true) throw new Error(`cannot add ${event.data.amount}`);
        totals.add(ctx, event.streamId, event.data.amount);
      },
    },
    reset: async (ctx) => {
      totals.of(ctx.version).clear();
    },
  });
}

async function appendAmounts(store: EventStore, streamId: string, amounts: readonly number[]): Promise<void> {
  for (const amount of amounts) {
    await store.append(streamId, [{ type: 'Added', data: { amount } }, { type: 'Noise', data: null }]);
  }
}

/** The read model as a fold over the whole log. */
async function foldLog(store: EventStore): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  let after = { transactionId: 0, position: 0 };
  for (;;) {
    const page = await store.readAll({ after, limit: 1000 });
    for (const event of page.events) {
      if (event.type === 'Added') totals.set(event.streamId, (totals.get(event.streamId) ?? 0) + (event.data as { amount: number }).amount);
    }
    after = page.checkpoint;
    if (!page.hasMore) return totals;
  }
}

describe('createProjector on store-memory', () => {
  let store: EventStore;
  let checkpoints: CheckpointStore;
  const projectors: Projector[] = [];
  const make = (options: Partial<ProjectorOptions> & Pick<ProjectorOptions, 'projections'>): Projector => {
    const projector = createProjector({ store, checkpoints, pollIntervalMs: 50, retry: { baseDelayMs: 1, maxAttempts: 3 }, ...options });
    projectors.push(projector);
    return projector;
  };

  beforeEach(() => {
    store = createMemoryEventStore();
    checkpoints = createMemoryCheckpointStore();
  });
  afterEach(async () => {
    await Promise.all(projectors.splice(0).map((p) => p.stop()));
  });

  it('applies the backlog and live events once each, in feed order, and saves its checkpoint', async () => {
    const totals = new Totals();
    await appendAmounts(store, 'tally-a', [1, 2, 3]);
    const projector = make({ projections: [tallyProjection(totals)], batchSize: 2 });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 5000 });
    expect(totals.of(1).get('tally-a')).toBe(6);
    await appendAmounts(store, 'tally-b', [10, 20]);
    await appendAmounts(store, 'tally-a', [4]);
    await projector.whenCaughtUp({ timeoutMs: 5000 });
    expect(totals.of(1)).toEqual(await foldLog(store));
    const [status] = await projector.status();
    expect(status).toMatchObject({ name: 'tally', version: 1, state: 'running', lag: { events: 0, ms: 0 }, leaseHeld: true, applied: 6 });
    const stored = await checkpoints.load('projection:tally:v1');
    expect(stored?.checkpoint).toEqual(status?.position);
    expect(stored?.checkpoint.position).toBe(await store.headPosition());
  });

  it('with batchWindowMs, live events written during the window arrive as one batch', async () => {
    const batchesWith = async (batchWindowMs: number): Promise<number[]> => {
      store = createMemoryEventStore();
      checkpoints = createMemoryCheckpointStore();
      const sizes: number[] = [];
      const projector = make({ projections: [tallyProjection(new Totals())], batchWindowMs, onBatch: (batch) => sizes.push(batch.events.length) });
      await projector.start();
      const first = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (sizes.length > 0) {
            clearInterval(check);
            resolve();
          }
        }, 1);
      });
      await appendAmounts(store, 'tally-a', [1]);
      await first; // the runner is now right after a live batch
      for (const amount of [2, 3, 4]) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await appendAmounts(store, 'tally-a', [amount]);
      }
      await projector.whenCaughtUp({ timeoutMs: 5000 });
      await projector.stop();
      return sizes;
    };
    // The projection only wants the Added event of each append (not its Noise).
    expect(await batchesWith(400)).toEqual([1, 3]);
    expect(await batchesWith(0)).toEqual([1, 1, 1, 1]);
  });

  it('refuses a batchWindowMs that is not a whole number of ms from 0 to 60000', () => {
    for (const batchWindowMs of [-1, 1.5, 60_001]) {
      expect(() => make({ projections: [tallyProjection(new Totals())], batchWindowMs })).toThrow(/batchWindowMs/);
    }
  });

  it('resumes from its checkpoint after a restart without applying anything twice', async () => {
    const totals = new Totals();
    await appendAmounts(store, 'tally-a', [1, 2]);
    const first = make({ projections: [tallyProjection(totals)] });
    await first.start();
    await first.whenCaughtUp({ timeoutMs: 5000 });
    await first.stop();
    expect((await checkpoints.load('projection:tally:v1'))?.status).toBe('stopped');
    await appendAmounts(store, 'tally-a', [3]);
    const second = make({ projections: [tallyProjection(totals)] });
    await second.start();
    await second.whenCaughtUp({ timeoutMs: 5000 });
    expect(totals.of(1).get('tally-a')).toBe(6);
  });

  it('waits in whenCaughtUp for a read that started after the call', async () => {
    const totals = new Totals();
    let hold: Promise<void> | undefined;
    let release: () => void = () => undefined;
    // A store whose next read, once armed, is held after it has read (as a slow network would).
    const slow = new Proxy(store, {
      get(target, property) {
        if (property === 'readAll') {
          return async (options: Parameters<EventStore['readAll']>[0]) => {
            const page = await target.readAll(options);
            const gate = hold;
            hold = undefined;
            if (gate !== undefined) await gate;
            return page;
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const projector = make({ store: slow, projections: [tallyProjection(totals)] });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 5000 });
    hold = new Promise((resolve) => {
      release = resolve;
    });
    await appendAmounts(store, 'tally-a', [1]); // woken, the runner reads this and is held
    await expect.poll(() => hold === undefined, { timeout: 5000 }).toBe(true);
    await appendAmounts(store, 'tally-a', [2]); // committed after that read
    const caughtUp = projector.whenCaughtUp({ timeoutMs: 5000 });
    release();
    await caughtUp;
    expect(totals.of(1).get('tally-a')).toBe(3);
  });

  it('never overwrites a checkpoint it could not load when it stops', async () => {
    await checkpoints.save('projection:tally:v1', { transactionId: 7, position: 7 });
    const broken: CheckpointStore = {
      load: async () => {
        throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
      },
      save: (name, checkpoint, options) => checkpoints.save(name, checkpoint, options),
      delete: (name) => checkpoints.delete(name),
    };
    const projector = make({ checkpoints: broken, projections: [tallyProjection(new Totals())] });
    await projector.start();
    await expect.poll(async () => (await projector.status().catch(() => []))[0]?.leaseHeld ?? true).toBe(true);
    await projector.stop();
    expect((await checkpoints.load('projection:tally:v1'))?.checkpoint).toEqual({ transactionId: 7, position: 7 });
  });

  it('reports lag while it is behind', async () => {
    const totals = new Totals();
    await appendAmounts(store, 'tally-a', [1, 2, 3]);
    const projector = make({ projections: [tallyProjection(totals)] });
    const [before] = await projector.status();
    expect(before).toMatchObject({ state: 'stopped', position: { position: 0 }, leaseHeld: false });
    expect(before?.lag.events).toBe(6);
    expect(before?.lag.ms).toBeGreaterThanOrEqual(0);
  });

  it('retries a failing batch with backoff and applies it once it succeeds', async () => {
    const totals = new Totals();
    let failures = 2;
    await appendAmounts(store, 'tally-a', [5]);
    const projector = make({ projections: [tallyProjection(totals, { fail: () => failures-- > 0 })] });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 5000 });
    expect(totals.of(1).get('tally-a')).toBe(5);
    expect(await projector.deadLetters()).toEqual([]);
    const [status] = await projector.status();
    expect(status?.lastError?.message).toMatch(/cannot add 5/);
  });

  it('parks an event that keeps failing, with its error and stack, and continues (park-and-continue)', async () => {
    const totals = new Totals();
    await appendAmounts(store, 'tally-a', [1, 2, 13, 4, 5]);
    const projector = make({ projections: [tallyProjection(totals, { fail: (amount) => amount === 13 })], batchSize: 100 });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 5000 });
    expect(totals.of(1).get('tally-a')).toBe(12);
    const letters = await projector.deadLetters({ projection: 'tally' });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      projection: 'tally',
      version: 1,
      eventType: 'Added',
      streamId: 'tally-a',
      errorName: 'Error',
      errorMessage: 'cannot add 13',
      attempts: 4, // the batch once (a memory read model cannot roll back), then 3 tries of the event alone
    });
    expect(letters[0]?.errorStack).toMatch(/cannot add 13\n\s+at /);
    const [status] = await projector.status();
    expect(status).toMatchObject({ state: 'running', parked: 1, applied: 4 });
  });

  it('stops at a poison event and keeps its checkpoint before it (park-and-stop)', async () => {
    const totals = new Totals();
    await appendAmounts(store, 'tally-a', [1, 13, 2]);
    const projector = make({
      projections: [tallyProjection(totals, { fail: (amount) => amount === 13 })],
      onPoisonEvent: 'park-and-stop',
    });
    await projector.start();
    const error = await projector.whenCaughtUp({ timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(isProjectionStoppedError(error)).toBe(true);
    expect((error as Error).message).toMatch(/has failed and stopped: event .* parked after 4 attempts: cannot add 13/);
    expect(totals.of(1).get('tally-a')).toBe(1);
    const [status] = await projector.status();
    expect(status?.state).toBe('failed');
    const stored = await checkpoints.load('projection:tally:v1');
    expect(stored).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/cannot add 13/) as unknown });
    const [letter] = await projector.deadLetters();
    expect(stored?.checkpoint.position).toBeLessThan(letter?.globalPosition ?? 0);
    await expect(projector.whenCaughtUp()).rejects.toThrow(/failed/);
  });

  it('isolates the failing event of a batch handler by halving the batch', async () => {
    const applied: number[] = [];
    const projection = defineProjection<TallyEvent>({
      name: 'tally-batched',
      version: 1,
      eventTypes: ['Added'],
      batch: (events) => {
        if (events.some((e) => e.type === 'Added' && e.data.amount === 13)) throw new Error('13 is unlucky');
        for (const e of events) if (e.type === 'Added') applied.push(e.data.amount);
      },
    });
    await appendAmounts(store, 'tally-a', [1, 2, 3, 4, 5, 13, 7, 8, 9]);
    const projector = make({ projections: [projection], batchSize: 100 });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 5000 });
    expect([...applied].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);
    const letters = await projector.deadLetters();
    expect(letters.map((l) => l.errorMessage)).toEqual(['13 is unlucky']);
  });

  it('retries infrastructure errors without parking the event', async () => {
    const totals = new Totals();
    let failures = 5; // more than maxAttempts (3)
    await appendAmounts(store, 'tally-a', [7]);
    const projection = defineProjection<TallyEvent>({
      name: 'tally',
      version: 1,
      handlers: {
        Added: (event, ctx) => {
          if (failures-- > 0) throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
          totals.add(ctx, event.streamId, event.data.amount);
        },
      },
    });
    const projector = make({ projections: [projection] });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 5000 });
    expect(totals.of(1).get('tally-a')).toBe(7);
    expect(await projector.deadLetters()).toEqual([]);
  });

  it('lets one runner lead per projection; the other takes over when it stops', async () => {
    const totals = new Totals();
    const a = make({ projections: [tallyProjection(totals)], ownerId: 'a', leaseTtlMs: 200 });
    const b = make({ projections: [tallyProjection(totals)], ownerId: 'b', leaseTtlMs: 200 });
    await a.start();
    await b.start();
    expect((await a.status())[0]).toMatchObject({ leaseHeld: true });
    expect((await b.status())[0]).toMatchObject({ leaseHeld: false });
    await appendAmounts(store, 'tally-a', [1, 2]);
    await a.whenCaughtUp({ timeoutMs: 5000 });
    await a.stop();
    await appendAmounts(store, 'tally-a', [3]);
    await expect.poll(async () => (await b.status())[0]?.leaseHeld, { timeout: 5000 }).toBe(true);
    await b.whenCaughtUp({ timeoutMs: 5000 });
    expect(totals.of(1).get('tally-a')).toBe(6);
  });

  it('rebuilds by truncate-and-replay, reporting progress to the end', async () => {
    const totals = new Totals();
    await appendAmounts(store, 'tally-a', Array.from({ length: 50 }, () => 1));
    const projector = make({ projections: [tallyProjection(totals)], batchSize: 7 });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 5000 });
    totals.of(1).set('tally-a', 999); // the read model drifted
    const reports: RebuildProgress[] = [];
    const final = await projector.rebuild('tally', { onProgress: (p) => reports.push(p) });
    expect(totals.of(1).get('tally-a')).toBe(50);
    expect(final).toMatchObject({ projection: 'tally', version: 1, kind: 'truncate', done: 100, total: 100, finished: true, etaMs: 0 });
    expect(reports.at(-1)).toEqual(final);
    expect((await projector.status())[0]?.state).toBe('running');
    expect((await checkpoints.load('projection:tally:v1'))?.status).toBe('running');
  });

  it('builds a new version beside the live one and switches when it has caught up (blue/green)', async () => {
    const totals = new Totals();
    await appendAmounts(store, 'tally-a', [1, 2, 3]);
    const v1 = make({ projections: [tallyProjection(totals, { version: 1 })] });
    await v1.start();
    await v1.whenCaughtUp({ timeoutMs: 5000 });
    expect(await v1.versions('tally')).toMatchObject([{ version: 1, state: 'live' }]);

    const progress: RebuildProgress[] = [];
    const v2 = make({ projections: [tallyProjection(totals, { version: 2 })], batchSize: 1, onProgress: (p) => progress.push(p) });
    await v2.start();
    await v2.whenCaughtUp({ timeoutMs: 5000 });
    expect(totals.of(2)).toEqual(totals.of(1));
    expect(await v2.versions('tally')).toMatchObject([
      { version: 1, state: 'retired' },
      { version: 2, state: 'live' },
    ]);
    expect(progress.at(-1)).toMatchObject({ kind: 'blue-green', version: 2, finished: true });
    expect((await v2.status())[0]).toMatchObject({ versionState: 'live', state: 'running' });
  });

  it('never lets an older version take over from a newer live one', async () => {
    const totals = new Totals();
    await appendAmounts(store, 'tally-a', [1, 2]);
    const v2 = make({ projections: [tallyProjection(totals, { version: 2 })] });
    await v2.start();
    await v2.whenCaughtUp({ timeoutMs: 5000 });
    const v1 = make({ projections: [tallyProjection(totals, { version: 1 })] }); // an old deploy still running
    await v1.start();
    await v1.whenCaughtUp({ timeoutMs: 5000 });
    expect(await v1.versions('tally')).toMatchObject([
      { version: 1, state: 'building' },
      { version: 2, state: 'live' },
    ]);
    expect((await v1.status())[0]).toMatchObject({ state: 'running', versionState: 'building' });
  });

  it('times out whenCaughtUp, and names unknown projections', async () => {
    const totals = new Totals();
    const leader = make({ projections: [tallyProjection(totals)], ownerId: 'leader', leaseTtlMs: 60_000 });
    await leader.start();
    const standby = make({ projections: [tallyProjection(totals)], ownerId: 'standby', leaseTtlMs: 60_000 });
    await standby.start();
    expect((await standby.status())[0]).toMatchObject({ state: 'standby', leaseHeld: false, leaseHolder: 'leader' });
    const observer = make({ projections: [tallyProjection(totals)], ownerId: 'cli' }); // never started
    expect((await observer.status())[0]).toMatchObject({ state: 'running', leaseHolder: 'leader' }); // the leader's state
    const error = await standby.whenCaughtUp({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(isProjectorTimeoutError(error)).toBe(true);
    const unknown = await standby.rebuild('nope').catch((e: unknown) => e);
    expect(isUnknownProjectionError(unknown)).toBe(true);
    await expect(standby.rebuild('tally')).rejects.toThrow(/run by another process \(lease owner leader\)/);
  });

  it('rejects bad options before anything runs', () => {
    const projections = [tallyProjection(new Totals())];
    const bad: Array<[Partial<ProjectorOptions>, RegExp]> = [
      [{ batchSize: 0 }, /batchSize = 0: use an integer from 1/],
      [{ retry: { maxAttempts: -1 } }, /retry.maxAttempts = -1/],
      [{ onPoisonEvent: 'ignore' as never }, /onPoisonEvent = "ignore"/],
      [{ leaseTtlMs: 5 }, /leaseTtlMs = 5/],
      [{ schema: 'Bad-Schema' }, /schema = "Bad-Schema"/],
      [{ projections: [] }, /projections = \[\]/],
      [{ projections: [...projections, ...projections] }, /each projection name may appear once/],
      [{ checkpoints: undefined as never }, /without db, pass a CheckpointStore/],
    ];
    for (const [options, message] of bad) {
      let caught: unknown;
      try {
        createProjector({ store, checkpoints, projections, ...options });
      } catch (error) {
        caught = error;
      }
      expect(isInvalidProjectorOptionError(caught), String(message)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
