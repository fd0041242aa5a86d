import type { RelayLease } from '../src/relay';

/** An in-process Lease whose availability the test controls (no database). */
export interface FakeLease extends RelayLease {
  /** While false, acquire and renew fail as if another process held the lease. */
  available: boolean;
  released: number;
}

export function fakeLease(ttlMs = 600): FakeLease {
  let held = false;
  const lease: FakeLease = {
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
    async release() {
      held = false;
      lease.released += 1;
    },
  };
  return lease;
}
