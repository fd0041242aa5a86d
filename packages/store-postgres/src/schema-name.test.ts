import { describe, expect, it } from 'vitest';
import { isInvalidSchemaNameError } from './errors';
import { notificationChannel } from './notifications';
import { assertValidSchemaName, quoteIdentifier } from './schema-name';

describe('schema names', () => {
  it.each(['eventfold', '_private', 'tenant_42', 'a'.repeat(63)])('accepts and quotes %s', (name) => {
    expect(() => assertValidSchemaName(name)).not.toThrow();
    expect(quoteIdentifier(name)).toBe(`"${name}"`);
  });

  it.each(['', 'Eventfold', '1tenant', 'a'.repeat(64), 'x"; drop schema public; --', 'a b', 'a-b', 'é', 42, null, undefined])(
    'refuses %j with InvalidSchemaNameError',
    (name) => {
      let caught: unknown;
      try {
        quoteIdentifier(name as string);
      } catch (error) {
        caught = error;
      }
      expect(isInvalidSchemaNameError(caught)).toBe(true);
      expect((caught as Error).message).toContain('Invalid schema name');
    },
  );

  it('derives a LISTEN channel within 63 characters from any valid schema name', () => {
    expect(notificationChannel('eventfold')).toBe('eventfold_events');
    const long = notificationChannel('a'.repeat(63));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
    expect(long).not.toBe(notificationChannel(`${'a'.repeat(62)}b`));
    expect(() => notificationChannel('Bad')).toThrow(/Invalid schema name/);
  });
});
