import {
  ConcurrencyError,
  DuplicateEventIdError,
  matchesExpectedVersion,
  type ExpectedVersion,
  type PreparedAppend,
} from '@eventfold/core';
import type { EventLog, StoredEvent, WriteView } from './event-log';
import { jsonEqual } from './json-equal';

export type AppendPlan =
  /** Every event id is already recorded at the same positions: return those, write nothing. */
  | { readonly kind: 'idempotent'; readonly events: readonly StoredEvent[]; readonly streamType: string }
  | { readonly kind: 'write'; readonly events: readonly StoredEvent[]; readonly streamType: string };

/**
 * Decides what a validated append does against `view`. Used event ids are checked before the
 * expected version, so an identical retry succeeds even when its expected version is now stale.
 * Throws ConcurrencyError or DuplicateEventIdError. Changes nothing but the position sequence,
 * which hands out positions for the new events like a database sequence would.
 */
export function planAppend(view: WriteView, log: EventLog, append: PreparedAppend, occurredAt: number): AppendPlan {
  const recorded = append.events.map((event) => view.eventById(event.id));
  if (recorded.some((event) => event !== undefined)) {
    const events = matchIdenticalRetry(append, recorded);
    return { kind: 'idempotent', events, streamType: events[0]?.streamType ?? append.streamType };
  }
  const stream = view.stream(append.streamId);
  const actual = stream?.version ?? 0;
  if (!matchesExpectedVersion(append.expectedVersion, actual)) {
    throw new ConcurrencyError(append.streamId, append.expectedVersion, actual);
  }
  // A stream keeps the type it was created with.
  const streamType = stream?.streamType ?? append.streamType;
  const events = append.events.map(
    (event, index): StoredEvent => ({
      id: event.id,
      streamId: append.streamId,
      streamType,
      version: actual + index + 1,
      globalPosition: log.nextPosition(),
      transactionId: 0,
      type: event.type,
      dataJson: event.dataJson,
      metadataJson: event.metadataJson,
      occurredAt,
    }),
  );
  return { kind: 'write', events, streamType };
}

/**
 * An append whose ids are already used is accepted only as an exact retry: the same stream, the
 * same consecutive versions its expected version points at, the same types and data.
 */
function matchIdenticalRetry(append: PreparedAppend, recorded: readonly (StoredEvent | undefined)[]): StoredEvent[] {
  const firstUsedId = append.events[recorded.findIndex((event) => event !== undefined)]?.id ?? '';
  const first = recorded[0];
  if (first === undefined || first.streamId !== append.streamId || !startsWhereExpected(append.expectedVersion, first.version)) {
    throw new DuplicateEventIdError(firstUsedId, append.streamId);
  }
  return append.events.map((event, index) => {
    const stored = recorded[index];
    const same =
      stored !== undefined &&
      stored.streamId === append.streamId &&
      stored.version === first.version + index &&
      stored.type === event.type &&
      jsonEqual(JSON.parse(stored.dataJson), event.data);
    if (!same) throw new DuplicateEventIdError(stored === undefined ? firstUsedId : event.id, append.streamId);
    return stored;
  });
}

function startsWhereExpected(expected: ExpectedVersion, firstVersion: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return firstVersion === 1;
    case 'stream_exists':
      return firstVersion > 1;
    default:
      return firstVersion === expected + 1;
  }
}
