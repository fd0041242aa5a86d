import { EventValidationError, type EventMetadata } from '@eventfold/shared-schema';
import {
  EventTooLargeError,
  InvalidArgumentError,
  InvalidExpectedVersionError,
  InvalidStreamIdError,
} from './errors';
import type { AppendOptions, NewEvent } from './event-store';
import { newEventId } from './event-id';
import { isExpectedVersion, type ExpectedVersion } from './expected-version';

export const MAX_STREAM_ID_LENGTH = 200;
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a store needs to check events against a catalog. `@eventfold/shared-schema`'s
 * `createEventCatalog` satisfies it.
 */
export interface AppendValidator {
  /** Throws `EventValidationError` for an unknown type or data that fails the type's schema. */
  validateNew(type: string, data: unknown): { readonly data: unknown; readonly schemaVersion: number };
}

export interface AppendValidationConfig {
  readonly catalog?: AppendValidator | undefined;
  /** Serialised `data` + `metadata` limit per event. Default 1 MiB. */
  readonly maxEventBytes?: number | undefined;
}

/** An event that passed validation, with its JSON already serialised once for the store. */
export interface PreparedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  readonly dataJson: string;
  readonly metadataJson: string;
}

export interface PreparedAppend {
  readonly streamId: string;
  readonly streamType: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly PreparedEvent[];
}

export function assertValidStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string') throw new InvalidStreamIdError(streamId, 'it must be a string');
  if (streamId.length === 0) throw new InvalidStreamIdError(streamId, 'it is empty');
  if (streamId.length > MAX_STREAM_ID_LENGTH) {
    throw new InvalidStreamIdError(streamId, `it has ${streamId.length} characters, the limit is ${MAX_STREAM_ID_LENGTH}`);
  }
  // PostgreSQL text cannot hold NUL; refuse it in every store alike.
  if (streamId.includes('\u0000')) throw new InvalidStreamIdError(streamId, 'it contains a NUL character (\\u0000)');
}

/** Default stream type: the stream id up to its first `-`. */
export function streamTypeOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash > 0 ? streamId.slice(0, dash) : streamId;
}

/**
 * Checks an append completely before anything is written, and serialises each event once.
 * Throws a typed error naming the problem; never touches a store.
 */
export function prepareAppend(
  streamId: string,
  events: readonly NewEvent[],
  options: AppendOptions | undefined,
  config: AppendValidationConfig = {},
): PreparedAppend {
  assertValidStreamId(streamId);
  // Only a missing option means 'any': a null from a caller's lookup must not switch the check off.
  const expectedVersion = options?.expectedVersion === undefined ? 'any' : options.expectedVersion;
  if (!isExpectedVersion(expectedVersion)) throw new InvalidExpectedVersionError(expectedVersion);
  const streamType = options?.streamType ?? streamTypeOf(streamId);
  if (typeof streamType !== 'string' || streamType.length === 0 || streamType.length > MAX_STREAM_ID_LENGTH) {
    throw new InvalidArgumentError(`Invalid streamType ${JSON.stringify(streamType)}: use 1 to 200 characters.`);
  }
  if (!Array.isArray(events)) throw new InvalidArgumentError('events must be an array of { type, data }.');
  const limit = config.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const seen = new Set<string>();
  const prepared = (events as readonly NewEvent[]).map((event) => {
    const p = prepareEvent(event, config.catalog, limit);
    if (seen.has(p.id)) throw new InvalidArgumentError(`Event id ${p.id} appears twice in one append.`);
    seen.add(p.id);
    return p;
  });
  return { streamId, streamType, expectedVersion, events: prepared };
}

function prepareEvent(event: NewEvent, catalog: AppendValidator | undefined, limit: number): PreparedEvent {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidArgumentError('Each event must be an object { type, data, metadata?, id? }.');
  }
  const { type } = event;
  if (typeof type !== 'string' || type.length === 0 || type.length > 200) {
    throw new EventValidationError(String(type), [{ path: 'type', message: 'must be a string of 1 to 200 characters' }]);
  }
  // A generated id is a valid lower-case UUID already; only a caller's id needs the check.
  const given: unknown = event.id;
  const id = given === undefined || given === null ? newEventId() : callersEventId(given, type);
  let data = event.data;
  let metadata: EventMetadata = event.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new EventValidationError(type, [{ path: 'metadata', message: 'must be an object' }]);
  }
  if (catalog !== undefined) {
    const validated = catalog.validateNew(type, data);
    data = validated.data;
    metadata = { ...metadata, schemaVersion: validated.schemaVersion };
  }
  const dataJson = toJson(type, 'data', data);
  const metadataJson = toJson(type, 'metadata', metadata);
  // A UTF-16 code unit takes at most 3 bytes in UTF-8: only a text that might be over the limit is
  // measured exactly.
  if ((dataJson.length + metadataJson.length) * 3 > limit) {
    const size = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
    if (size > limit) throw new EventTooLargeError(type, size, limit);
  }
  // Parse back so the stored value is exactly what JSON keeps (no undefined keys, no Dates).
  return { id, type, data: JSON.parse(dataJson), metadata: JSON.parse(metadataJson) as EventMetadata, dataJson, metadataJson };
}

function callersEventId(id: unknown, type: string): string {
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw new InvalidArgumentError(`Event id ${JSON.stringify(id)} of "${type}" is not a UUID.`);
  }
  return id.toLowerCase();
}

function toJson(type: string, field: 'data' | 'metadata', value: unknown): string {
  if (value === undefined) {
    throw new EventValidationError(type, [{ path: field, message: 'is undefined; use null or an object' }]);
  }
  let json: string | undefined;
  try {
    // The plain stringify is native and fast, and throws on BigInt and cycles itself. It writes
    // NaN and Infinity as null, so only a text with a null in it needs the slower checking pass.
    json = JSON.stringify(value);
    if (json?.includes('null') === true) json = JSON.stringify(value, rejectUnserialisable);
  } catch (error) {
    const cause = whyUnserialisable(value) ?? error;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new EventValidationError(type, [{ path: field, message: `is not JSON-serialisable (${message})` }], { cause });
  }
  if (json === undefined) {
    throw new EventValidationError(type, [{ path: field, message: 'is not JSON-serialisable (a function or symbol)' }]);
  }
  if (json.includes('\\u0000')) {
    // PostgreSQL jsonb cannot hold NUL characters; refuse them in every store alike.
    throw new EventValidationError(type, [{ path: field, message: 'contains a NUL character (\\u0000), which jsonb cannot store' }]);
  }
  return json;
}

/** The checking pass's error, which names the key (the plain stringify's does not). */
function whyUnserialisable(value: unknown): unknown {
  try {
    JSON.stringify(value, rejectUnserialisable);
    return undefined;
  } catch (error) {
    return error;
  }
}

function rejectUnserialisable(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') throw new TypeError(`BigInt at "${key}"`);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`non-finite number at "${key}"`);
  return value;
}
