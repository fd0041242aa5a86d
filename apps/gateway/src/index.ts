// Programmatic entry points of the gateway (it is an app, not a published package: these are for
// tests, scripts and anyone embedding it). See README.md, "Programmatic use".
export { loadConfig, ConfigError, isConfigError } from './config';
export type { GatewayConfig } from './config';
export { createLogger } from './logger';
export { startGateway, assembleGateway } from './server';
export type { AssembledGateway, RunningGateway } from './server';
export { openRuntime, migrateAll, RELAY_NAME } from './runtime';
export type { GatewayRuntime, OpenRuntimeOptions } from './runtime';
export { buildHttpApp, BODY_LIMIT_BYTES } from './http/app';
export type { HttpAppOptions } from './http/app';
export { toProblem, PROBLEM_BASE } from './http/problem';
export type { Problem, ProblemResponse } from './http/problem';
export { main } from './cli-main';
export type { CliEnvironment } from './cli-main';
export { openDatabase, pgliteDatabase, EmbeddedDatabaseLockedError, isEmbeddedDatabaseLockedError } from './db/database';
export type { GatewayDatabase, OpenedDatabase, OpenDatabaseOptions } from './db/database';
export type { ReservationService } from './application/reservation-service';
export {
  GatewayError,
  RoomUnavailableError,
  ReservationNotFoundError,
  VersionMismatchError,
  VersionNotFoundError,
  NotYetCreatedError,
  IdempotencyKeyReusedError,
  InvalidCursorError,
  RetriesExhaustedError,
  UnknownProjectionError,
  isRoomUnavailableError,
  isReservationNotFoundError,
  isVersionMismatchError,
  isVersionNotFoundError,
  isNotYetCreatedError,
  isIdempotencyKeyReusedError,
  isInvalidCursorError,
  isRetriesExhaustedError,
  isUnknownProjectionError,
} from './errors';
