import { openDatabase } from '../db/database';
import { migrateAll } from '../runtime';
import type { CommandContext } from './context';

/** `gateway migrate`: creates or upgrades every table; safe to run while other processes do too. */
export async function migrateCommand({ config, logger, stderr }: CommandContext): Promise<number> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
    logger,
  });
  try {
    await migrateAll(database.db, config, logger);
    stderr.write(`migrations applied (${database.kind === 'pglite' ? database.location : 'PostgreSQL'})\n`);
    return 0;
  } finally {
    await database.close();
  }
}
