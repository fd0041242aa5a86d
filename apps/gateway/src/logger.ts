import pino, { type DestinationStream, type Logger } from 'pino';
import type { GatewayConfig } from './config';

/**
 * The gateway's pino logger: JSON, one object per line, on stdout (or `destination`). Secrets are
 * never passed to it; the redaction below is a second line of defence for anything that slips in.
 */
export function createLogger(
  config: Pick<GatewayConfig, 'logLevel'>,
  destination?: DestinationStream,
): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'eventfold-gateway', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['databaseUrl', 'amqpUrl', 'password', '*.password', 'headers.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export type { Logger };
