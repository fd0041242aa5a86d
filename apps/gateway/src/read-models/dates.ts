const DAY_MS = 24 * 60 * 60 * 1000;

/** `YYYY-MM-DD` plus `days` calendar days, in UTC (no time zone can shift a calendar date). */
export function addDays(date: string, days: number): string {
  const time = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(time)) throw new RangeError(`Not a calendar date: ${JSON.stringify(date)}`);
  return new Date(time + days * DAY_MS).toISOString().slice(0, 10);
}
