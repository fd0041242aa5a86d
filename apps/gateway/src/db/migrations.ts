import { sql } from 'drizzle-orm';
import { quoteIdentifier } from './identifier';
import type { Logger } from 'pino';
import type { GatewayDatabase } from './database';
import { queryRows } from './query';

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (schema: string) => readonly string[];
}

/**
 * The gateway's own tables (the read models are created by their projections' `setup`).
 * Append-only: never edit a shipped migration, add the next one. `schema` arrives validated and quoted.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'idempotency keys',
    statements: (s) => [
      `create table if not exists ${s}.idempotency_keys (
        key text primary key,
        fingerprint text not null,
        status_code integer not null,
        response jsonb not null,
        created_at timestamptz not null default now()
      )`,
      `create index if not exists idempotency_keys_created_idx on ${s}.idempotency_keys (created_at)`,
    ],
  },
];

/** The version `/ready` expects: the last migration shipped with this build. */
export const LATEST_GATEWAY_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Arbitrary but fixed: serialises concurrent `migrate` runs of the gateway's own tables. */
const MIGRATION_LOCK_KEY = 0x6761_7465; // "gate"

/**
 * Creates or upgrades the gateway's tables in `schema`, in one transaction under an advisory lock,
 * so two processes starting at once both succeed. Returns the versions it applied.
 */
export async function migrateGatewayTables(
  db: GatewayDatabase,
  options: { readonly schema: string; readonly logger?: Logger },
): Promise<number[]> {
  const s = quoteIdentifier(options.schema);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql.raw(`create schema if not exists ${s}`));
    await tx.execute(
      sql.raw(`create table if not exists ${s}.migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`),
    );
    const rows = await queryRows<{ version: number }>(tx, sql.raw(`select version from ${s}.migrations`));
    const applied = new Set(rows.map((row) => Number(row.version)));
    const done: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements(s)) await tx.execute(sql.raw(statement));
      await tx.execute(
        sql`insert into ${sql.raw(s)}.migrations (version, name) values (${migration.version}, ${migration.name})`,
      );
      options.logger?.info({ version: migration.version, name: migration.name }, 'gateway migration applied');
      done.push(migration.version);
    }
    return done;
  });
}

/** The highest applied gateway migration, or 0 when the tables do not exist yet. */
export async function appliedGatewayMigration(db: GatewayDatabase, schema: string): Promise<number> {
  const s = quoteIdentifier(schema);
  const [table] = await queryRows<{ present: boolean }>(db, sql`select to_regclass(${`${s}.migrations`}) is not null as present`);
  if (table?.present !== true) return 0;
  const [row] = await queryRows<{ version: number | string }>(db, sql.raw(`select coalesce(max(version), 0) as version from ${s}.migrations`));
  return Number(row?.version ?? 0);
}
