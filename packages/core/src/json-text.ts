import { InvalidArgumentError } from './errors';

/**
 * Serialises a value the way a jsonb column keeps it, or throws InvalidArgumentError naming `what`
 * (BigInt, NaN/Infinity, cycles, undefined and NUL characters are refused, as PostgreSQL's jsonb
 * would, before anything is written). For store implementers: snapshot states and the like.
 */
export function toJsonText(what: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value, (key, item: unknown) => {
      if (typeof item === 'bigint') throw new TypeError(`BigInt at "${key}"`);
      if (typeof item === 'number' && !Number.isFinite(item)) throw new TypeError(`${item} at "${key}"`);
      return item;
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError(`${what} is not JSON-serialisable (${reason}); store plain JSON values only.`, {
      cause: error,
    });
  }
  if (json === undefined) throw new InvalidArgumentError(`${what} is undefined or a function; store null or an object.`);
  if (json.includes('\\u0000')) throw new InvalidArgumentError(`${what} contains a NUL character (\\u0000), which jsonb cannot store.`);
  return json;
}
