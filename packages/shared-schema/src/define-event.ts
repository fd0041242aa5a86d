import type { z } from 'zod';
import { EventDefinitionError } from './errors';

const MAX_EVENT_TYPE_LENGTH = 200;
/** Letters, digits and `_ . : / -`, starting with a letter: `ReservationCreated`, `billing.InvoicePaid`. */
const EVENT_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:/-]*$/;

/** One event type: its name, the Zod schema of its `data`, and the current version of that shape. */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly schema: TSchema;
  /** Current version of the data's shape. Stores record it as `metadata.schemaVersion`. */
  readonly version: number;
}

export interface DefineEventOptions {
  /** Current version of the data's shape, a positive integer. Default 1. */
  readonly version?: number;
}

/** The `data` type of an event definition: `DataOf<typeof ReservationCreated>`. */
export type DataOf<TDefinition extends EventDefinition> = z.output<TDefinition['schema']>;

/** The `{ type, data }` event a definition describes. */
export type EventOfDefinition<TDefinition> =
  TDefinition extends EventDefinition<infer TType, infer TSchema>
    ? { readonly type: TType; readonly data: z.output<TSchema> }
    : never;

/**
 * Declares an event type and the Zod schema of its data.
 *
 * ```ts
 * const RoomAdded = defineEvent('RoomAdded', z.object({ roomId: z.uuid() }));
 * const RoomRenamed = defineEvent('RoomRenamed', z.object({ roomId: z.uuid(), name: z.string() }), { version: 2 });
 * ```
 */
export function defineEvent<const TType extends string, TSchema extends z.ZodType>(
  type: TType,
  schema: TSchema,
  options: DefineEventOptions = {},
): EventDefinition<TType, TSchema> {
  assertEventType(type);
  if (!isZodSchema(schema)) {
    throw new EventDefinitionError(type, `defineEvent("${type}") needs a Zod schema for the data as its second argument.`);
  }
  const version = options.version ?? 1;
  assertVersion(type, version, 'version');
  return Object.freeze({ type, schema, version });
}

/** Turns data of one version of an event type into data of the next version. */
export interface EventUpcaster {
  readonly type: string;
  /** The version this step reads; it returns data of version `fromVersion + 1`. */
  readonly fromVersion: number;
  readonly upcast: (data: unknown) => unknown;
}

/**
 * Declares one upcasting step: data of `type` at `fromVersion` becomes data of `fromVersion + 1`.
 * Pass the steps to `createEventCatalog(definitions, { upcasters })`; the catalog runs them in
 * order (v1 -> v2 -> v3) and validates the result against the current schema. Upcasters must be
 * pure: they get a copy of the stored data.
 *
 * ```ts
 * defineUpcaster('ReservationCreated', 1, (data: { guest: string }) => ({ guestName: data.guest }));
 * ```
 */
export function defineUpcaster<TFrom = unknown>(
  type: string,
  fromVersion: number,
  upcast: (data: TFrom) => unknown,
): EventUpcaster {
  assertEventType(type);
  assertVersion(type, fromVersion, 'fromVersion');
  if (typeof upcast !== 'function') {
    throw new EventDefinitionError(type, `defineUpcaster("${type}", ${fromVersion}, fn) needs a function as its third argument.`);
  }
  // The step is only ever called with data of `fromVersion`, which the caller typed as TFrom.
  return Object.freeze({ type, fromVersion, upcast: upcast as (data: unknown) => unknown });
}

export function isEventDefinition(value: unknown): value is EventDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<EventDefinition>;
  return typeof candidate.type === 'string' && typeof candidate.version === 'number' && isZodSchema(candidate.schema);
}

function assertEventType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_EVENT_TYPE_LENGTH || !EVENT_TYPE_PATTERN.test(type)) {
    throw new EventDefinitionError(
      String(type),
      `Invalid event type ${JSON.stringify(type) ?? String(type)}: use 1 to ${MAX_EVENT_TYPE_LENGTH} letters, digits or _ . : / -, starting with a letter.`,
    );
  }
}

function assertVersion(type: string, version: unknown, name: string): asserts version is number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new EventDefinitionError(type, `Invalid ${name} ${String(version)} for "${type}": use a positive integer (1, 2, ...).`);
  }
}

function isZodSchema(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}
