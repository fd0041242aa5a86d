import { InvalidArgumentError } from '@eventfold/core';
import { CalendarDateSchema, MAX_NIGHTS } from '@eventfold/shared-schema/reservation';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The nights a stay occupies, as calendar dates: the check-in date and each following day, `nights`
 * in all. `occupiedNights('2026-12-30', 3)` -> `['2026-12-30', '2026-12-31', '2027-01-01']`.
 * Computed in UTC, so no time zone or daylight-saving change can shift a date.
 */
export function occupiedNights(checkInDate: string, nights: number): string[] {
  const start = parseStay(checkInDate, nights);
  return Array.from({ length: nights }, (_, i) => formatDate(start + i * DAY_MS));
}

/** The morning the guest leaves: the day after the last night. */
export function checkOutDate(checkInDate: string, nights: number): string {
  // Every create and date change computes this several times: one parse, no list of nights.
  return formatDate(parseStay(checkInDate, nights) + nights * DAY_MS);
}

/** The check-in date as UTC midnight, after checking both values. */
function parseStay(checkInDate: string, nights: number): number {
  const start = parseCalendarDate(checkInDate);
  if (!Number.isSafeInteger(nights) || nights < 1 || nights > MAX_NIGHTS) {
    throw new InvalidArgumentError(`nights ${String(nights)} is not a whole number from 1 to ${MAX_NIGHTS}.`);
  }
  return start;
}

function parseCalendarDate(date: string): number {
  if (!CalendarDateSchema.safeParse(date).success) {
    throw new InvalidArgumentError(`${JSON.stringify(date) ?? String(date)} is not a calendar date as YYYY-MM-DD.`);
  }
  return Date.parse(`${date}T00:00:00Z`);
}

function formatDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
