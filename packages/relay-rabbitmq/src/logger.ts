/**
 * The logger the relay and the consumer write to: any pino logger fits (`pino()`,
 * `fastify.log`, `logger.child({ ... })`). Each call is one structured line: an object of
 * fields, then a message. Payloads and credentials are never logged.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const ignore = (): void => undefined;

/** The default logger: writes nothing. */
export const silentLogger: Logger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });

/** The URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** An error as log fields: its code and message, never a payload. */
export function errorFields(error: unknown): { err: { name: string; code?: string; message: string } } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      err: { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message.slice(0, 500) },
    };
  }
  return { err: { name: 'NonError', message: String(error).slice(0, 500) } };
}
