import { createTestDatabase, type TestDatabase } from '@eventfold/testing';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLease, isLeaseLostError, type SqlExecutor } from './lease';

describe('lease', () => {
  let database: TestDatabase;
  let db: SqlExecutor & { transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> };
  let close: () => Promise<void>;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'lease_test' });
    if (database.kind === 'server') {
      const pool = new pg.Pool({ connectionString: database.connectionString, max: 4 });
      db = drizzlePg(pool);
      close = () => {
        // The database is dropped WITH (FORCE) next: a connection still closing may get the
        // server's "terminating connection", which is expected here (as in test-support's fixtures).
        pool.on('error', () => undefined);
        return pool.end();
      };
    } else {
      db = drizzlePglite(database.pglite);
      close = async () => undefined;
    }
  });
  afterAll(async () => {
    await close();
    await database.dispose();
  });

  it('lets one holder in at a time and hands over after the ttl', async () => {
    const a = createLease({ db, name: 'projection:one', ownerId: 'a', ttlMs: 300 });
    const b = createLease({ db, name: 'projection:one', ownerId: 'b', ttlMs: 300 });
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    expect((await b.inspect())?.ownerId).toBe('a');
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await b.tryAcquire()).toBe(true);
    const state = await b.inspect();
    expect(state).toMatchObject({ ownerId: 'b', token: 2 });
    expect(await a.renew()).toBe(false);
    expect(a.held).toBe(false);
  });

  it('refuses writes from a holder whose lease was taken over', async () => {
    const a = createLease({ db, name: 'relay:main', ownerId: 'a', ttlMs: 200 });
    const b = createLease({ db, name: 'relay:main', ownerId: 'b', ttlMs: 5000 });
    expect(await a.tryAcquire()).toBe(true);
    await db.transaction(async (tx) => a.assertHeld(tx));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await b.tryAcquire()).toBe(true);
    const error = await db.transaction(async (tx) => a.assertHeld(tx)).catch((e: unknown) => e);
    expect(isLeaseLostError(error)).toBe(true);
    await db.transaction(async (tx) => b.assertHeld(tx));
  });

  it('makes a takeover wait for the old holder\'s write transaction to finish (fencing)', async (ctx) => {
    if (database.kind !== 'server') ctx.skip(); // PGlite has a single connection: no concurrent transactions
    const a = createLease({ db, name: 'relay:fence', ownerId: 'a', ttlMs: 150 });
    const b = createLease({ db, name: 'relay:fence', ownerId: 'b', ttlMs: 5000 });
    expect(await a.tryAcquire()).toBe(true);
    let aCommittedAt = 0;
    let bAcquiredAt = 0;
    const writer = db.transaction(async (tx) => {
      await a.assertHeld(tx);
      await new Promise((resolve) => setTimeout(resolve, 400)); // the lease expires meanwhile
    }).then(() => {
      aCommittedAt = performance.now();
    });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const acquired = await b.tryAcquire();
    bAcquiredAt = performance.now();
    await writer;
    expect(acquired).toBe(true);
    expect(bAcquiredAt).toBeGreaterThanOrEqual(aCommittedAt);
  });

  it('frees the lease at once on release', async () => {
    const a = createLease({ db, name: 'relay:release', ownerId: 'a', ttlMs: 60_000 });
    const b = createLease({ db, name: 'relay:release', ownerId: 'b', ttlMs: 60_000 });
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    await a.release();
    expect(await b.tryAcquire()).toBe(true);
  });

  it('rejects an unsafe schema name before any SQL runs', () => {
    expect(() => createLease({ db, schema: 'x; drop table y', name: 'n' })).toThrow(/Invalid schema name/);
  });
});
