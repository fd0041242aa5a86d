import { describe, expect, it } from 'vitest';
import { WriterLock } from './writer-lock';

describe('WriterLock', () => {
  it('grants the lock to one holder at a time, in request order', async () => {
    const lock = new WriterLock();
    const order: string[] = [];
    const first = await lock.acquire();
    const second = lock.acquire().then((release) => {
      order.push('second');
      return release;
    });
    const third = lock.acquire().then((release) => {
      order.push('third');
      release();
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    first();
    (await second)();
    await third;
    expect(order).toEqual(['second', 'third']);
    expect(lock.held).toBe(false);
  });

  it('ignores a second release, so it cannot free a later holder', async () => {
    const lock = new WriterLock();
    const first = await lock.acquire();
    first();
    const second = await lock.acquire();
    first();
    expect(lock.held).toBe(true);
    second();
    expect(lock.held).toBe(false);
  });
});
