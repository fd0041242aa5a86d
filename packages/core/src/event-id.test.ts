import { afterEach, describe, expect, it, vi } from 'vitest';
import { newEventId } from './event-id';
import { prepareAppend } from './validate-append';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit Unix millisecond timestamp at the front of a UUIDv7. */
const millisecondsOf = (id: string): number => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('newEventId', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is a lower-case UUID version 7 with the RFC 9562 variant', () => {
    for (let i = 0; i < 1000; i += 1) expect(newEventId()).toMatch(V7);
  });

  it('starts with the current Unix time in milliseconds', () => {
    const before = Date.now();
    const id = newEventId();
    const after = Date.now();
    expect(millisecondsOf(id)).toBeGreaterThanOrEqual(before);
    expect(millisecondsOf(id)).toBeLessThanOrEqual(after + 1);
  });

  it('strictly increases, also many times within one millisecond, and never repeats', () => {
    const ids = Array.from({ length: 50_000 }, newEventId);
    for (let i = 1; i < ids.length; i += 1) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps increasing when the clock stands still past the 4,096 ids one millisecond can count, or goes back', () => {
    vi.useFakeTimers({ now: new Date('2027-01-01T00:00:00.000Z'), toFake: ['Date'] });
    const frozen = Array.from({ length: 10_000 }, newEventId);
    vi.setSystemTime(new Date('2026-12-31T23:59:00.000Z')); // a minute back
    const afterJump = Array.from({ length: 10 }, newEventId);
    const ids = [...frozen, ...afterJump];
    for (let i = 1; i < ids.length; i += 1) expect(ids[i]! > ids[i - 1]!).toBe(true);
    // Borrowed milliseconds stay close to the real clock: 10,010 ids need at most a few.
    expect(millisecondsOf(ids.at(-1)!) - Date.parse('2027-01-01T00:00:00.000Z')).toBeLessThanOrEqual(5);
  });

  it('is what prepareAppend gives an event without an id; a given id is kept, lower-cased', () => {
    const given = '0A9B8C7D-6E5F-4A3B-9C2D-1E0F2A3B4C5D';
    const { events } = prepareAppend('reservation-1', [{ type: 'A', data: {} }, { type: 'B', data: {}, id: given }], undefined);
    expect(events[0]!.id).toMatch(V7);
    expect(events[1]!.id).toBe(given.toLowerCase());
  });
});
