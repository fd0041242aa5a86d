import { describe, expect, it } from 'vitest';
import { requestFingerprint } from './idempotency';

describe('requestFingerprint', () => {
  it('ignores key order and undefined members', () => {
    expect(requestFingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(
      requestFingerprint({ b: { d: 'x', c: [1, 2] }, a: 1, e: undefined }),
    );
  });

  it('differs when any value differs', () => {
    expect(requestFingerprint({ nights: 2 })).not.toBe(requestFingerprint({ nights: 3 }));
    expect(requestFingerprint({ list: [1, 2] })).not.toBe(requestFingerprint({ list: [2, 1] }));
  });
});
