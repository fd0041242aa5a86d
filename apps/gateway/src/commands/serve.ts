import { startGateway } from '../server';
import { untilAborted, type CommandContext } from './context';

/** `gateway serve`: runs until SIGINT/SIGTERM, then stops gracefully. */
export async function serveCommand({ config, logger, stderr, signal }: CommandContext): Promise<number> {
  const gateway = await startGateway(config, logger);
  // The human-readable line goes to stderr so stdout stays one JSON log object per line.
  stderr.write(
    `\neventfold gateway listening on ${gateway.url}  (API docs: ${gateway.url}/docs, ` +
      `database: ${gateway.runtime.database.kind === 'pglite' ? `embedded PGlite in ${gateway.runtime.database.location}` : 'PostgreSQL'}, ` +
      `relay: ${gateway.relay === undefined ? 'off' : 'on'})\n\n`,
  );
  await untilAborted(signal);
  logger.info('shutting down');
  await gateway.stop();
  return 0;
}
