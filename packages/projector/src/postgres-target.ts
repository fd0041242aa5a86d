import { createLease, createPostgresCheckpointStore, type Lease } from '@eventfold/store-postgres';
import { sql } from 'drizzle-orm';
import { asSqlExecutor, queryRows, type ProjectionDatabase } from './database';
import { migrateProjector, projectorTables, registerVersion, type VersionRow } from './migrate';
import type { DeadLetter, ProjectionVersion, ProjectorTarget, RunnerLease } from './target';

interface DeadLetterRow extends Record<string, unknown> {
  projection: string;
  version: number;
  event_id: string;
  event_type: string;
  stream_id: string;
  global_position: string | number;
  error_name: string;
  error_message: string;
  error_stack: string | null;
  attempts: number;
  first_failed_at: string | Date;
  last_failed_at: string | Date;
}

const leases = new WeakMap<RunnerLease, Lease>();

/**
 * The PostgreSQL target: read-model writes, the checkpoint (store-postgres's checkpoints table),
 * dead letters and version switches of one batch commit in one transaction, and the runner's
 * lease is asserted inside it first, so a runner that lost its lease cannot commit anything.
 */
export function createPostgresTarget(db: ProjectionDatabase, schema: string, autoMigrate: boolean): ProjectorTarget {
  const tables = projectorTables(schema);
  const executor = asSqlExecutor(db);

  return {
    kind: 'postgres',
    atomic: true,
    async prepare() {
      if (autoMigrate) await migrateProjector(db, { schema });
    },
    async transaction(lease, fn) {
      const inner = leases.get(lease);
      if (inner === undefined) throw new Error('This lease was not made by the PostgreSQL target.');
      return db.transaction(async (tx) => {
        await inner.assertHeld(asSqlExecutor(tx));
        // Safe without waiting for the WAL flush: the read model and its checkpoint commit together,
        // so a server crash that loses this commit loses both, and the runner applies the batch again.
        await tx.execute(sql`set local synchronous_commit to off`);
        const checkpoints = createPostgresCheckpointStore({ db: tx, schema });
        return fn({
          tx,
          saveCheckpoint: (name, checkpoint, options) => checkpoints.save(name, checkpoint, options),
          park: async (letter) => {
            await tx.execute(sql`insert into ${tables.deadLetters}
              (projection, version, event_id, event_type, stream_id, global_position, error_name, error_message, error_stack, attempts)
              values (${letter.projection}, ${letter.version}, ${letter.eventId}, ${letter.eventType}, ${letter.streamId},
                ${letter.globalPosition}, ${letter.errorName}, ${letter.errorMessage}, ${letter.errorStack}, ${letter.attempts})
              on conflict (projection, version, event_id) do update set
                error_name = excluded.error_name, error_message = excluded.error_message, error_stack = excluded.error_stack,
                attempts = ${tables.deadLetters}.attempts + excluded.attempts, last_failed_at = now()`);
          },
          promote: async (name, version) => {
            const rows = await queryRows(
              tx,
              sql`select 1 from ${tables.versions} where name = ${name} and version = ${version} and state = 'building'
                and not exists (select 1 from ${tables.versions} where name = ${name} and state = 'live' and version > ${version})
                for update`,
            );
            if (rows.length === 0) return false;
            await tx.execute(sql`update ${tables.versions} set state = 'retired' where name = ${name} and state = 'live'`);
            await tx.execute(
              sql`update ${tables.versions} set state = 'live', live_since = now() where name = ${name} and version = ${version}`,
            );
            return true;
          },
        });
      });
    },
    loadCheckpoint: (name) => createPostgresCheckpointStore({ db, schema }).load(name),
    async register(name, version) {
      return toVersion(await db.transaction((tx) => registerVersion(tx, schema, name, version)));
    },
    async versions(name) {
      const rows = await queryRows<VersionRow>(
        db,
        sql`select name, version, state, created_at, live_since from ${tables.versions} where name = ${name} order by version`,
      );
      return rows.map(toVersion);
    },
    async deadLetters(filter) {
      const conditions = [sql`true`];
      if (filter.projection !== undefined) conditions.push(sql`projection = ${filter.projection}`);
      if (filter.version !== undefined) conditions.push(sql`version = ${filter.version}`);
      const rows = await queryRows<DeadLetterRow>(
        db,
        sql`select * from ${tables.deadLetters} where ${sql.join(conditions, sql` and `)} order by global_position`,
      );
      return rows.map(toDeadLetter);
    },
    createLease(name, options) {
      const inner = createLease({ db: executor, schema, name, ownerId: options.ownerId, ttlMs: options.ttlMs });
      const lease: RunnerLease = {
        ownerId: inner.ownerId,
        get held() {
          return inner.held;
        },
        tryAcquire: () => inner.tryAcquire(),
        renew: () => inner.renew(),
        release: () => inner.release(),
        holder: async () => {
          const state = await inner.inspect();
          return state !== undefined && state.expiresAt.getTime() > Date.now() ? state.ownerId : undefined;
        },
      };
      leases.set(lease, inner);
      return lease;
    },
  };
}

function toVersion(row: VersionRow): ProjectionVersion {
  return {
    name: row.name,
    version: Number(row.version),
    state: row.state,
    createdAt: new Date(row.created_at),
    liveSince: row.live_since === null ? null : new Date(row.live_since),
  };
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    projection: row.projection,
    version: Number(row.version),
    eventId: row.event_id,
    eventType: row.event_type,
    streamId: row.stream_id,
    globalPosition: Number(row.global_position),
    errorName: row.error_name,
    errorMessage: row.error_message,
    errorStack: row.error_stack,
    attempts: Number(row.attempts),
    firstFailedAt: new Date(row.first_failed_at),
    lastFailedAt: new Date(row.last_failed_at),
  };
}
