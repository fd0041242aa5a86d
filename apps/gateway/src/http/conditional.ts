/** The ETag of a reservation: its stream version, as a strong entity tag. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * The version an `If-Match` header pins (`"3"` -> 3). `*` and an absent header pin nothing.
 * The header was validated by the route schema, so anything else cannot reach here.
 */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header === '*') return undefined;
  const match = /^"(\d{1,15})"$/.exec(header);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** True when `If-None-Match` already names the current version (answer 304). */
export function matchesIfNoneMatch(header: string | string[] | undefined, version: number): boolean {
  if (typeof header !== 'string') return false;
  const current = etagOf(version);
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === current);
}
