import { isInvalidArgumentError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { checkOutDate, occupiedNights } from './nights';

describe('occupiedNights', () => {
  it('lists the check-in date and the following days', () => {
    expect(occupiedNights('2026-12-01', 3)).toEqual(['2026-12-01', '2026-12-02', '2026-12-03']);
    expect(occupiedNights('2026-12-01', 1)).toEqual(['2026-12-01']);
  });

  it('crosses months, years and leap days', () => {
    expect(occupiedNights('2026-12-30', 3)).toEqual(['2026-12-30', '2026-12-31', '2027-01-01']);
    expect(occupiedNights('2028-02-28', 2)).toEqual(['2028-02-28', '2028-02-29']);
    expect(occupiedNights('2027-02-28', 2)).toEqual(['2027-02-28', '2027-03-01']);
  });

  it('is not shifted by daylight-saving changes', () => {
    // Europe and the US change clocks on the last Sunday of March / October and early March / November.
    expect(occupiedNights('2026-03-28', 3)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(occupiedNights('2026-10-24', 3)).toEqual(['2026-10-24', '2026-10-25', '2026-10-26']);
    expect(occupiedNights('2026-01-01', 30)).toHaveLength(30);
    expect(occupiedNights('2026-01-01', 30).at(-1)).toBe('2026-01-30');
  });

  it.each([
    ['2026-02-30', 1],
    ['2026-1-1', 1],
    ['2026-12-01', 0],
    ['2026-12-01', 31],
    ['2026-12-01', 1.5],
  ])('refuses %s for %s nights', (date, nights) => {
    let caught: unknown;
    try {
      occupiedNights(date, nights);
    } catch (error) {
      caught = error;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
  });
});

describe('checkOutDate', () => {
  it('is the morning after the last night', () => {
    expect(checkOutDate('2026-12-30', 3)).toBe('2027-01-02');
    expect(checkOutDate('2028-02-28', 1)).toBe('2028-02-29');
    expect(checkOutDate('2026-10-24', 30)).toBe('2026-11-23');
  });

  it.each([
    ['2026-02-30', 1],
    ['2026-12-01', 0],
    ['2026-12-01', 31],
  ])('refuses %s for %s nights', (date, nights) => {
    expect(() => checkOutDate(date, nights)).toThrow(/calendar date|whole number/);
  });
});
