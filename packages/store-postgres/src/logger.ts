/**
 * The subset of a pino logger eventfold uses: `logger.info({ ...fields }, 'message')`. Pass a pino
 * instance (or a child) to see the store's structured logs; the default logs nothing.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const ignore = (): void => undefined;

/** Discards everything: the default logger. */
export const silentLogger: Logger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });
