import { describe, expect, it } from 'vitest';
import { Waker, backoffDelay, sleep } from './backoff';

describe('backoffDelay', () => {
  const options = { initialMs: 100, maxMs: 1000 };

  it('doubles from initialMs and stays between half and all of the ceiling', () => {
    expect(backoffDelay(0, options, () => 0)).toBe(50);
    expect(backoffDelay(0, options, () => 1)).toBe(100);
    expect(backoffDelay(2, options, () => 0)).toBe(200);
    expect(backoffDelay(2, options, () => 1)).toBe(400);
  });

  it('never exceeds maxMs, even after many attempts', () => {
    expect(backoffDelay(50, options, () => 1)).toBe(1000);
    expect(backoffDelay(5000, options, () => 0.5)).toBe(750);
  });
});

describe('sleep', () => {
  it('resolves early when the signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });

  it('resolves at once for an aborted signal', async () => {
    await expect(sleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});

describe('Waker', () => {
  it('wakes every waiter once, and later waiters wait for the next wake', async () => {
    const waker = new Waker();
    const woken: string[] = [];
    const a = waker.wait().then(() => woken.push('a'));
    const b = waker.wait().then(() => woken.push('b'));
    waker.wake();
    await Promise.all([a, b]);
    let lateWoken = false;
    const late = waker.wait().then(() => {
      lateWoken = true;
    });
    await Promise.resolve();
    expect(lateWoken).toBe(false);
    waker.wake();
    await late;
    expect(woken.sort()).toEqual(['a', 'b']);
    expect(lateWoken).toBe(true);
  });
});
