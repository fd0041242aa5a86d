import { parseArgs } from 'node:util';
import { migrate } from './migrate';
import { DEFAULT_SCHEMA, assertValidSchemaName } from './schema-name';

const USAGE = `Usage: eventfold-pg migrate [--database-url <url>] [--schema <name>]

Creates or upgrades eventfold's tables and functions in a PostgreSQL schema. Idempotent; safe to
run from several processes at once.

  --database-url <url>  PostgreSQL connection string (default: $DATABASE_URL)
  --schema <name>       schema to migrate (default: ${DEFAULT_SCHEMA}); ^[a-z_][a-z0-9_]{0,62}$
  -h, --help            show this help`;

/** Runs the command line; resolves the process exit code. Output goes to `out` / `err`. */
export async function runCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'database-url': { type: 'string' },
        schema: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    err(`eventfold-pg: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    out(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'migrate') {
    err(`eventfold-pg: expected the command "migrate"${positionals.length > 0 ? `, got "${positionals.join(' ')}"` : ''}.\n\n${USAGE}`);
    return 2;
  }
  const url = values['database-url'] ?? env['DATABASE_URL'];
  if (url === undefined || url === '') {
    err('eventfold-pg: no database: pass --database-url <url> or set DATABASE_URL.');
    return 2;
  }
  const schema = values.schema ?? DEFAULT_SCHEMA;
  try {
    assertValidSchemaName(schema);
  } catch (error) {
    err(`eventfold-pg: ${(error as Error).message}`);
    return 2;
  }
  const [{ default: pg }, { drizzle }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')]);
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'eventfold-pg migrate' });
  try {
    const { applied } = await migrate(drizzle(pool), { schema });
    out(
      applied.length === 0
        ? `eventfold-pg: schema "${schema}" is up to date.`
        : `eventfold-pg: schema "${schema}": applied ${applied.join(', ')}.`,
    );
    return 0;
  } catch (error) {
    err(`eventfold-pg: migrating schema "${schema}" at ${redact(url)} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

// Run when executed (bin/eventfold-pg.js imports the built file; tests import runCli instead).
if (process.argv[1] !== undefined && /(?:^|[\\/])(?:cli\.(?:ts|js)|eventfold-pg(?:\.js)?)$/.test(process.argv[1])) {
  process.exitCode = await runCli(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`), (line) =>
    process.stderr.write(`${line}\n`),
  );
}
