import { sql, type SQL } from 'drizzle-orm';
import { InvalidProjectorOptionError } from './errors';

/** Identifiers that come from configuration must match this before they are quoted into SQL. */
export const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export const DEFAULT_SCHEMA = 'eventfold';

/** Throws unless `value` is a safe PostgreSQL identifier; `option` names it in the message. */
export function assertSqlName(option: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !SQL_NAME.test(value)) {
    throw new InvalidProjectorOptionError(
      option,
      value,
      'use 1 to 63 lowercase letters, digits or _, starting with a letter or _',
    );
  }
}

/** `"schema"."table"`, both parts validated and quoted. */
export function qualifiedTable(schema: string, table: string): SQL {
  assertSqlName('schema', schema);
  assertSqlName('table', table);
  return sql`${sql.identifier(schema)}.${sql.identifier(table)}`;
}
