import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';
import { startGateway } from '../server';

/** `gateway serve`: runs until SIGINT/SIGTERM, then stops gracefully. */
export async function serveCommand(config: GatewayConfig, logger: Logger): Promise<number> {
  const gateway = await startGateway(config, logger);
  // The human-readable line goes to stderr so stdout stays one JSON log object per line.
  process.stderr.write(
    `\neventfold gateway listening on ${gateway.url}  (API docs: ${gateway.url}/docs, ` +
      `database: ${gateway.runtime.database.kind === 'pglite' ? `embedded PGlite in ${gateway.runtime.database.location}` : 'PostgreSQL'}, ` +
      `relay: ${gateway.relay === undefined ? 'off' : 'on'})\n\n`,
  );
  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  await gateway.stop();
  return 0;
}
