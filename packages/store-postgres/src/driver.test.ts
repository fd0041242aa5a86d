import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows, sqlClientOf, type EventfoldDatabase } from './driver';
import { isUnsupportedDriverError } from './errors';
import { createPostgresCheckpointStore } from './checkpoint-store';
import { createPostgresEventStore } from './event-store';

describe('driver resolution', () => {
  const pglite = new PGlite();
  const db = drizzle(pglite);
  afterAll(() => pglite.close());

  it('runs a parameterised query on a Drizzle database and inside its transactions', async () => {
    expect(await queryRows<{ n: number }>(db, 'select $1::int + 1 as n', [41])).toEqual([{ n: 42 }]);
    expect(sqlClientOf(db).inTransaction).toBe(false);
    await db.transaction(async (tx) => {
      expect(sqlClientOf(tx).inTransaction).toBe(true);
      await queryRows(tx, 'create temp table t (v text)');
      await queryRows(tx, 'insert into t values ($1)', ["'; drop table t; --"]);
      expect(await queryRows(tx, 'select v from t')).toEqual([{ v: "'; drop table t; --" }]);
    });
  });

  it('refuses anything that is not a Drizzle node-postgres or PGlite database', () => {
    for (const bogus of [{}, null, pglite, { _: { session: {} } }]) {
      let caught: unknown;
      try {
        createPostgresEventStore({ db: bogus as unknown as EventfoldDatabase });
      } catch (error) {
        caught = error;
      }
      expect(isUnsupportedDriverError(caught)).toBe(true);
      expect(() => createPostgresCheckpointStore({ db: bogus as unknown as EventfoldDatabase })).toThrow(/Unsupported database/);
    }
  });
});
