import { randomBytes } from 'node:crypto';
import { isCi, reportSkip } from './environment';

/**
 * The RabbitMQ URL for tests: `AMQP_URL`, checked by opening a connection. Resolves `undefined`
 * (after printing why) when it is not set; under `CI=true` it rejects instead, so a CI run never
 * silently skips broker tests. A set but unreachable `AMQP_URL` always rejects.
 */
export async function findRabbitMq(options: { readonly purpose?: string } = {}): Promise<string | undefined> {
  const url = process.env['AMQP_URL'];
  if (url === undefined || url === '') {
    const reason = `${options.purpose ?? 'this test'} needs RabbitMQ: set AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672)`;
    if (isCi()) throw new Error(`CI=true and ${reason}`);
    reportSkip(reason);
    return undefined;
  }
  const amqp = await import('amqplib');
  try {
    const connection = await amqp.connect(url);
    await connection.close();
  } catch (error) {
    throw new Error(`AMQP_URL is set but RabbitMQ is unreachable: ${String(error)}`, { cause: error });
  }
  return url;
}

/** A name unique to this test run, for exchanges, queues, schemas: `prefix_<12 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}
