import { InvalidSchemaNameError } from './errors';

/** The Postgres schema eventfold uses when none is configured. */
export const DEFAULT_SCHEMA = 'eventfold';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Throws {@link InvalidSchemaNameError} unless `name` matches `^[a-z_][a-z0-9_]{0,62}$`: such a
 * name needs no escaping, so it can never change the meaning of the SQL it is quoted into.
 */
export function assertValidSchemaName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) throw new InvalidSchemaNameError(name);
}

/** `name` validated and double-quoted for SQL text: `quoteIdentifier('eventfold')` is `"eventfold"`. */
export function quoteIdentifier(name: string): string {
  assertValidSchemaName(name);
  return `"${name}"`;
}
