import type { Lease } from '@eventfold/store-postgres';

/** An in-process Lease whose availability the test controls (no database). */
export interface FakeLease extends Lease {
  /** While false, acquire and renew fail as if another process held the lease. */
  available: boolean;
  released: number;
}

export function fakeLease(ttlMs = 600): FakeLease {
  let held = false;
  const lease: FakeLease = {
    name: 'relay:fake',
    ownerId: 'test',
    ttlMs,
    available: true,
    released: 0,
    get held() {
      return held;
    },
    async tryAcquire() {
      held = lease.available;
      return held;
    },
    async renew() {
      held = held && lease.available;
      return held;
    },
    async assertHeld() {
      if (!held) throw new Error('lease lost');
    },
    async release() {
      held = false;
      lease.released += 1;
    },
    async inspect() {
      return held ? { name: lease.name, ownerId: lease.ownerId, token: 1, expiresAt: new Date(Date.now() + ttlMs) } : undefined;
    },
  };
  return lease;
}
