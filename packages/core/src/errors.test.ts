import { describe, expect, it } from 'vitest';
import {
  CommandValidationError,
  ConcurrencyError,
  DomainError,
  DuplicateEventIdError,
  EventTooLargeError,
  HandlerNotFoundError,
  InvalidArgumentError,
  InvalidExpectedVersionError,
  InvalidStreamIdError,
  QueryValidationError,
  StreamNotFoundError,
  isCommandValidationError,
  isConcurrencyError,
  isDomainError,
  isDuplicateEventIdError,
  isEventTooLargeError,
  isHandlerNotFoundError,
  isInvalidArgumentError,
  isInvalidExpectedVersionError,
  isInvalidStreamIdError,
  isQueryValidationError,
  isStreamNotFoundError,
} from './errors';

const cases: [Error & { code: string }, (e: unknown) => boolean, string, RegExp][] = [
  [new ConcurrencyError('s-1', 2, 3), isConcurrencyError, 'EVENTFOLD_CONCURRENCY', /"s-1": expected version 2, actual 3\. Reload/],
  [new StreamNotFoundError('s-1'), isStreamNotFoundError, 'EVENTFOLD_STREAM_NOT_FOUND', /"s-1" does not exist\. Check the id/],
  [new InvalidStreamIdError('', 'it is empty'), isInvalidStreamIdError, 'EVENTFOLD_INVALID_STREAM_ID', /Invalid stream id "": it is empty/],
  [new InvalidExpectedVersionError(-1), isInvalidExpectedVersionError, 'EVENTFOLD_INVALID_EXPECTED_VERSION', /-1: use a non-negative/],
  [new EventTooLargeError('Big', 20, 10), isEventTooLargeError, 'EVENTFOLD_EVENT_TOO_LARGE', /"Big" is 20 bytes .* limit of 10 bytes/],
  [new DuplicateEventIdError('e-1', 's-1'), isDuplicateEventIdError, 'EVENTFOLD_DUPLICATE_EVENT_ID', /e-1 is already used .* "s-1"/],
  [new InvalidArgumentError('bad limit'), isInvalidArgumentError, 'EVENTFOLD_INVALID_ARGUMENT', /bad limit/],
  [new DomainError('R', 'refused'), isDomainError, 'EVENTFOLD_DOMAIN', /refused/],
  [
    new CommandValidationError('Book', [{ path: 'nights', message: 'too big' }, { path: '', message: 'bad' }]),
    isCommandValidationError,
    'EVENTFOLD_COMMAND_VALIDATION',
    /Invalid command "Book": nights: too big; \(root\): bad\. Fix the input/,
  ],
  [new QueryValidationError('Find', [{ path: 'id', message: 'x' }]), isQueryValidationError, 'EVENTFOLD_QUERY_VALIDATION', /"Find": id: x/],
  [new HandlerNotFoundError('command', 'Book', []), isHandlerNotFoundError, 'EVENTFOLD_HANDLER_NOT_FOUND', /"Book" \(registered: none\)/],
];

describe('errors', () => {
  it.each(cases)('%s has a stable code, a guard and a message with the values', (error, guard, code, message) => {
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(error.constructor.name);
    expect(error.message).toMatch(message);
    expect(guard(error)).toBe(true);
    // A copy from another installed package version is recognised by its code alone.
    expect(guard({ code })).toBe(true);
    expect(guard(new Error(code))).toBe(false);
    expect(guard(null)).toBe(false);
  });

  it('no two errors share a code', () => {
    expect(new Set(cases.map(([, , code]) => code)).size).toBe(cases.length);
  });

  it('DomainError keeps its reason and details', () => {
    const error = new DomainError('RESERVATION_CANCELLED', 'Cancelled.', { reservationId: 'r-1' });
    expect([error.reason, error.details]).toEqual(['RESERVATION_CANCELLED', { reservationId: 'r-1' }]);
    expect(new DomainError('R', 'm').details).toEqual({});
  });
});
