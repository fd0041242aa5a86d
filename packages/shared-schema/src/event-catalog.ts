import { RecordedEventEnvelopeSchema, type RecordedEvent } from './envelope';
import { EventDefinitionError, EventValidationError, type EventValidationIssue } from './errors';
import { isEventDefinition, type EventDefinition, type EventOfDefinition, type EventUpcaster } from './define-event';
import { toValidationIssues } from './validation-issues';

/** The `{ type, data }` shape every catalog event has. */
export interface CatalogEvent {
  readonly type: string;
  readonly data: unknown;
}

/** A {@link RecordedEvent} narrowed to each `{ type, data }` of a union. */
export type RecordedFrom<TEvent> = TEvent extends { readonly type: infer TType extends string; readonly data: infer TData }
  ? RecordedEvent<TType, TData>
  : never;

export interface EventCatalogOptions {
  /** Upcasting steps from {@link defineUpcaster}: every version below a definition's needs one. */
  readonly upcasters?: readonly EventUpcaster[];
}

/**
 * The events one producer may append and one consumer may read, by type. Build it with
 * {@link createEventCatalog}. It satisfies `AppendValidator` from `@eventfold/core`, so stores take it
 * as their `catalog` option.
 */
export interface EventCatalog<TEvent extends CatalogEvent = CatalogEvent> {
  /** Every event type, in definition order. */
  readonly types: readonly TEvent['type'][];
  readonly definitions: readonly EventDefinition[];
  has(type: string): type is TEvent['type'];
  /** Current schema version of a type. Throws `EventValidationError` for an unknown type. */
  versionOf(type: string): number;
  /**
   * Parses `{ type, data, metadata? }` (a recorded event, a message body, ...) into a typed event.
   * Data recorded at an older `metadata.schemaVersion` is upcast first. Throws `EventValidationError`
   * for an unknown type or data that fails the schema, naming every failing field path.
   */
  parse(input: unknown): TEvent;
  /**
   * Parses a whole recorded-event envelope (as the relay publishes it: `occurredAt` may be an ISO
   * string) and its data, upcasting when needed.
   */
  parseRecorded(input: unknown): RecordedFrom<TEvent>;
  /** Validates the data of a new event of `type`; returns the parsed data and the version to record. */
  validateNew<TType extends TEvent['type']>(
    type: TType,
    data: unknown,
  ): { readonly data: Extract<TEvent, { readonly type: TType }>['data']; readonly schemaVersion: number };
  validateNew(type: string, data: unknown): { readonly data: unknown; readonly schemaVersion: number };
  /**
   * Brings a recorded event to the current version of its type: when `metadata.schemaVersion` is
   * older, runs the upcasters step by step, validates the result and returns a copy with the new data
   * and `schemaVersion`. Current-version events and types the catalog does not know come back as is.
   * An event without `metadata.schemaVersion` counts as current.
   */
  upcast(event: RecordedEvent): RecordedEvent;
}

/** The `{ type, data }` union of a catalog: `EventOf<typeof reservationEvents>`. */
export type EventOf<TCatalog> = TCatalog extends EventCatalog<infer TEvent> ? TEvent : never;
/** The union of a catalog's event type names. */
export type EventTypeOf<TCatalog> = EventOf<TCatalog>['type'];
/** The recorded events of a catalog, narrowed per type so `switch (event.type)` narrows `data`. */
export type RecordedEventOf<TCatalog> = RecordedFrom<EventOf<TCatalog>>;
/** The data of one type of a catalog: `EventDataOf<typeof reservationEvents, 'ReservationCreated'>`. */
export type EventDataOf<TCatalog, TType extends EventTypeOf<TCatalog>> = Extract<
  EventOf<TCatalog>,
  { readonly type: TType }
>['data'];

interface CatalogEntry {
  readonly definition: EventDefinition;
  /** Upcasting steps by the version they read. */
  readonly steps: ReadonlyMap<number, (data: unknown) => unknown>;
}

