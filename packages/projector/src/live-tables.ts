import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type ProjectionDatabase } from './database';
import { physicalTable, physicalTableName, type Projection } from './define-projection';
import { InvalidProjectorOptionError } from './errors';
import { projectorTables } from './migrate';
import { assertSqlName, DEFAULT_SCHEMA } from './sql-names';

export interface LiveTablesOptions {
  readonly db: ProjectionDatabase;
  /** Schema of the projector's tables. Default `eventfold`. */
  readonly schema?: string;
  /** How long a looked-up live version is reused. Default 1000 ms; 0 looks it up on every call. */
  readonly cacheTtlMs?: number;
}

/** The query side of blue/green: which version of a projection answers queries, and its tables. */
export interface LiveTables {
  /** The live version of a projection, or undefined when none is registered. */
  liveVersion(projection: string): Promise<number | undefined>;
  /** The live version, or the definition's own version when none is registered yet. */
  version(projection: Pick<Projection, 'name' | 'version'>): Promise<number>;
  /**
   * The live version and its tables from one lookup, so a query that uses several tables (or reports
   * the version) never mixes two versions across a switch.
   */
  resolve(projection: Pick<Projection, 'name' | 'version' | 'tables' | 'schema'>): Promise<ResolvedVersion>;
  /** The live physical table of a logical table, quoted and schema-qualified, for `sql` queries. */
  table(projection: Pick<Projection, 'name' | 'version' | 'tables' | 'schema'>, logicalName: string): Promise<SQL>;
  /** The live physical table's unqualified name (for Drizzle's `pgSchema(s).table(name, ...)`). */
  tableName(projection: Pick<Projection, 'name' | 'version' | 'tables'>, logicalName: string): Promise<string>;
}

/** One version of a projection and its physical tables. */
export interface ResolvedVersion {
  readonly version: number;
  table(logicalName: string): SQL;
  tableName(logicalName: string): string;
}

/**
 * Resolves read-model tables to the live version, so queries switch to a new blue/green version
 * the moment it has caught up (within `cacheTtlMs`).
 *
 * ```ts
 * const live = createLiveTables({ db });
 * const rows = await db.execute(sql`select * from ${await live.table(reservations, 'reservations')} where id = ${id}`);
 * ```
 */
export function createLiveTables(options: LiveTablesOptions): LiveTables {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSqlName('schema', schema);
  const cacheTtlMs = options.cacheTtlMs ?? 1000;
  if (typeof cacheTtlMs !== 'number' || !Number.isFinite(cacheTtlMs) || cacheTtlMs < 0) {
    throw new InvalidProjectorOptionError('cacheTtlMs', cacheTtlMs, 'use a number of milliseconds >= 0');
  }
  const { db } = options;
  const { versions } = projectorTables(schema);
  const cache = new Map<string, { version: number | undefined; at: number }>();

  const liveVersion = async (name: string): Promise<number | undefined> => {
    const cached = cache.get(name);
    if (cached !== undefined && performance.now() - cached.at < cacheTtlMs) return cached.version;
    const rows = await queryRows<{ version: number }>(db, sql`select version from ${versions} where name = ${name} and state = 'live'`);
    const version = rows[0] === undefined ? undefined : Number(rows[0].version);
    cache.set(name, { version, at: performance.now() });
    return version;
  };
  const version = async (projection: Pick<Projection, 'name' | 'version'>): Promise<number> =>
    (await liveVersion(projection.name)) ?? projection.version;

  return {
    liveVersion,
    version,
    resolve: async (projection) => {
      const resolved = await version(projection);
      return {
        version: resolved,
        table: (logicalName) => physicalTable(projection, logicalName, resolved),
        tableName: (logicalName) => physicalTableName(projection, logicalName, resolved),
      };
    },
    table: async (projection, logicalName) => physicalTable(projection, logicalName, await version(projection)),
    tableName: async (projection, logicalName) => physicalTableName(projection, logicalName, await version(projection)),
  };
}

/** A projection's table at its own version (or `version`), quoted and schema-qualified. */
export function projectionTable(
  projection: Pick<Projection, 'name' | 'version' | 'tables' | 'schema'>,
  logicalName: string,
  version: number = projection.version,
): SQL {
  return physicalTable(projection, logicalName, version);
}

/** A projection's unqualified physical table name at its own version (or `version`): `reservations_v2`. */
export function projectionTableName(
  projection: Pick<Projection, 'name' | 'version' | 'tables'>,
  logicalName: string,
  version: number = projection.version,
): string {
  return physicalTableName(projection, logicalName, version);
}
