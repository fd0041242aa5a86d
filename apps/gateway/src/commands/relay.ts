import { openRuntime } from '../runtime';
import { untilAborted, type CommandContext } from './context';

const REPORT_EVERY_MS = 30_000;

/** `gateway relay`: the RabbitMQ relay as its own process (one active relay across processes). */
export async function relayCommand({ config, logger, stderr, signal }: CommandContext): Promise<number> {
  if (config.amqpUrl === undefined) {
    stderr.write('gateway relay needs AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672).\n');
    return 1;
  }
  const runtime = await openRuntime(config, { logger, migrate: true });
  const relay = runtime.createRelay();
  if (relay === undefined) {
    await runtime.close();
    return 1;
  }
  relay.start();
  stderr.write(`relay running: publishing to exchange "${config.relayExchange}"; Ctrl-C to stop\n`);
  const report = setInterval(() => {
    const { state, publishedTotal, lagEvents, lagMs, reconnects, lastError } = relay.metrics();
    logger.info({ state, publishedTotal, lagEvents, lagMs, reconnects, lastError }, 'relay status');
  }, REPORT_EVERY_MS).unref();
  await untilAborted(signal);
  clearInterval(report);
  await relay.stop();
  await runtime.close();
  return 0;
}
