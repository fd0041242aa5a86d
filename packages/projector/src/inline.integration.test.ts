import { PGlite } from '@electric-sql/pglite';
import { createAggregateRepository, defineAggregate } from '@eventfold/core';
import { createPostgresEventStore, migrate, type PostgresEventStore } from '@eventfold/store-postgres';
import { createServerTestDatabase } from '@eventfold/testing';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLiveTables,
  createProjector,
  defineProjection,
  inlineProjections,
  isProjectionHandlerError,
  migrateProjector,
  type ProjectionDatabase,
} from './index';

type WalletEvent = { type: 'Deposited'; data: { amount: number } } | { type: 'Withdrawn'; data: { amount: number } };
type WalletCommand = { type: 'deposit' | 'withdraw'; amount: number };

const wallet = defineAggregate<{ balance: number }, WalletEvent, WalletCommand>({
  type: 'wallet',
  initialState: { balance: 0 },
  evolve: (state, event) => ({ balance: state.balance + (event.type === 'Deposited' ? 1 : -1) * event.data.amount }),
  decide: (command) => ({ type: command.type === 'deposit' ? 'Deposited' : 'Withdrawn', data: { amount: command.amount } }),
});

/** Balances, with a check constraint the read model enforces: a withdrawal below zero fails the projection. */
const balances = defineProjection<WalletEvent>({
  name: 'balances',
  version: 1,
  tables: ['balances'],
  setup: async (ctx) => {
    await ctx.tx.execute(sql`create table if not exists ${ctx.table('balances')} (
      wallet text primary key, balance integer not null check (balance >= 0), version integer not null)`);
  },
  handlers: {
    Deposited: async (event, ctx) => {
      await ctx.tx.execute(sql`insert into ${ctx.table('balances')} (wallet, balance, version)
        values (${event.streamId}, ${event.data.amount}, ${event.version})
        on conflict (wallet) do update set balance = ${ctx.table('balances')}.balance + excluded.balance, version = excluded.version`);
    },
    Withdrawn: async (event, ctx) => {
      await ctx.tx.execute(sql`update ${ctx.table('balances')} set balance = balance - ${event.data.amount}, version = ${event.version}
        where wallet = ${event.streamId}`);
    },
  },
});

interface Target {
  readonly db: ProjectionDatabase;
  readonly store: PostgresEventStore;
  close(): Promise<void>;
}

const server = await createServerTestDatabase({ prefix: 'projector_inline', purpose: 'inline projections on PostgreSQL' });
const targets: Array<[string, () => Promise<Target>]> = [
  [
    'PGlite',
    async () => {
      const pglite = new PGlite();
      const db = drizzlePglite(pglite);
      await migrate(db);
      const store = createPostgresEventStore({ db });
      return { db, store, close: async () => (await store.close(), await pglite.close()) };
    },
  ],
];
if (server !== undefined) {
  targets.push([
    'node-postgres',
    async () => {
      const pool = new pg.Pool({ connectionString: server.connectionString, max: 6 });
      const db = drizzlePg(pool);
      await migrate(db);
      const store = createPostgresEventStore({ db });
      const close = async () => {
        await store.close();
        // The database is dropped WITH (FORCE) next: a connection still closing may get the
        // server's "terminating connection", which is expected there.
        pool.on('error', () => undefined);
        await pool.end();
      };
      return { db, store, close };
    },
  ]);
}
afterAll(async () => server?.dispose());

describe.each(targets)('inline projections on %s', (_driver, open) => {
  let target: Target;
  beforeAll(async () => {
    target = await open();
    // Two processes deploying at once: both migrations succeed, the version is registered once.
    await Promise.all([migrateProjector(target.db, { projections: [balances] }), migrateProjector(target.db, { projections: [balances] })]);
  });
  afterAll(async () => target.close());

  const query = async <TRow>(statement: SQL): Promise<TRow[]> => {
    const result: unknown = await target.db.execute(statement);
    return (result as { rows: TRow[] }).rows;
  };
  const balanceOf = async (wallet: string): Promise<number | undefined> => {
    const table = await createLiveTables({ db: target.db, cacheTtlMs: 0 }).table(balances, 'balances');
    const [row] = await query<{ balance: number }>(sql`select balance from ${table} where wallet = ${wallet}`);
    return row?.balance;
  };

  it('updates the read model in the append transaction: a query right after the command sees it', async () => {
    const repository = createAggregateRepository({ store: target.store, aggregate: wallet, onAppended: inlineProjections([balances]) });
    await repository.save('w1', [{ type: 'Deposited', data: { amount: 50 } }], { expectedVersion: 0 });
    expect(await balanceOf('wallet-w1')).toBe(50);
    await repository.save('w1', [{ type: 'Withdrawn', data: { amount: 20 } }], { expectedVersion: 1 });
    expect(await balanceOf('wallet-w1')).toBe(30);
  });

  it('rolls the append back when the projection fails', async () => {
    const repository = createAggregateRepository({ store: target.store, aggregate: wallet, onAppended: inlineProjections([balances]) });
    await repository.save('w2', [{ type: 'Deposited', data: { amount: 10 } }], { expectedVersion: 0 });
    const error = await repository.save('w2', [{ type: 'Withdrawn', data: { amount: 99 } }], { expectedVersion: 1 }).catch((e: unknown) => e);
    expect(isProjectionHandlerError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Projection "balances" v1 failed on event Withdrawn/);
    expect(await target.store.streamVersion('wallet-w2')).toBe(1); // the event was not recorded
    expect(await balanceOf('wallet-w2')).toBe(10);
  });

  it('registers the inline version as live for the query side', async () => {
    expect(await createLiveTables({ db: target.db }).liveVersion('balances')).toBe(1);
    expect(await query(sql`select count(*)::int as n from eventfold.projection_versions where name = 'balances'`)).toEqual([{ n: 1 }]);
  });

  it('runs an async projector on the same driver', async () => {
    const audit = defineProjection<WalletEvent>({
      name: 'audit',
      version: 1,
      tables: ['audit'],
      setup: async (ctx) => {
        await ctx.tx.execute(sql`create table if not exists ${ctx.table('audit')} (event_id uuid primary key, type text not null)`);
      },
      batch: async (events, ctx) => {
        for (const event of events) await ctx.tx.execute(sql`insert into ${ctx.table('audit')} values (${event.id}, ${event.type})`);
      },
    });
    const projector = createProjector({ store: target.store, db: target.db, projections: [audit], pollIntervalMs: 50 });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 20_000 });
    expect(await query(sql`select count(*)::int as n from public.audit_v1`)).toEqual([{ n: 3 }]); // w1: 2 events, w2: 1 (the refused withdrawal was rolled back)
    expect((await target.store.readAll()).events).toHaveLength(3);
    await projector.stop();
  });
});
