import { ConcurrencyError, DomainError, EventTooLargeError, EventValidationError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import {
  IdempotencyKeyReusedError,
  InvalidCursorError,
  NotYetCreatedError,
  ReservationNotFoundError,
  RetriesExhaustedError,
  RoomUnavailableError,
  VersionMismatchError,
  VersionNotFoundError,
} from '../errors';
import { PROBLEM_BASE, toProblem } from './problem';

const kindOf = (error: unknown) => {
  const { problem } = toProblem(error);
  return [problem.status, problem.type.slice(PROBLEM_BASE.length)];
};

describe('toProblem', () => {
  it.each([
    [new RoomUnavailableError('r', '2027-01-01', 2), 409, 'room-unavailable'],
    [new ReservationNotFoundError('x'), 404, 'reservation-not-found'],
    [new VersionMismatchError('x', 1, 3), 412, 'precondition-failed'],
    [new VersionNotFoundError('x', 9, 3), 404, 'version-not-found'],
    [new NotYetCreatedError('x', new Date(0)), 404, 'not-yet-created'],
    [new IdempotencyKeyReusedError('k'), 422, 'idempotency-key-reused'],
    [new InvalidCursorError('c'), 400, 'validation-error'],
    [new RetriesExhaustedError('x', 4), 409, 'concurrency-conflict'],
    [new ConcurrencyError('s', 1, 2), 409, 'concurrency-conflict'],
    [new DomainError('RESERVATION_ALREADY_CONFIRMED', 'already confirmed'), 409, 'reservation-already-confirmed'],
    [new DomainError('RESERVATION_NOT_FOUND', 'missing'), 404, 'reservation-not-found'],
    [new EventTooLargeError('T', 2, 1), 413, 'request-too-large'],
    [new EventValidationError('T', [{ path: 'nights', message: 'bad' }]), 400, 'validation-error'],
    [Object.assign(new Error('Body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }), 413, 'request-too-large'],
    [Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), 415, 'unsupported-media-type'],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 503, 'service-unavailable'],
    [new TypeError('boom'), 500, 'internal-error'],
    ['a string', 500, 'internal-error'],
  ])('%s -> %i %s', (error, status, kind) => {
    expect(kindOf(error)).toEqual([status, kind]);
  });

  it('finds the meaningful error inside wrappers (projection handler, driver)', () => {
    const inner = new RoomUnavailableError('r', '2027-01-01', 1);
    const wrapped = Object.assign(new Error('Projection "reservations" v1 failed'), { code: 'EVENTFOLD_PROJECTION_HANDLER', cause: inner });
    expect(kindOf(wrapped)).toEqual([409, 'room-unavailable']);
    const driver = new Error('Failed query', { cause: Object.assign(new Error('terminating connection'), { code: '57P01' }) });
    expect(kindOf(driver)).toEqual([503, 'service-unavailable']);
  });

  it('never puts a stack or an internal message in an internal error', () => {
    const { problem, serverFault } = toProblem(new Error('secret internals at /srv/app.ts:12'));
    expect(serverFault).toBe(true);
    expect(JSON.stringify(problem)).not.toContain('secret');
    expect(JSON.stringify(problem)).not.toContain('app.ts');
  });

  it('lists field paths and adds headers where the protocol wants them', () => {
    const precondition = toProblem(new VersionMismatchError('x', 1, 3));
    expect(precondition.headers).toEqual({ etag: '"3"' });
    expect(precondition.problem).toMatchObject({ expectedVersion: 1, actualVersion: 3 });
    const validation = toProblem(new EventValidationError('T', [{ path: 'nights', message: 'too many' }])).problem;
    expect(validation['errors']).toEqual([{ path: 'body.nights', message: 'too many' }]);
  });
});
