import { isUsageError, parseCommandLine, USAGE } from './cli-args';
import type { CommandOutput } from './commands/context';
import { migrateCommand } from './commands/migrate';
import { projectionsRebuildCommand, projectionsStatusCommand } from './commands/projections';
import { relayCommand } from './commands/relay';
import { seedCommand } from './commands/seed';
import { serveCommand } from './commands/serve';
import { isConfigError, loadConfig } from './config';
import { isEmbeddedDatabaseLockedError } from './db/database';
import { isUnknownProjectionError } from './errors';
import { createLogger } from './logger';

export interface CliEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: CommandOutput;
  readonly stderr: CommandOutput;
  /** Aborts long-running commands (the CLI wires SIGINT/SIGTERM to it). */
  readonly signal: AbortSignal;
}

/** Runs one `gateway` command line; resolves the process exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: readonly string[], io: CliEnvironment): Promise<number> {
  const { stdout, stderr } = io;
  let command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command.name === 'help') {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (!isConfigError(error)) throw error;
    stderr.write(`${error.message}\n`);
    return 1;
  }
  const logger = createLogger(config);
  const context = { config, logger, stdout, stderr, signal: io.signal };
  try {
    switch (command.name) {
      case 'serve':
        return await serveCommand(context);
      case 'migrate':
        return await migrateCommand(context);
      case 'relay':
        return await relayCommand(context);
      case 'projections-status':
        return await projectionsStatusCommand(context, command.json);
      case 'projections-rebuild':
        return await projectionsRebuildCommand(context, command.projection);
      case 'seed':
        return await seedCommand(context, command.reservations, command.rooms);
    }
  } catch (error) {
    if (isUnknownProjectionError(error)) {
      stderr.write(`${error.message}\n`);
      return 2;
    }
    if (isEmbeddedDatabaseLockedError(error)) {
      stderr.write(`${error.message}\n`);
      return 1;
    }
    logger.fatal({ err: error }, `gateway ${command.name} failed`);
    stderr.write(`gateway ${command.name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
