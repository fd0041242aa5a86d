import {
  isConcurrencyError,
  isDomainError,
  isEventTooLargeError,
  isEventValidationError,
  isInvalidArgumentError,
  isInvalidStreamIdError,
} from '@eventfold/core';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  isIdempotencyKeyReusedError,
  isInvalidCursorError,
  isNotYetCreatedError,
  isReservationNotFoundError,
  isRetriesExhaustedError,
  isRoomUnavailableError,
  isVersionMismatchError,
  isVersionNotFoundError,
} from '../errors';

/** Base of every problem `type` URI; the last segment is the stable, documented error kind. */
export const PROBLEM_BASE = 'https://eventfold.dev/problems/';

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** An RFC 9457 problem document. Extension members are flat, next to the standard ones. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [extension: string]: unknown;
}

export function problem(
  kind: string,
  status: number,
  title: string,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return { type: `${PROBLEM_BASE}${kind}`, title, status, detail, ...extensions };
}

export function validationProblem(part: string, issues: readonly FieldIssue[]): Problem {
  const paths = issues.map((issue) => issue.path).join(', ');
  return problem('validation-error', 400, 'Request validation failed', `Invalid ${part}: fix ${paths} and resend.`, {
    errors: issues,
  });
}

/** Headers that carry extra information with a problem (Allow on 405, ...). */
export interface ProblemResponse {
  readonly problem: Problem;
  readonly headers?: Readonly<Record<string, string>>;
  /** True when the error is the server's fault and deserves an error-level log with its stack. */
  readonly serverFault?: boolean;
}

const FRAMEWORK_4XX: Readonly<Record<number, { kind: string; title: string; hint?: string }>> = {
  400: { kind: 'malformed-request', title: 'Malformed request', hint: 'Send a JSON body and a well-formed URL.' },
  404: { kind: 'not-found', title: 'Not found' },
  405: { kind: 'method-not-allowed', title: 'Method not allowed' },
  406: { kind: 'not-acceptable', title: 'Not acceptable' },
  408: { kind: 'request-timeout', title: 'Request timeout' },
  411: { kind: 'length-required', title: 'Length required' },
  413: { kind: 'request-too-large', title: 'Request body too large', hint: 'Request bodies are limited to 64 KiB.' },
  414: { kind: 'uri-too-long', title: 'URI too long', hint: 'Path parameters are limited to 200 characters.' },
  415: {
    kind: 'unsupported-media-type',
    title: 'Unsupported media type',
    hint: 'Send the body as JSON with Content-Type: application/json.',
  },
  431: { kind: 'headers-too-large', title: 'Request headers too large' },
};

/** Errors from the database driver that mean "the database is not there right now". */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth += 1) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|PGlite is closed/i.test(message)) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The error to answer with: the first in the cause chain that eventfold or the gateway raised on
 * purpose (a projection handler error wraps the handler's `RoomUnavailableError`, Drizzle wraps
 * driver errors), else the error itself.
 */
function meaningfulError(error: unknown): unknown {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 6; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(GATEWAY|EVENTFOLD)_/.test(code) && code !== 'EVENTFOLD_PROJECTION_HANDLER') return e;
    e = (e as { cause?: unknown }).cause;
  }
  return error;
}

function kebab(reason: string): string {
  return reason
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
}

function frameworkStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * Maps any thrown value to the problem the client gets. Never leaks a stack trace: unknown errors
 * become a generic 500 with the correlation id, and the details go to the log.
 */
export function toProblem(thrown: unknown): ProblemResponse {
  const error = meaningfulError(thrown);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = (error as { validationContext?: string }).validationContext ?? 'request';
    return {
      problem: validationProblem(
        part,
        error.validation.map((issue) => ({
          path: [part, ...issue.instancePath.split('/').filter((segment) => segment !== '')].join('.'),
          message: issue.message ?? 'is invalid',
        })),
      ),
    };
  }
  if (isRoomUnavailableError(error)) {
    return {
      problem: problem('room-unavailable', 409, 'Room unavailable', error.message, {
        roomId: error.roomId,
        checkIn: error.checkIn,
        nights: error.nights,
      }),
    };
  }
  if (isReservationNotFoundError(error)) {
    return {
      problem: problem('reservation-not-found', 404, 'Reservation not found', error.message, {
        reservationId: error.reservationId,
      }),
    };
  }
  if (isVersionMismatchError(error)) {
    return {
      problem: problem('precondition-failed', 412, 'Precondition failed', error.message, {
        reservationId: error.reservationId,
        expectedVersion: error.expectedVersion,
        actualVersion: error.actualVersion,
      }),
      headers: { etag: `"${error.actualVersion}"` },
    };
  }
  if (isVersionNotFoundError(error)) {
    return {
      problem: problem('version-not-found', 404, 'Version not found', error.message, {
        reservationId: error.reservationId,
        requestedVersion: error.requestedVersion,
        currentVersion: error.currentVersion,
      }),
    };
  }
  if (isNotYetCreatedError(error)) {
    return {
      problem: problem('not-yet-created', 404, 'Reservation did not exist yet', error.message, {
        reservationId: error.reservationId,
        asOf: error.asOf.toISOString(),
      }),
    };
  }
  if (isInvalidCursorError(error)) {
    return { problem: validationProblem('querystring', [{ path: 'querystring.cursor', message: error.message }]) };
  }
  if (isIdempotencyKeyReusedError(error)) {
    return { problem: problem('idempotency-key-reused', 422, 'Idempotency-Key reused', error.message) };
  }
  if (isRetriesExhaustedError(error) || isConcurrencyError(error)) {
    return {
      problem: problem('concurrency-conflict', 409, 'Concurrent modification', error.message),
      headers: { 'retry-after': '1' },
    };
  }
  if (isDomainError(error)) {
    if (error.reason === 'RESERVATION_NOT_FOUND') {
      return { problem: problem('reservation-not-found', 404, 'Reservation not found', error.message, { ...error.details }) };
    }
    return {
      problem: problem(kebab(error.reason), 409, 'Business rule violated', error.message, {
        reason: error.reason,
        ...error.details,
      }),
    };
  }
  if (isEventValidationError(error)) {
    return {
      problem: validationProblem(
        'body',
        error.issues.map((issue) => ({ path: issue.path === '' ? 'body' : `body.${issue.path}`, message: issue.message })),
      ),
    };
  }
  if (isEventTooLargeError(error)) {
    return { problem: problem('request-too-large', 413, 'Request body too large', error.message) };
  }
  if (isInvalidStreamIdError(error) || isInvalidArgumentError(error)) {
    return { problem: problem('malformed-request', 400, 'Malformed request', error.message) };
  }
  if (isDatabaseUnavailable(error) || isDatabaseUnavailable(thrown)) {
    return {
      problem: problem('service-unavailable', 503, 'Service unavailable', 'The database is not reachable right now. Retry shortly.'),
      headers: { 'retry-after': '5' },
      serverFault: true,
    };
  }
  const status = frameworkStatus(error);
  if (status !== undefined) {
    const known = FRAMEWORK_4XX[status] ?? { kind: 'bad-request', title: 'Bad request' };
    const message = error instanceof Error ? error.message : 'The request could not be processed.';
    const detail = known.hint === undefined ? message : `${message.replace(/\.?$/, '.')} ${known.hint}`;
    return { problem: problem(known.kind, status, known.title, detail) };
  }
  return {
    problem: problem(
      'internal-error',
      500,
      'Internal error',
      'The server failed to handle this request. Report the correlation id to the operators.',
    ),
    serverFault: true,
  };
}
