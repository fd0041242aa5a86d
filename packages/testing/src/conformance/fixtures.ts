import { randomUUID } from 'node:crypto';
import {
  EventValidationError,
  START,
  type AppendValidator,
  type EventStore,
  type GlobalCheckpoint,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
} from '@eventfold/core';
import { expect } from 'vitest';

/** What an adapter's `makeStore` receives: the store configuration a case needs. */
export interface ConformanceStoreConfig {
  readonly catalog?: AppendValidator;
  readonly maxEventBytes?: number;
}

export type MakeEventStore = (config: ConformanceStoreConfig) => Promise<EventStore> | EventStore;

/** The byte limit the size cases configure, small so a test needs no megabyte payloads. */
export const CONFORMANCE_MAX_EVENT_BYTES = 1024;
/** The schema version the conformance catalog records for `ItemAdded`. */
export const ITEM_ADDED_SCHEMA_VERSION = 3;

/**
 * A unique stream type for one test. Reading the feed filtered by it sees only that test's events,
 * whatever else the store already holds.
 */
export function uniqueStreamType(): string {
  return `t${randomUUID().replaceAll('-', '')}`;
}

/** A fresh stream id `<type>-<uuid>`: its default stream type is `type`. */
export function newStreamId(type: string = uniqueStreamType()): string {
  return `${type}-${randomUUID()}`;
}

export function newEvent(type = 'Tested', data: unknown = { n: 1 }, extra: Partial<NewEvent> = {}): NewEvent {
  return { type, data, ...extra };
}

export function numberedEvents(count: number, type = 'Tested'): NewEvent[] {
  return Array.from({ length: count }, (_, index) => newEvent(type, { n: index + 1 }));
}

/** Reads a stream completely; a store that throws synchronously or on iteration both reject. */
export async function readStream(
  store: EventStore,
  streamId: string,
  options?: ReadStreamOptions,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId, options)) events.push(event);
  return events;
}

/** The error `run` rejects (or throws) with; fails the test when it succeeds. */
export async function rejectionOf(run: () => unknown): Promise<Record<string, unknown>> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Record<string, unknown>;
  }
  return expect.unreachable('expected a rejection, but the call succeeded');
}

export interface FeedRead {
  readonly events: RecordedEvent[];
  readonly checkpoint: GlobalCheckpoint;
  readonly pages: number;
}

/** Pages `readAll` from `after` until a page is not cut by its limit. */
export async function readFeedToEnd(
  store: EventStore,
  after: GlobalCheckpoint = START,
  options: Omit<ReadAllOptions, 'after'> = {},
): Promise<FeedRead> {
  const events: RecordedEvent[] = [];
  let checkpoint = after;
  let pages = 0;
  for (;;) {
    const page = await store.readAll({ ...options, after: checkpoint });
    pages += 1;
    events.push(...page.events);
    checkpoint = page.checkpoint;
    if (!page.hasMore) return { events, checkpoint, pages };
    if (pages > 100_000) return expect.unreachable('readAll reported hasMore for more than 100,000 pages');
  }
}

/**
 * The checkpoint at the end of each store's feed, remembered between tests so each test pages
 * only over what was appended since (the store need not be empty when the suite starts).
 */
export class FeedHeads {
  readonly #heads = new WeakMap<EventStore, GlobalCheckpoint>();

  async headOf(store: EventStore): Promise<GlobalCheckpoint> {
    const { checkpoint } = await readFeedToEnd(store, this.#heads.get(store) ?? START, { limit: 1000 });
    this.#heads.set(store, checkpoint);
    return checkpoint;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type Settled<T> = { readonly settled: true; readonly value: T } | { readonly settled: false };

/**
 * Waits at most `ms` for `promise`. Rejections pass through. Used where a store may legitimately
 * hold a call back (PGlite runs one query at a time, so a read waits for an open transaction).
 */
export async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value): Settled<T> => ({ settled: true, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the wall clock has moved past `instant`, so the next append gets a later time. */
export async function waitUntilAfter(instant: Date): Promise<void> {
  while (Date.now() <= instant.getTime() + 1) await sleep(2);
}

/**
 * A small event catalog for the catalog cases, so the suite needs no real domain:
 * - `ItemAdded` (schema version 3): `{ item: { sku: non-empty string, quantity: integer >= 1 }, currency?: string }`,
 *   stored with `currency` defaulted to `'EUR'`;
 * - `ItemRemoved` (schema version 1): `{ sku: non-empty string }`.
 * Other types are unknown. Failures throw `EventValidationError` naming each field path.
 */
export function createConformanceCatalog(): AppendValidator {
  return {
    validateNew(type: string, data: unknown) {
      if (type === 'ItemAdded') return { data: validateItemAdded(data), schemaVersion: ITEM_ADDED_SCHEMA_VERSION };
      if (type === 'ItemRemoved') {
        const record = asRecord(type, data);
        if (!isNonEmptyString(record.sku)) throw invalid(type, 'sku', 'must be a non-empty string');
        return { data: { sku: record.sku }, schemaVersion: 1 };
      }
      throw new EventValidationError(type, [
        { path: 'type', message: `unknown event type "${type}"; this catalog knows ItemAdded and ItemRemoved` },
      ]);
    },
  };
}

function validateItemAdded(data: unknown): unknown {
  const type = 'ItemAdded';
  const record = asRecord(type, data);
  const item = asRecord(type, record.item, 'item');
  const issues: { path: string; message: string }[] = [];
  if (!isNonEmptyString(item.sku)) issues.push({ path: 'item.sku', message: 'must be a non-empty string' });
  if (typeof item.quantity !== 'number' || !Number.isInteger(item.quantity) || item.quantity < 1) {
    issues.push({ path: 'item.quantity', message: 'must be an integer >= 1' });
  }
  if (record.currency !== undefined && !isNonEmptyString(record.currency)) {
    issues.push({ path: 'currency', message: 'must be a non-empty string' });
  }
  if (issues.length > 0) throw new EventValidationError(type, issues);
  return { item: { sku: item.sku, quantity: item.quantity }, currency: record.currency ?? 'EUR' };
}

function asRecord(type: string, value: unknown, path = ''): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(type, path, 'must be an object');
  return value as Record<string, unknown>;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function invalid(type: string, path: string, message: string): EventValidationError {
  return new EventValidationError(type, [{ path, message }]);
}
