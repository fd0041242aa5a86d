import type { RecordedEvent } from '@eventfold/core';
import type { SQL } from 'drizzle-orm';
import type { ProjectionTransaction } from './database';
import { ProjectionDefinitionError, ProjectionHandlerError } from './errors';
import { qualifiedTable, SQL_NAME } from './sql-names';

/** One member of an event union: `{ type: 'ReservationCreated'; data: {...} }` (a catalog's `EventOf`). */
export interface ProjectableEvent {
  readonly type: string;
  readonly data: unknown;
}

/** The recorded form of each member of an event union, still discriminated by `type`. */
export type RecordedEventFor<TEvent extends ProjectableEvent> = TEvent extends ProjectableEvent
  ? RecordedEvent<TEvent['type'], TEvent['data']>
  : never;

/** What a handler gets besides the event. */
export interface ProjectionContext {
  /** The projection's name and the version being written (blue/green builds write a new version). */
  readonly projection: string;
  readonly version: number;
  /** `'inline'`: inside the append's transaction; `'async'`: inside the projector's batch transaction. */
  readonly mode: 'inline' | 'async';
  /**
   * The Drizzle transaction the read-model writes must use, so that they commit together with the
   * append (inline) or with the checkpoint (async). Throws `NoTransactionError` on a target without
   * a database (store-memory).
   */
  readonly tx: ProjectionTransaction;
  /** Schema of the read-model tables. */
  readonly schema: string;
  /**
   * The physical table of a declared logical table for the version being written, quoted and
   * schema-qualified: `ctx.table('reservations')` -> `"public"."reservations_v2"`.
   */
  table(logicalName: string): SQL;
  /** The unqualified physical name: `reservations_v2` (for Drizzle's `pgTable(name, ...)`). */
  tableName(logicalName: string): string;
}

export type EventHandler<TEvent extends ProjectableEvent, TType extends string> = (
  event: RecordedEvent<TType, Extract<TEvent, { readonly type: TType }>['data']>,
  ctx: ProjectionContext,
) => void | Promise<void>;

/** One handler per event type; types without a handler are not read. */
export type EventHandlers<TEvent extends ProjectableEvent> = {
  readonly [TType in TEvent['type']]?: EventHandler<TEvent, TType>;
};

/** Applies a whole batch at once (one multi-row statement per batch is how rebuilds get fast). */
export type BatchHandler<TEvent extends ProjectableEvent> = (
  events: readonly RecordedEventFor<TEvent>[],
  ctx: ProjectionContext,
) => void | Promise<void>;

export interface ProjectionOptions<TEvent extends ProjectableEvent> {
  /** Unique name: 1 to 100 of `a-z 0-9 _ - . :`, starting with a letter (`reservations`). */
  readonly name: string;
  /** Positive integer. Bump it to rebuild blue/green: the new version builds beside the old one. */
  readonly version: number;
  /**
   * Logical names of the read-model tables this projection owns (`['reservations']`). Each version
   * gets its own physical table, `<name>_v<version>`, so two versions can live side by side.
   */
  readonly tables?: readonly string[];
  /** Schema of those tables. Default `public`. */
  readonly schema?: string;
  /** Per-event handlers, keyed by event type. Give these or `batch`. */
  readonly handlers?: EventHandlers<TEvent>;
  /** A handler for whole batches. Give this or `handlers`. */
  readonly batch?: BatchHandler<TEvent>;
  /** With `batch`: the event types it wants (default: every event). */
  readonly eventTypes?: readonly TEvent['type'][];
  /** Creates the version's tables (idempotent DDL: `create table if not exists ${ctx.table('x')}`). */
  readonly setup?: (ctx: ProjectionContext) => Promise<void>;
  /** Empties the version's tables for a truncate-and-replay rebuild. Default: `truncate` every declared table. */
  readonly reset?: (ctx: ProjectionContext) => Promise<void>;
}