/**
 * Builds a catalog from event definitions and upcasters. Checks the declarations at once: duplicate
 * types, upcasters for unknown types or versions, and missing steps throw `EventDefinitionError`.
 *
 * ```ts
 * const catalog = createEventCatalog([RoomAdded, RoomRenamed], {
 *   upcasters: [defineUpcaster('RoomRenamed', 1, (data: { id: string; name: string }) => ({ roomId: data.id, name: data.name }))],
 * });
 * ```
 */
export function createEventCatalog<const TDefinitions extends readonly EventDefinition[]>(
  definitions: TDefinitions,
  options: EventCatalogOptions = {},
): EventCatalog<EventOfDefinition<TDefinitions[number]>> {
  type TEvent = EventOfDefinition<TDefinitions[number]>;
  const entries = buildEntries(definitions, options.upcasters ?? []);
  const types = Object.freeze(definitions.map((definition) => definition.type)) as readonly TEvent['type'][];
  const knownTypes = types.join(', ');

  const entryOf = (type: string): CatalogEntry => {
    const entry = entries.get(type);
    if (entry === undefined) {
      throw new EventValidationError(type, [
        { path: 'type', message: `is not in the event catalog (known types: ${knownTypes}); define it or fix the type` },
      ]);
    }
    return entry;
  };

  const parse = (input: unknown): TEvent => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new EventValidationError('(unknown)', [{ path: '', message: 'must be an object { type, data }' }]);
    }
    const { type, data, metadata } = input as { type?: unknown; data?: unknown; metadata?: unknown };
    if (typeof type !== 'string') {
      throw new EventValidationError(String(type), [{ path: 'type', message: 'must be a string' }]);
    }
    const entry = entryOf(type);
    const fromVersion = recordedVersionOf(entry, metadata);
    return { type, data: toCurrentData(entry, data, fromVersion) } as TEvent;
  };

  const catalog: EventCatalog<TEvent> = {
    types,
    definitions: Object.freeze([...definitions]),
    has: (type: string): type is TEvent['type'] => entries.has(type),
    versionOf: (type) => entryOf(type).definition.version,
    parse,
    parseRecorded(input) {
      const envelope = RecordedEventEnvelopeSchema.safeParse(input);
      if (!envelope.success) {
        const type = (input as { type?: unknown } | null)?.type;
        throw new EventValidationError(typeof type === 'string' ? type : '(unknown)', toValidationIssues(envelope.error));
      }
      const event = parse(envelope.data);
      const version = entryOf(event.type).definition.version;
      return {
        ...envelope.data,
        type: event.type,
        data: event.data,
        metadata: { ...envelope.data.metadata, schemaVersion: version },
      } as RecordedFrom<TEvent>;
    },
    validateNew(type: string, data: unknown) {
      const entry = entryOf(type);
      return { data: validateData(entry, data), schemaVersion: entry.definition.version };
    },
    upcast(event) {
      const entry = entries.get(event.type);
      if (entry === undefined) return event;
      const fromVersion = recordedVersionOf(entry, event.metadata);
      if (fromVersion === entry.definition.version) return event;
      return {
        ...event,
        data: toCurrentData(entry, event.data, fromVersion),
        metadata: { ...event.metadata, schemaVersion: entry.definition.version },
      };
    },
  };
  return Object.freeze(catalog);
}

