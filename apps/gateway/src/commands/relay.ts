import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';
import { openRuntime } from '../runtime';

const REPORT_EVERY_MS = 30_000;

/** `gateway relay`: the RabbitMQ relay as its own process (one active relay across processes). */
export async function relayCommand(config: GatewayConfig, logger: Logger): Promise<number> {
  if (config.amqpUrl === undefined) {
    process.stderr.write('gateway relay needs AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672).\n');
    return 1;
  }
  const runtime = await openRuntime(config, { logger, migrate: true });
  const relay = runtime.createRelay();
  if (relay === undefined) {
    await runtime.close();
    return 1;
  }
  relay.start();
  process.stderr.write(`relay running: publishing to exchange "${config.relayExchange}"; Ctrl-C to stop\n`);
  const report = setInterval(() => {
    const { state, publishedTotal, lagEvents, lagMs, reconnects, lastError } = relay.metrics();
    logger.info({ state, publishedTotal, lagEvents, lagMs, reconnects, lastError }, 'relay status');
  }, REPORT_EVERY_MS).unref();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(report);
  await relay.stop();
  await runtime.close();
  return 0;
}