/** A validated projection, ready for `createProjector` or `inlineProjections`. */
export interface Projection<TEvent extends ProjectableEvent = ProjectableEvent> {
  readonly name: string;
  readonly version: number;
  readonly schema: string;
  readonly tables: readonly string[];
  /** Event types read from the store; `undefined` = every event. */
  readonly eventTypes: readonly string[] | undefined;
  readonly setup: ((ctx: ProjectionContext) => Promise<void>) | undefined;
  readonly reset: ((ctx: ProjectionContext) => Promise<void>) | undefined;
  /** Applies events (already in feed order) through the handlers; handler errors become `ProjectionHandlerError`. */
  apply(events: readonly RecordedEvent[], ctx: ProjectionContext): Promise<void>;
  /** Phantom: the event union the handlers are typed by. */
  readonly __events?: TEvent;
}

const PROJECTION_NAME = /^[a-z][a-z0-9_.:-]{0,99}$/;
const VERSION_SUFFIX_ROOM = 8; // `_v` + up to 6 digits

/**
 * Declares a projection: a name, a version, the read-model tables it owns, and handlers typed by
 * the event union (pass a catalog's `EventOf<typeof catalog>` as the type argument).
 *
 * ```ts
 * const reservations = defineProjection<ReservationEvent>({
 *   name: 'reservations', version: 1, tables: ['reservations'],
 *   handlers: {
 *     ReservationCreated: async (event, ctx) => {
 *       await ctx.tx.execute(sql`insert into ${ctx.table('reservations')} (id, status) values (${event.streamId}, 'PENDING')`);
 *     },
 *   },
 * });
 * ```
 */
export function defineProjection<TEvent extends ProjectableEvent = ProjectableEvent>(
  options: ProjectionOptions<TEvent>,
): Projection<TEvent> {
  if (typeof options !== 'object' || options === null) {
    throw new ProjectionDefinitionError('(none)', 'defineProjection needs an options object { name, version, handlers | batch }.');
  }
  const { name, version } = options;
  if (typeof name !== 'string' || !PROJECTION_NAME.test(name)) {
    throw new ProjectionDefinitionError(
      String(name),
      `Invalid projection name ${JSON.stringify(name) ?? String(name)}: use 1 to 100 of a-z, 0-9, _ - . :, starting with a letter.`,
    );
  }
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1 || version > 999_999) {
    throw new ProjectionDefinitionError(name, `Invalid version ${String(version)} of projection "${name}": use an integer from 1 to 999999.`);
  }
  const schema = options.schema ?? 'public';
  if (typeof schema !== 'string' || !SQL_NAME.test(schema)) {
    throw new ProjectionDefinitionError(name, `Invalid schema ${JSON.stringify(schema)} of projection "${name}": use a-z, 0-9 and _, starting with a letter or _ (max 63).`);
  }
  const tables = validateTables(name, options.tables ?? []);
  // Past this point the handlers are called with recorded events whose type picks the handler.
  const untyped = options as unknown as ProjectionOptions<ProjectableEvent>;
  const apply = buildApply(name, version, untyped);
  const eventTypes = handledTypes(name, untyped);
  for (const hook of ['setup', 'reset'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') {
      throw new ProjectionDefinitionError(name, `${hook} of projection "${name}" must be a function (ctx) => Promise<void>.`);
    }
  }
  return Object.freeze({
    name,
    version,
    schema,
    tables,
    eventTypes,
    setup: options.setup,
    reset: options.reset,
    apply,
  });
}

function validateTables(projection: string, tables: readonly string[]): readonly string[] {
  if (!isStringArray(tables)) {
    throw new ProjectionDefinitionError(projection, `tables of projection "${projection}" must be an array of table names.`);
  }
  const seen = new Set<string>();
  for (const table of tables) {
    if (!SQL_NAME.test(table) || table.length > 63 - VERSION_SUFFIX_ROOM) {
      throw new ProjectionDefinitionError(
        projection,
        `Invalid table name ${JSON.stringify(table)} in projection "${projection}": use a-z, 0-9 and _, ` +
          `starting with a letter or _, at most ${63 - VERSION_SUFFIX_ROOM} characters (room is kept for the _v<version> suffix).`,
      );
    }
    if (seen.has(table)) throw new ProjectionDefinitionError(projection, `Table "${table}" is listed twice in projection "${projection}".`);
    seen.add(table);
  }
  return Object.freeze([...tables]);
}

