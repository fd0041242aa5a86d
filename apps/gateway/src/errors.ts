/**
 * Errors the gateway raises on purpose. Each has a stable `code` (check it, or use the guards,
 * rather than `instanceof`) and a message naming the values involved and what to do.
 */
export abstract class GatewayError extends Error {
  abstract readonly code: string;
}

const hasCode = (error: unknown, code: string): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;

/** Another active reservation already holds the room on one of the requested nights. */
export class RoomUnavailableError extends GatewayError {
  readonly code = 'GATEWAY_ROOM_UNAVAILABLE' as const;
  override readonly name = 'RoomUnavailableError';
  constructor(
    readonly roomId: string,
    readonly checkIn: string,
    readonly nights: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Room "${roomId}" is already booked on at least one of the ${nights} night(s) from ${checkIn}. ` +
        'Pick another room or other dates.',
      options,
    );
  }
}

/** No reservation has this id. */
export class ReservationNotFoundError extends GatewayError {
  readonly code = 'GATEWAY_RESERVATION_NOT_FOUND' as const;
  override readonly name = 'ReservationNotFoundError';
  constructor(readonly reservationId: string) {
    super(`Reservation ${reservationId} does not exist. Check the id, or list reservations with GET /reservations.`);
  }
}

/** The reservation is not at the version the client sent in If-Match. */
export class VersionMismatchError extends GatewayError {
  readonly code = 'GATEWAY_VERSION_MISMATCH' as const;
  override readonly name = 'VersionMismatchError';
  constructor(
    readonly reservationId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(
      `Reservation ${reservationId} is at version ${actualVersion}, not ${expectedVersion} as If-Match says. ` +
        'GET it again for the current state and ETag, then retry.',
    );
  }
}

/** The stream kept changing under the command; retries ran out. */
export class RetriesExhaustedError extends GatewayError {
  readonly code = 'GATEWAY_RETRIES_EXHAUSTED' as const;
  override readonly name = 'RetriesExhaustedError';
  constructor(
    readonly reservationId: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`Reservation ${reservationId} changed concurrently ${attempts} times in a row. Retry the request.`, options);
  }
}

/** An Idempotency-Key was reused with a different request. */
export class IdempotencyKeyReusedError extends GatewayError {
  readonly code = 'GATEWAY_IDEMPOTENCY_KEY_REUSED' as const;
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(readonly key: string) {
    super(
      `Idempotency-Key ${JSON.stringify(key)} was already used for a different request. ` +
        'Use a new key for a new request; resend the same body to get the first result back.',
    );
  }
}

/** `atVersion` asks for a version the reservation never had. */
export class VersionNotFoundError extends GatewayError {
  readonly code = 'GATEWAY_VERSION_NOT_FOUND' as const;
  override readonly name = 'VersionNotFoundError';
  constructor(
    readonly reservationId: string,
    readonly requestedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      `Reservation ${reservationId} has versions 1 to ${currentVersion}; version ${requestedVersion} does not exist.`,
    );
  }
}

/** `asOf` is before the reservation was created. */
export class NotYetCreatedError extends GatewayError {
  readonly code = 'GATEWAY_NOT_YET_CREATED' as const;
  override readonly name = 'NotYetCreatedError';
  constructor(
    readonly reservationId: string,
    readonly asOf: Date,
  ) {
    super(`Reservation ${reservationId} did not exist yet at ${asOf.toISOString()}.`);
  }
}

/** A projection name given to the CLI is not one the gateway defines. */
export class UnknownProjectionError extends GatewayError {
  readonly code = 'GATEWAY_UNKNOWN_PROJECTION' as const;
  override readonly name = 'UnknownProjectionError';
  constructor(
    readonly projection: string,
    readonly known: readonly string[],
  ) {
    super(`Unknown projection ${JSON.stringify(projection)}. Known projections: ${known.join(', ')}.`);
  }
}

export const isRoomUnavailableError = (e: unknown): e is RoomUnavailableError => hasCode(e, 'GATEWAY_ROOM_UNAVAILABLE');
export const isReservationNotFoundError = (e: unknown): e is ReservationNotFoundError =>
  hasCode(e, 'GATEWAY_RESERVATION_NOT_FOUND');
export const isVersionMismatchError = (e: unknown): e is VersionMismatchError => hasCode(e, 'GATEWAY_VERSION_MISMATCH');
export const isRetriesExhaustedError = (e: unknown): e is RetriesExhaustedError => hasCode(e, 'GATEWAY_RETRIES_EXHAUSTED');
export const isIdempotencyKeyReusedError = (e: unknown): e is IdempotencyKeyReusedError =>
  hasCode(e, 'GATEWAY_IDEMPOTENCY_KEY_REUSED');
export const isVersionNotFoundError = (e: unknown): e is VersionNotFoundError => hasCode(e, 'GATEWAY_VERSION_NOT_FOUND');
export const isNotYetCreatedError = (e: unknown): e is NotYetCreatedError => hasCode(e, 'GATEWAY_NOT_YET_CREATED');
export const isUnknownProjectionError = (e: unknown): e is UnknownProjectionError =>
  hasCode(e, 'GATEWAY_UNKNOWN_PROJECTION');

/** A list `cursor` is not one this API handed out. */
export class InvalidCursorError extends GatewayError {
  readonly code = 'GATEWAY_INVALID_CURSOR' as const;
  override readonly name = 'InvalidCursorError';
  constructor(readonly cursor: string) {
    super(`The cursor ${JSON.stringify(cursor.slice(0, 60))} is not valid. Pass the nextCursor of a previous page unchanged, or leave it out to start over.`);
  }
}

export const isInvalidCursorError = (e: unknown): e is InvalidCursorError => hasCode(e, 'GATEWAY_INVALID_CURSOR');

/** `error` or the first of its causes that passes `guard` (the projector and Drizzle wrap errors). */
export function findCause<T>(error: unknown, guard: (e: unknown) => e is T): T | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 6; depth += 1) {
    if (guard(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
