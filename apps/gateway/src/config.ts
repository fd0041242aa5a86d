import { z } from 'zod';

/** Postgres identifiers that come from configuration: validated, then always quoted. */
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number between ${min} and ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const url = (protocols: readonly string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (e.g. ${example})` },
  );

const identifier = z
  .string()
  .regex(IDENTIFIER, { message: 'must be a lowercase Postgres identifier (letters, digits, _; max 63; not starting with a digit)' });

const boolean = z
  .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => ['true', '1', 'on', 'yes'].includes(value));

/** The environment variables the gateway reads, with their defaults. Empty strings count as unset. */
const EnvironmentSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/postgres').optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  AMQP_URL: url(['amqp:', 'amqps:'], 'amqp://guest:guest@127.0.0.1:5672').optional(),
  HOST: z.string().min(1).max(255).default('127.0.0.1'),
  PORT: integer(0, 65535).default(3000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  DB_POOL_SIZE: integer(1, 200).default(20),
  WORKERS: integer(1, 64).default(1),
  EVENT_STORE_SCHEMA: identifier.default('eventfold'),
  GATEWAY_SCHEMA: identifier.default('gateway'),
  RELAY_EXCHANGE: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,127}$/, { message: 'must be 1 to 127 letters, digits or _ . : -' })
    .default('domain_events'),
  RELAY_IN_SERVE: boolean.default(true),
  PROJECTOR_IN_SERVE: boolean.default(true),
  COALESCE_APPENDS: boolean.default(true),
  NOTIFY_INTERVAL_MS: integer(0, 60_000).default(25),
  PROJECTOR_BATCH_WINDOW_MS: integer(0, 60_000).default(100),
  SNAPSHOT_EVERY: integer(0, 100_000).default(50),
  IDEMPOTENCY_TTL_HOURS: integer(1, 24 * 365).default(24),
});

export interface GatewayConfig {
  /** PostgreSQL server; `undefined` = embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** RabbitMQ; `undefined` = relay off. */
  readonly amqpUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly dbPoolSize: number;
  /** HTTP worker processes of `serve` (node:cluster, sharing the port). Above 1 needs DATABASE_URL. */
  readonly workers: number;
  /** Postgres schema of the event store's tables. */
  readonly eventStoreSchema: string;
  /** Postgres schema of the read models and the gateway's own tables. */
  readonly gatewaySchema: string;
  readonly relayExchange: string;
  /** Run the relay inside `serve` (when AMQP_URL is set). `gateway relay` runs it on its own. */
  readonly relayInServe: boolean;
  /** Run the async projections inside `serve`. */
  readonly projectorInServe: boolean;
  /**
   * Merge concurrent appends into one statement and one commit (store-postgres `coalesce`): under
   * load, creates from many requests share a round trip. Each request still gets its own outcome.
   */
  readonly coalesceAppends: boolean;
  /**
   * The least time between two NOTIFYs after appends (store-postgres `notifyIntervalMs`): readers in
   * other processes (`gateway relay`, other workers) wake at most this much later. Readers in this
   * process wake at once.
   */
  readonly notifyIntervalMs: number;
  /**
   * Under steady traffic the async projections wait this long between live batches (projector
   * `batchWindowMs`): fewer reads and transactions per event, at most this much more lag.
   */
  readonly projectorBatchWindowMs: number;
  /** Take an aggregate snapshot every N events (0 = never). */
  readonly snapshotEvery: number;
  readonly idempotencyTtlHours: number;
}

/** The environment is wrong. `variable` names the first offending variable. */
export class ConfigError extends Error {
  readonly code = 'GATEWAY_CONFIG' as const;
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix the environment variable${problems.length > 1 ? 's' : ''} and start again.`);
  }
}

export const isConfigError = (error: unknown): error is ConfigError =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'GATEWAY_CONFIG';

const SECRET_VARIABLES = new Set(['DATABASE_URL', 'AMQP_URL']);

/** Reads and validates the configuration; throws {@link ConfigError} naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(EnvironmentSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const parsed = EnvironmentSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      // Never echo connection strings: they can hold passwords.
      const shown = SECRET_VARIABLES.has(variable) ? '' : ` (got ${JSON.stringify(input[variable] ?? '')})`;
      return `${variable} ${issue.message}${shown}`;
    });
    throw new ConfigError(String(parsed.error.issues[0]?.path[0] ?? '(environment)'), problems);
  }
  const e = parsed.data;
  if (e.WORKERS > 1 && e.DATABASE_URL === undefined) {
    throw new ConfigError('WORKERS', [
      `WORKERS=${e.WORKERS} needs DATABASE_URL: embedded PGlite can be used by one process only (set WORKERS=1, or point DATABASE_URL at a PostgreSQL server)`,
    ]);
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    amqpUrl: e.AMQP_URL,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    dbPoolSize: e.DB_POOL_SIZE,
    workers: e.WORKERS,
    eventStoreSchema: e.EVENT_STORE_SCHEMA,
    gatewaySchema: e.GATEWAY_SCHEMA,
    relayExchange: e.RELAY_EXCHANGE,
    relayInServe: e.RELAY_IN_SERVE,
    projectorInServe: e.PROJECTOR_IN_SERVE,
    coalesceAppends: e.COALESCE_APPENDS,
    notifyIntervalMs: e.NOTIFY_INTERVAL_MS,
    projectorBatchWindowMs: e.PROJECTOR_BATCH_WINDOW_MS,
    snapshotEvery: e.SNAPSHOT_EVERY,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
  };
}
