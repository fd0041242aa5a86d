import { describe, expect, it } from 'vitest';
import { addDays } from './dates';

describe('calendar dates', () => {
  it('adds days across month, year and leap-day boundaries', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-03-28', 3)).toBe('2026-03-31'); // across the EU DST change
  });

  it('refuses a non-date', () => {
    expect(() => addDays('tomorrow', 1)).toThrow(/Not a calendar date/);
  });
});
