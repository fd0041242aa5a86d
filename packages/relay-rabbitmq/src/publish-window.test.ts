import { describe, expect, it } from 'vitest';
import { PublishWindow } from './publish-window';

const cp = (position: number) => ({ transactionId: position, position });

describe('PublishWindow', () => {
  it('offers no checkpoint until every message of the batch is confirmed', () => {
    const window = new PublishWindow(10);
    const batch = window.begin(cp(3), 3);
    for (let i = 0; i < 3; i++) window.published(batch);
    window.seal(batch);
    window.confirmed(batch);
    window.confirmed(batch);
    expect(window.collectConfirmed()).toBe(false);
    expect(window.checkpointToSave).toBeUndefined();
    window.confirmed(batch);
    expect(window.collectConfirmed()).toBe(true);
    expect(window.checkpointToSave).toEqual(cp(3));
  });

  it('never offers a later batch while an earlier one is unconfirmed (confirms out of order)', () => {
    const window = new PublishWindow(10);
    const first = window.begin(cp(2), 2);
    window.published(first);
    window.published(first);
    window.seal(first);
    const second = window.begin(cp(4), 2);
    window.published(second);
    window.published(second);
    window.seal(second);
    window.confirmed(second);
    window.confirmed(second);
    expect(window.collectConfirmed()).toBe(false);
    expect(window.checkpointToSave).toBeUndefined();
    window.confirmed(first);
    window.confirmed(first);
    expect(window.collectConfirmed()).toBe(true);
    expect(window.checkpointToSave).toEqual(cp(4));
  });

  it('does not checkpoint a batch that is still being published, even if all sent so far are confirmed', () => {
    const window = new PublishWindow(10);
    const batch = window.begin(cp(5), 5);
    window.published(batch);
    window.confirmed(batch);
    expect(window.collectConfirmed()).toBe(false);
    window.seal(batch);
    expect(window.collectConfirmed()).toBe(true);
  });

  it('counts events as unsettled until their checkpoint is saved, and limits them to maxInFlight', () => {
    const window = new PublishWindow(4);
    const batch = window.begin(cp(4), 4);
    for (let i = 0; i < 4; i++) window.published(batch);
    expect(window.hasCapacity).toBe(false);
    window.seal(batch);
    for (let i = 0; i < 4; i++) window.confirmed(batch);
    window.collectConfirmed();
    expect(window.hasCapacity).toBe(false); // confirmed, not yet saved
    expect(window.isSettled).toBe(false);
    window.saved(cp(4));
    expect(window.unsettled).toBe(0);
    expect(window.hasCapacity).toBe(true);
    expect(window.isSettled).toBe(true);
  });

  it('keeps a batch open while a republish to the alternate exchange is unconfirmed, without counting the event twice', () => {
    const window = new PublishWindow(10);
    const batch = window.begin(cp(1), 1);
    window.published(batch);
    window.seal(batch);
    window.published(batch, false); // returned, republished elsewhere
    window.confirmed(batch); // the original's confirm
    expect(window.collectConfirmed()).toBe(false);
    window.confirmed(batch);
    expect(window.collectConfirmed()).toBe(true);
    expect(window.unsettled).toBe(1);
  });

  it('saves an older checkpoint partially: only the batches up to it settle', () => {
    const window = new PublishWindow(10);
    for (const position of [2, 4]) {
      const batch = window.begin(cp(position), 2);
      window.published(batch);
      window.published(batch);
      window.seal(batch);
      window.confirmed(batch);
      window.confirmed(batch);
    }
    window.collectConfirmed();
    window.saved(cp(2));
    expect(window.unsettled).toBe(2);
    expect(window.checkpointToSave).toEqual(cp(4));
  });

  it('reports when the oldest unconfirmed event occurred', () => {
    const window = new PublishWindow(10);
    const at = new Date('2026-01-01T00:00:00Z');
    const batch = window.begin(cp(1), 1, at);
    window.published(batch);
    expect(window.oldestPendingAt).toBe(at);
    window.seal(batch);
    window.confirmed(batch);
    window.collectConfirmed();
    expect(window.oldestPendingAt).toBeUndefined();
  });
});
