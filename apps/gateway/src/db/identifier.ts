import { IDENTIFIER } from '../config';

/** `name` checked against `^[a-z_][a-z0-9_]{0,62}$` and double-quoted, for SQL text. */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`Invalid Postgres identifier ${JSON.stringify(name)}: use lowercase letters, digits and _ (max 63), not starting with a digit.`);
  }
  return `"${name}"`;
}
