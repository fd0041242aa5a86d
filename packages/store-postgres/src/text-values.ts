import { EventValidationError } from '@eventfold/shared-schema';
import { InvalidArgumentError, InvalidStreamIdError, assertValidStreamId, type PreparedAppend } from '@eventfold/core';

const NUL = '\u0000';

/**
 * Core's stream id rules, plus PostgreSQL's: `text` cannot hold a NUL character, so such an id is
 * refused here with a typed error instead of failing inside the database.
 */
export function assertStorableStreamId(streamId: unknown): asserts streamId is string {
  assertValidStreamId(streamId);
  if (streamId.includes(NUL)) throw new InvalidStreamIdError(streamId, 'it contains a NUL character, which PostgreSQL text cannot store');
}

/** The text fields of a prepared append that core does not check for NUL characters. */
export function assertStorableAppend(prepared: PreparedAppend): void {
  assertStorableStreamId(prepared.streamId);
  if (prepared.streamType.includes(NUL)) {
    throw new InvalidArgumentError(`Invalid streamType ${JSON.stringify(prepared.streamType)}: it contains a NUL character.`);
  }
  for (const event of prepared.events) {
    if (event.type.includes(NUL)) {
      throw new EventValidationError(event.type, [{ path: 'type', message: 'contains a NUL character, which PostgreSQL text cannot store' }]);
    }
  }
}

/** A name (checkpoint, ...) PostgreSQL text can store. */
export function hasNul(value: string): boolean {
  return value.includes(NUL);
}
