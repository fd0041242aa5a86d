import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';
import { openDatabase } from '../db/database';
import { migrateAll } from '../runtime';

/** `gateway migrate`: creates or upgrades every table; safe to run while other processes do too. */
export async function migrateCommand(config: GatewayConfig, logger: Logger): Promise<number> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
    logger,
  });
  try {
    await migrateAll(database.db, config, logger);
    process.stderr.write(`migrations applied (${database.kind === 'pglite' ? database.location : 'PostgreSQL'})\n`);
    return 0;
  } finally {
    await database.close();
  }
}
