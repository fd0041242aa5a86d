/** Pino-compatible: `logger.info({ projection, position }, 'caught up')`. Pass a pino instance or a child. */
export interface ProjectorLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const ignore = (): void => undefined;

/** The default: logs nothing. */
export const silentLogger: ProjectorLogger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });

/** Error fields for a log line: name, code and message, never payloads. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const code = (error as { code?: unknown }).code;
  return { error: error.message, errorName: error.name, ...(typeof code === 'string' ? { errorCode: code } : {}) };
}
