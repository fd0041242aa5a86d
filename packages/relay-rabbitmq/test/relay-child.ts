// A relay in its own process, for the kill test: the parent SIGKILLs it at random moments.
// Configured through the environment; prints one JSON line of metrics every 100 ms.
import { createRabbitRelay } from '../src/index';
import { openTestStore } from './postgres-store';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`relay-child needs ${name}`);
  return value;
};

const schema = env('RELAY_SCHEMA');
const test = await openTestStore(env('RELAY_DATABASE_URL'), { schema, poolSize: 4 });
const relay = createRabbitRelay({
  store: test.store,
  checkpoints: test.checkpoints,
  db: test.db,
  schema,
  amqpUrl: env('AMQP_URL'),
  exchange: env('RELAY_EXCHANGE'),
  name: env('RELAY_NAME'),
  batchSize: Number(env('RELAY_BATCH_SIZE')),
  maxInFlight: Number(env('RELAY_MAX_IN_FLIGHT')),
  leaseTtlMs: Number(env('RELAY_LEASE_TTL_MS')),
  pollIntervalMs: 200,
  reconnectBackoff: { initialMs: 20, maxMs: 200 },
});
relay.start();
const timer = setInterval(() => console.log(JSON.stringify(relay.metrics())), 100);

process.on('SIGTERM', () => {
  clearInterval(timer);
  void relay
    .stop()
    .then(() => test.close())
    .then(() => process.exit(0));
});
