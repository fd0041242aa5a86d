import { describe, expect, it } from 'vitest';
import { isInvalidCursorError } from '../errors';
import { decodeCursor, encodeCursor } from './reservation-queries';

describe('list cursors', () => {
  it('round-trips the position of the last row', () => {
    const position = { checkInDate: '2026-05-01', id: '0b6f7a52-3c1e-4d7f-9a51-6d0e8c1f2a3b' };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it.each([
    ['not base64 json', 'zzzz'],
    ['wrong shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
    ['bad date', Buffer.from(JSON.stringify(['2026-13-45x', '0b6f7a52-3c1e-4d7f-9a51-6d0e8c1f2a3b'])).toString('base64url')],
    ['bad id', Buffer.from(JSON.stringify(['2026-05-01', "1' or '1'='1"])).toString('base64url')],
  ])('refuses a cursor that is %s', (_label, cursor) => {
    let caught: unknown;
    try {
      decodeCursor(cursor);
    } catch (error) {
      caught = error;
    }
    expect(isInvalidCursorError(caught)).toBe(true);
  });
});