function buildEntries(definitions: readonly EventDefinition[], upcasters: readonly EventUpcaster[]): Map<string, CatalogEntry> {
  // Checked through `unknown`: Array.isArray would narrow the typed array to any[].
  const given: unknown = definitions;
  if (!Array.isArray(given) || definitions.length === 0) {
    throw new EventDefinitionError('(catalog)', 'createEventCatalog needs a non-empty array of definitions from defineEvent().');
  }
  const steps = new Map<string, Map<number, (data: unknown) => unknown>>();
  for (const definition of definitions) {
    if (!isEventDefinition(definition)) {
      throw new EventDefinitionError('(catalog)', 'createEventCatalog got something that is not a defineEvent() definition.');
    }
    if (steps.has(definition.type)) {
      throw new EventDefinitionError(definition.type, `Event type "${definition.type}" is defined twice in one catalog; keep one definition.`);
    }
    steps.set(definition.type, new Map());
  }
  const versions = new Map(definitions.map((definition) => [definition.type, definition.version]));
  for (const upcaster of upcasters) {
    const version = versions.get(upcaster.type);
    const typeSteps = steps.get(upcaster.type);
    if (version === undefined || typeSteps === undefined) {
      throw new EventDefinitionError(upcaster.type, `An upcaster is declared for "${upcaster.type}", which the catalog does not define.`);
    }
    if (upcaster.fromVersion >= version) {
      throw new EventDefinitionError(
        upcaster.type,
        `The upcaster of "${upcaster.type}" from version ${upcaster.fromVersion} is not below the current version ${version}; ` +
          'raise the definition\'s version or remove the upcaster.',
      );
    }
    if (typeSteps.has(upcaster.fromVersion)) {
      throw new EventDefinitionError(upcaster.type, `"${upcaster.type}" has two upcasters from version ${upcaster.fromVersion}; keep one.`);
    }
    typeSteps.set(upcaster.fromVersion, upcaster.upcast);
  }
  const entries = new Map<string, CatalogEntry>();
  for (const definition of definitions) {
    const typeSteps = steps.get(definition.type) ?? new Map<number, (data: unknown) => unknown>();
    const missing = Array.from({ length: definition.version - 1 }, (_, i) => i + 1).filter((v) => !typeSteps.has(v));
    if (missing.length > 0) {
      throw new EventDefinitionError(
        definition.type,
        `"${definition.type}" is at version ${definition.version} but has no upcaster from version ${missing.join(', ')}; ` +
          `declare defineUpcaster("${definition.type}", ${missing[0]}, fn) for each.`,
      );
    }
    entries.set(definition.type, { definition, steps: typeSteps });
  }
  return entries;
}

/** The schema version data was recorded at: `metadata.schemaVersion`, or the current one when absent. */
function recordedVersionOf(entry: CatalogEntry, metadata: unknown): number {
  const { type, version } = entry.definition;
  const recorded = typeof metadata === 'object' && metadata !== null ? (metadata as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (recorded === undefined) return version;
  if (typeof recorded !== 'number' || !Number.isSafeInteger(recorded) || recorded < 1) {
    throw new EventValidationError(type, [{ path: 'metadata.schemaVersion', message: `is ${JSON.stringify(recorded) ?? typeof recorded}, not a positive integer` }]);
  }
  if (recorded > version) {
    throw new EventValidationError(type, [
      {
        path: 'metadata.schemaVersion',
        message: `is ${recorded}, newer than this catalog's version ${version}; deploy the newer event definitions to this reader`,
      },
    ]);
  }
  return recorded;
}

function toCurrentData(entry: CatalogEntry, data: unknown, fromVersion: number): unknown {
  const { type, version } = entry.definition;
  if (fromVersion === version) return validateData(entry, data);
  // Upcasters get a copy, so a careless one cannot change an event a store still holds.
  let current: unknown = structuredClone(data);
  for (let step = fromVersion; step < version; step++) {
    const upcast = entry.steps.get(step);
    if (upcast === undefined) throw new Error(`unreachable: the catalog checked every upcaster step of "${type}"`);
    try {
      current = upcast(current);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new EventValidationError(type, [{ path: '', message: `the upcaster from version ${step} threw: ${reason}` }], { cause: error });
    }
  }
  return validateData(entry, current, ` (after upcasting from version ${fromVersion} to ${version})`);
}

function validateData(entry: CatalogEntry, data: unknown, context = ''): unknown {
  const result = entry.definition.schema.safeParse(data);
  if (result.success) return result.data;
  const issues: EventValidationIssue[] = toValidationIssues(result.error).map((issue) => ({
    path: issue.path,
    message: issue.message + context,
  }));
  throw new EventValidationError(entry.definition.type, issues);
}
