import { isUsageError, parseCommandLine, USAGE } from './cli-args';
import { migrateCommand } from './commands/migrate';
import { projectionsRebuildCommand, projectionsStatusCommand } from './commands/projections';
import { relayCommand } from './commands/relay';
import { seedCommand } from './commands/seed';
import { serveCommand } from './commands/serve';
import { isConfigError, loadConfig } from './config';
import { isEmbeddedDatabaseLockedError } from './db/database';
import { isUnknownProjectionError } from './errors';
import { createLogger } from './logger';

/** Runs one CLI command; resolves the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command.name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!isConfigError(error)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const logger = createLogger(config);
  try {
    switch (command.name) {
      case 'serve':
        return await serveCommand(config, logger);
      case 'migrate':
        return await migrateCommand(config, logger);
      case 'relay':
        return await relayCommand(config, logger);
      case 'projections-status':
        return await projectionsStatusCommand(config, logger, command.json);
      case 'projections-rebuild':
        return await projectionsRebuildCommand(config, logger, command.projection);
      case 'seed':
        return await seedCommand(config, logger, command.reservations, command.rooms);
    }
  } catch (error) {
    if (isUnknownProjectionError(error)) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (isEmbeddedDatabaseLockedError(error)) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    logger.fatal({ err: error }, `gateway ${argv.join(' ')} failed`);
    process.stderr.write(`gateway ${command.name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
// Let pino flush, then leave even if a library keeps a handle open.
setImmediate(() => process.exit(exitCode));