function handledTypes(name: string, options: ProjectionOptions<ProjectableEvent>): readonly string[] | undefined {
  if (options.handlers !== undefined) return Object.freeze(Object.keys(options.handlers));
  if (options.eventTypes === undefined) return undefined;
  const types: unknown = options.eventTypes;
  if (!isStringArray(types) || types.length === 0 || types.some((t) => t === '')) {
    throw new ProjectionDefinitionError(name, `eventTypes of projection "${name}" must be a non-empty array of event type names (or be left out for every event).`);
  }
  return Object.freeze([...new Set(types)]);
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}

type AnyHandler = (event: RecordedEvent, ctx: ProjectionContext) => void | Promise<void>;

function buildApply(
  name: string,
  version: number,
  options: ProjectionOptions<ProjectableEvent>,
): (events: readonly RecordedEvent[], ctx: ProjectionContext) => Promise<void> {
  const { handlers, batch } = options;
  if ((handlers === undefined) === (batch === undefined)) {
    throw new ProjectionDefinitionError(name, `Projection "${name}" needs exactly one of handlers (per event type) or batch (per batch).`);
  }
  if (batch !== undefined) {
    if (typeof batch !== 'function') throw new ProjectionDefinitionError(name, `batch of projection "${name}" must be a function (events, ctx) => Promise<void>.`);
    const wanted = options.eventTypes === undefined ? undefined : new Set<string>(options.eventTypes);
    return async (events, ctx) => {
      const selected = wanted === undefined ? events : events.filter((event) => wanted.has(event.type));
      if (selected.length === 0) return;
      try {
        await batch(selected, ctx);
      } catch (cause) {
        // A one-event batch names its event, which lets the runner park exactly that event.
        const only = selected.length === 1 ? selected[0] : undefined;
        throw new ProjectionHandlerError(name, version, only, { cause });
      }
    };
  }
  if (typeof handlers !== 'object' || handlers === null) {
    throw new ProjectionDefinitionError(name, `handlers of projection "${name}" must be an object { EventType: (event, ctx) => ... }.`);
  }
  const byType = new Map<string, AnyHandler>();
  for (const [type, handler] of Object.entries(handlers as Record<string, unknown>)) {
    if (typeof handler !== 'function') {
      throw new ProjectionDefinitionError(name, `The handler for "${type}" in projection "${name}" must be a function (event, ctx) => ...`);
    }
    byType.set(type, handler as AnyHandler);
  }
  if (byType.size === 0) throw new ProjectionDefinitionError(name, `Projection "${name}" has no handlers: add at least one event type.`);
  return async (events, ctx) => {
    for (const event of events) {
      const handler = byType.get(event.type);
      if (handler === undefined) continue;
      try {
        await handler(event, ctx);
      } catch (cause) {
        throw new ProjectionHandlerError(name, version, event, { cause });
      }
    }
  };
}

/** `<logical>_v<version>`: the physical table of a logical table for one version. */
export function physicalTableName(projection: Pick<Projection, 'name' | 'tables'>, logicalName: string, version: number): string {
  if (!projection.tables.includes(logicalName)) {
    throw new ProjectionDefinitionError(
      projection.name,
      `Table "${logicalName}" is not declared by projection "${projection.name}" (declared: ${projection.tables.join(', ') || 'none'}). Add it to tables.`,
    );
  }
  return `${logicalName}_v${version}`;
}

/** The quoted, schema-qualified physical table of a logical table for one version. */
export function physicalTable(projection: Pick<Projection, 'name' | 'tables' | 'schema'>, logicalName: string, version: number): SQL {
  return qualifiedTable(projection.schema, physicalTableName(projection, logicalName, version));
}
