import { describe, expect, it } from 'vitest';
import { appendRowOf } from './append';

describe('appendRowOf', () => {
  it("reads an append function's row from the server's text (node-postgres)", () => {
    expect(appendRowOf(['1', '0', '12', 'order', '{41,42}', '1764806400123'])).toEqual({
      item: 1,
      status: 0,
      stream_version: 12,
      stream_type: 'order',
      positions: ['41', '42'],
      occurred_ms: 1764806400123,
    });
  });

  it('reads a refused row: no positions, and an empty list of them', () => {
    expect(appendRowOf(['2', '2', '7', 'order', null, null])).toMatchObject({ item: 2, status: 2, stream_version: 7, positions: null });
    expect(appendRowOf(['1', '0', '0', 'order', '{}', '0']).positions).toEqual([]);
  });

  it('reads the same row parsed (PGlite)', () => {
    expect(appendRowOf([1, 0, 12, 'order', [41, 42], 1764806400123])).toEqual({
      item: 1,
      status: 0,
      stream_version: 12,
      stream_type: 'order',
      positions: [41, 42],
      occurred_ms: 1764806400123,
    });
  });
});
