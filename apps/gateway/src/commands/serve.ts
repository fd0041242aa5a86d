import cluster from 'node:cluster';
import { startGateway, type RunningGateway } from '../server';
import { untilAborted, type CommandContext } from './context';

/** What a worker tells the primary once it listens. */
interface ListeningMessage {
  readonly type: 'gateway-listening';
  readonly url: string;
}

const isListeningMessage = (message: unknown): message is ListeningMessage =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'gateway-listening';

function banner(url: string, gateway: Pick<RunningGateway, 'runtime' | 'relay'> | undefined, context: CommandContext): string {
  const { config } = context;
  const workers = gateway === undefined ? config.workers : 1;
  const database =
    gateway?.runtime.database.kind === 'pglite' ? `embedded PGlite in ${gateway.runtime.database.location}` : 'PostgreSQL';
  const relay =
    config.amqpUrl === undefined ? 'off' : !config.relayInServe ? 'separate (gateway relay)' : workers > 1 ? 'on, one active across workers' : 'on';
  return (
    `\neventfold gateway listening on ${url}  (API docs: ${url}/docs, database: ${database}, relay: ${relay}` +
    `${workers > 1 ? `, ${workers} workers` : ''})\n\n`
  );
}

/**
 * `gateway serve`: runs until SIGINT/SIGTERM, then stops gracefully. With WORKERS > 1 this process
 * forks that many workers sharing the port (node:cluster); the projector and relay leases keep one
 * active runner each across them.
 */
export async function serveCommand(context: CommandContext): Promise<number> {
  const { config } = context;
  if (config.workers > 1 && cluster.isPrimary) return servePrimary(context);
  return serveOne(context);
}

async function serveOne(context: CommandContext): Promise<number> {
  const { config, logger, stderr, signal } = context;
  const gateway = await startGateway(config, logger);
  if (cluster.isWorker) {
    process.send?.({ type: 'gateway-listening', url: gateway.url } satisfies ListeningMessage);
  } else {
    // The human-readable line goes to stderr so stdout stays one JSON log object per line.
    stderr.write(banner(gateway.url, gateway, context));
  }
  await untilAborted(signal);
  logger.info('shutting down');
  await gateway.stop();
  return 0;
}

async function servePrimary(context: CommandContext): Promise<number> {
  const { config, logger, stderr, signal } = context;
  const workers = Array.from({ length: config.workers }, () => cluster.fork());
  const exited = workers.map(
    (worker) => new Promise<number>((resolve) => worker.once('exit', (code: number | null) => resolve(code ?? 1))),
  );
  const listening = Promise.all(
    workers.map(
      (worker) =>
        new Promise<string>((resolve, reject) => {
          worker.on('message', (message: unknown) => {
            if (isListeningMessage(message)) resolve(message.url);
          });
          worker.once('exit', (code: number | null) => reject(new Error(`a worker exited with code ${String(code)} before listening`)));
        }),
    ),
  );
  try {
    const [url] = await Promise.race([listening, untilAborted(signal).then(() => [] as string[])]);
    if (url !== undefined) {
      logger.info({ url, workers: config.workers }, 'gateway workers listening');
      stderr.write(banner(url, undefined, context));
      await untilAborted(signal);
    }
  } catch (error) {
    logger.error({ err: error }, 'a gateway worker failed to start');
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(exited);
    return 1;
  }
  for (const worker of workers) if (worker.isConnected()) worker.kill('SIGTERM');
  const codes = await Promise.all(exited);
  return codes.every((code) => code === 0) ? 0 : 1;
}
