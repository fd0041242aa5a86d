// The physical limit for W5: the same message bodies and properties published with plain amqplib
// on a confirm channel, `inFlight` unconfirmed at most, no event store and no checkpoint.
import amqp from 'amqplib';
import type { OutgoingMessage } from '../src/message';

export interface RawPublishResult {
  readonly messages: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
}

export async function measureRawConfirmPublish(options: {
  readonly amqpUrl: string;
  readonly exchange: string;
  readonly messages: readonly OutgoingMessage[];
  readonly inFlight: number;
}): Promise<RawPublishResult> {
  const connection = await amqp.connect(options.amqpUrl, { clientProperties: { connection_name: 'eventfold-bench-raw' } });
  try {
    const channel = await connection.createConfirmChannel();
    let unconfirmed = 0;
    let writable = true;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    channel.on('drain', () => {
      writable = true;
      notify();
    });
    let failure: unknown;
    const started = performance.now();
    for (const message of options.messages) {
      while ((unconfirmed >= options.inFlight || !writable) && failure === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (failure !== undefined) throw failure instanceof Error ? failure : new Error('publish failed');
      unconfirmed += 1;
      writable = channel.publish(options.exchange, message.routingKey, message.content, message.options, (error: unknown) => {
        if (error !== null && error !== undefined) failure = error;
        unconfirmed -= 1;
        notify();
      });
    }
    await channel.waitForConfirms();
    const seconds = (performance.now() - started) / 1000;
    return { messages: options.messages.length, seconds, eventsPerSec: Math.round(options.messages.length / seconds) };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
