import { sql, type SQL } from 'drizzle-orm';
import { createProjectionContext } from './context';
import { queryRows, type ProjectionDatabase } from './database';
import type { Projection } from './define-projection';
import { assertProjectionList } from './projection-list';
import { silentLogger, type ProjectorLogger } from './logger';
import { assertSqlName, DEFAULT_SCHEMA, qualifiedTable } from './sql-names';

export interface MigrateProjectorOptions {
  /** Schema of the projector's tables (next to the event store's). Default `eventfold`. */
  readonly schema?: string;
  /**
   * Projections to prepare: each one's version is registered (live at once when it is the first
   * version of its name) and its `setup` runs, all in the same transaction.
   */
  readonly projections?: readonly Projection[];
  readonly logger?: ProjectorLogger;
}

/** The projector's own tables in `schema`. */
export function projectorTables(schema: string): { readonly versions: SQL; readonly deadLetters: SQL } {
  return {
    versions: qualifiedTable(schema, 'projection_versions'),
    deadLetters: qualifiedTable(schema, 'projection_dead_letters'),
  };
}

/**
 * Creates the projector's tables (version registry and dead letters) in `schema` if they are
 * missing, then registers and sets up `projections`. Idempotent, and safe when several processes
 * run it at once (one transaction under an advisory lock).
 */
export async function migrateProjector(db: ProjectionDatabase, options: MigrateProjectorOptions = {}): Promise<void> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSqlName('schema', schema);
  const projections = options.projections ?? [];
  assertProjectionList(projections, { allowEmpty: true });
  const logger = options.logger ?? silentLogger;
  const tables = projectorTables(schema);
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`eventfold.projector.migrate:${schema}`}))`);
    await tx.execute(sql`create schema if not exists ${sql.identifier(schema)}`);
    await tx.execute(sql`create table if not exists ${tables.versions} (
      name text not null,
      version integer not null,
      state text not null check (state in ('building', 'live', 'retired')),
      created_at timestamptz not null default now(),
      live_since timestamptz,
      primary key (name, version)
    )`);
    await tx.execute(
      sql`create unique index if not exists projection_versions_one_live on ${tables.versions} (name) where state = 'live'`,
    );
    await tx.execute(sql`create table if not exists ${tables.deadLetters} (
      projection text not null,
      version integer not null,
      event_id uuid not null,
      event_type text not null,
      stream_id text not null,
      global_position bigint not null,
      error_name text not null,
      error_message text not null,
      error_stack text,
      attempts integer not null,
      first_failed_at timestamptz not null default now(),
      last_failed_at timestamptz not null default now(),
      primary key (projection, version, event_id)
    )`);
    for (const projection of projections) {
      await registerVersion(tx, schema, projection.name, projection.version);
      if (projection.setup !== undefined) await projection.setup(createProjectionContext(projection, { mode: 'inline', tx }));
    }
  });
  logger.info({ schema, projections: projections.map((p) => `${p.name}@v${p.version}`) }, 'projector tables ready');
}

export interface VersionRow extends Record<string, unknown> {
  name: string;
  version: number;
  state: 'building' | 'live' | 'retired';
  created_at: string | Date;
  live_since: string | Date | null;
}

/**
 * Inserts (name, version) unless present: live when no version of the name is live yet, else
 * building. Serialised per name by an advisory lock so two first versions cannot both go live.
 */
export async function registerVersion(tx: ProjectionDatabase, schema: string, name: string, version: number): Promise<VersionRow> {
  const { versions } = projectorTables(schema);
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`eventfold.projector.version:${schema}.${name}`}))`);
  await tx.execute(sql`insert into ${versions} (name, version, state, live_since)
    select ${name}, ${version},
      case when exists (select 1 from ${versions} where name = ${name} and state = 'live') then 'building' else 'live' end,
      case when exists (select 1 from ${versions} where name = ${name} and state = 'live') then null else now() end
    on conflict (name, version) do nothing`);
  const rows = await queryRows<VersionRow>(
    tx,
    sql`select name, version, state, created_at, live_since from ${versions} where name = ${name} and version = ${version}`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`Version ${version} of projection "${name}" vanished right after it was registered.`);
  return row;
}
