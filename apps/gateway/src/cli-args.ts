import { parseArgs } from 'node:util';

export type CliCommand =
  | { readonly name: 'serve' }
  | { readonly name: 'migrate' }
  | { readonly name: 'relay' }
  | { readonly name: 'projections-status'; readonly json: boolean }
  | { readonly name: 'projections-rebuild'; readonly projection: string }
  | { readonly name: 'seed'; readonly reservations: number; readonly rooms: number }
  | { readonly name: 'help' };

export const USAGE = `Usage: gateway <command> [options]

Commands:
  serve                              Start the HTTP API (prints its URL). Migrates first.
  migrate                            Create or upgrade the event store and gateway tables.
  relay                              Run the RabbitMQ relay on its own (needs AMQP_URL).
  projections status [--json]        Position, lag and state of every projection.
  projections rebuild <name>         Empty a projection and replay the event log into it, with a
                                     progress bar (count, rate, ETA). For a blue/green rebuild, raise
                                     the projection's version in code instead (see the README).
  seed --reservations N [--rooms R]  Create N demo reservations over R rooms (default 50).
  help                               This text.

Configuration comes from the environment: DATABASE_URL (unset: embedded PGlite in DATA_DIR,
default ./.data), AMQP_URL (unset: relay off), HOST (127.0.0.1), PORT (3000), LOG_LEVEL (info).
See apps/gateway/README.md for every variable.`;

/** The command line is wrong: print `message` and the usage, exit 2. */
export class UsageError extends Error {
  readonly code = 'GATEWAY_USAGE' as const;
  override readonly name = 'UsageError';
}

export const isUsageError = (e: unknown): e is UsageError =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'GATEWAY_USAGE';

function positiveInteger(flag: string, value: string | undefined, max: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(`--${flag} needs a whole number from 1 to ${max.toLocaleString('en-US')} (got ${JSON.stringify(value ?? '')}).`);
  }
  return Number(value);
}

/** Parses `argv` (without node and the script) into a command, or throws {@link UsageError}. */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        json: { type: 'boolean' },
        reservations: { type: 'string' },
        rooms: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined || command === 'help') return { name: 'help' };

  const noMore = (allowed: readonly string[]) => {
    const given = Object.entries(values)
      .filter(([, value]) => value !== undefined)
      .map(([key]) => key);
    const extra = given.filter((key) => !allowed.includes(key));
    if (extra.length > 0) throw new UsageError(`"${command}" does not take --${extra.join(', --')}.`);
  };

  switch (command) {
    case 'serve':
    case 'migrate':
    case 'relay':
      if (rest.length > 0) throw new UsageError(`"${command}" takes no arguments (got ${rest.join(' ')}).`);
      noMore([]);
      return { name: command };
    case 'projections': {
      const [sub, projection, ...more] = rest;
      if (sub === 'status') {
        if (projection !== undefined) throw new UsageError('"projections status" takes no arguments.');
        noMore(['json']);
        return { name: 'projections-status', json: values.json === true };
      }
      if (sub === 'rebuild') {
        if (projection === undefined || more.length > 0) {
          throw new UsageError('"projections rebuild" needs exactly one projection name, e.g. "projections rebuild room_occupancy".');
        }
        noMore([]);
        return { name: 'projections-rebuild', projection };
      }
      throw new UsageError(`"projections" needs "status" or "rebuild <name>" (got ${JSON.stringify(sub ?? '')}).`);
    }
    case 'seed':
      if (rest.length > 0) throw new UsageError(`"seed" takes options only (got ${rest.join(' ')}).`);
      noMore(['reservations', 'rooms']);
      return {
        name: 'seed',
        reservations: positiveInteger('reservations', values.reservations, 1_000_000),
        rooms: values.rooms === undefined ? 50 : positiveInteger('rooms', values.rooms, 100_000),
      };
    default:
      throw new UsageError(`Unknown command ${JSON.stringify(command)}.`);
  }
}
