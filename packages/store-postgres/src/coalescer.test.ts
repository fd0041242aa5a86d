import { isInvalidArgumentError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { Coalescer, parseCoalesceOptions, type CoalescerSettings } from './coalescer';
import { silentLogger } from './logger';

interface Item {
  readonly key: string;
  readonly value: number;
}

function recording(settings: Partial<CoalescerSettings> = {}, failBatch?: (items: readonly Item[]) => boolean) {
  const batches: number[][] = [];
  const singles: number[] = [];
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const coalescer = new Coalescer<Item, string>(
    { maxBatch: 64, maxWaitMs: 0, maxConcurrentBatches: 1, ...settings },
    {
      keyOf: (item) => item.key,
      runBatch: async (items) => {
        batches.push(items.map((item) => item.value));
        await gate;
        if (failBatch?.(items) === true) throw new Error('batch failed');
        return items.map((item) => `batch:${item.value}`);
      },
      runOne: async (item) => {
        singles.push(item.value);
        await gate;
        if (item.value < 0) throw new Error(`item ${item.value} failed`);
        return `one:${item.value}`;
      },
    },
    silentLogger,
  );
  return {
    coalescer,
    batches,
    singles,
    hold() {
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
}

describe('Coalescer', () => {
  it('merges submissions made while a batch runs into the next batch, with a result per caller', async () => {
    const r = recording();
    r.hold();
    const first = r.coalescer.submit({ key: 'a', value: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3, 4].map((value) => r.coalescer.submit({ key: `k${value}`, value }));
    r.release();
    expect(await first).toBe('one:1');
    expect(await Promise.all(rest)).toEqual(['batch:2', 'batch:3', 'batch:4']);
    expect(r.singles).toEqual([1]);
    expect(r.batches).toEqual([[2, 3, 4]]);
  });

  it('never puts two items with the same key in one batch, and keeps their order', async () => {
    const r = recording();
    const results = await Promise.all(
      [
        { key: 'a', value: 1 },
        { key: 'a', value: 2 },
        { key: 'b', value: 3 },
        { key: 'a', value: 4 },
      ].map((item) => r.coalescer.submit(item)),
    );
    // 2 and 4 share key 'a' with 1: each waits for the next run, in submission order.
    expect(results).toEqual(['batch:1', 'one:2', 'batch:3', 'one:4']);
    expect(r.batches).toEqual([[1, 3]]);
    expect(r.singles).toEqual([2, 4]);
  });

  it('caps a batch at maxBatch', async () => {
    const r = recording({ maxBatch: 3 });
    await Promise.all(Array.from({ length: 7 }, (_, value) => r.coalescer.submit({ key: `k${value}`, value })));
    expect(r.batches.map((batch) => batch.length)).toEqual([3, 3]);
    expect(r.singles).toEqual([6]);
  });

  it('runs each item alone when its batch fails, so every caller gets its own outcome', async () => {
    const r = recording({}, () => true);
    const outcomes = await Promise.allSettled([1, -2, 3].map((value) => r.coalescer.submit({ key: `k${value}`, value })));
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message))).toEqual([
      'one:1',
      'item -2 failed',
      'one:3',
    ]);
    expect(r.batches).toEqual([[1, -2, 3]]);
  });

  it('logs a batch that failed on contention (unique violation, deadlock) at debug, anything else at warn', async () => {
    const logged: string[] = [];
    const record = (level: string) => (fields: object) => {
      logged.push(`${level} ${String((fields as { err?: { code?: unknown } }).err?.code)}`);
    };
    const failWith = (code: string) =>
      new Coalescer<Item, string>(
        { maxBatch: 64, maxWaitMs: 0, maxConcurrentBatches: 1 },
        {
          keyOf: (item) => item.key,
          runBatch: () => Promise.reject(Object.assign(new Error(`failed with ${code}`), { code })),
          runOne: (item) => Promise.resolve(`one:${item.value}`),
        },
        { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
      );
    for (const code of ['23505', '40P01', '57P01']) {
      const coalescer = failWith(code);
      expect(await Promise.all([1, 2].map((value) => coalescer.submit({ key: `k${value}`, value })))).toEqual(['one:1', 'one:2']);
    }
    expect(logged).toEqual(['debug 23505', 'debug 40P01', 'warn 57P01']);
  });

  it('drains: resolves once everything submitted has settled', async () => {
    const r = recording();
    r.hold();
    const pending = [1, 2].map((value) => r.coalescer.submit({ key: `k${value}`, value }));
    let drained = false;
    const drain = r.coalescer.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    r.release();
    await Promise.all(pending);
    await drain;
    expect(drained).toBe(true);
  });

  it('parses the coalesce option', () => {
    expect(parseCoalesceOptions(undefined)).toBeUndefined();
    expect(parseCoalesceOptions(false)).toBeUndefined();
    expect(parseCoalesceOptions(true)).toEqual({ maxBatch: 64, maxWaitMs: 0, maxConcurrentBatches: 2 });
    expect(parseCoalesceOptions({ maxBatch: 8, maxWaitMs: 2 })).toEqual({ maxBatch: 8, maxWaitMs: 2, maxConcurrentBatches: 2 });
    for (const bad of [{ maxBatch: 0 }, { maxWaitMs: -1 }, { maxConcurrentBatches: 1.5 }, 'yes']) {
      let caught: unknown;
      try {
        parseCoalesceOptions(bad as never);
      } catch (error) {
        caught = error;
      }
      expect(isInvalidArgumentError(caught)).toBe(true);
    }
  });
});

describe('Coalescer with concurrent batches', () => {
  it('never runs two items with the same key in two batches at once', async () => {
    const running = new Set<string>();
    const overlaps: string[] = [];
    const order: number[] = [];
    const track = async (items: readonly Item[]) => {
      for (const item of items) {
        if (running.has(item.key)) overlaps.push(item.key);
        running.add(item.key);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const item of items) {
        running.delete(item.key);
        if (item.key === 'same') order.push(item.value);
      }
    };
    const coalescer = new Coalescer<Item, number>(
      { maxBatch: 4, maxWaitMs: 0, maxConcurrentBatches: 4 },
      {
        keyOf: (item) => item.key,
        runBatch: async (items) => {
          await track(items);
          return items.map((item) => item.value);
        },
        runOne: async (item) => {
          await track([item]);
          return item.value;
        },
      },
      silentLogger,
    );
    const items = Array.from({ length: 24 }, (_, value) => ({ key: value % 3 === 0 ? 'same' : `k${value}`, value }));
    expect(await Promise.all(items.map((item) => coalescer.submit(item)))).toEqual(items.map((item) => item.value));
    expect(overlaps).toEqual([]);
    expect(order).toEqual(items.filter((item) => item.key === 'same').map((item) => item.value));
  });
});
