import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { ForwardNotRoutedError } from './errors';

export type Forward = (
  exchange: string,
  routingKey: string,
  message: ConsumeMessage,
  extraHeaders: Record<string, string | number>,
) => Promise<void>;

/**
 * Republishes consumed messages (for a retry, or to the dead-letter exchange) on a confirm channel,
 * `mandatory`: resolves once the broker confirmed the copy and routed it to a queue. A return comes
 * before its confirm, so an unroutable copy rejects with {@link ForwardNotRoutedError} instead of
 * letting the caller ack a message that went nowhere.
 */
export function createForwarder(channel: ConfirmChannel): Forward {
  const watched = new Map<string, { returned: boolean }>();
  const keyOf = (exchange: string, routingKey: string, messageId: unknown): string =>
    JSON.stringify([exchange, routingKey, typeof messageId === 'string' ? messageId : '']);
  channel.on('return', (returned: ConsumeMessage) => {
    const watch = watched.get(keyOf(returned.fields.exchange, returned.fields.routingKey, returned.properties.messageId));
    if (watch !== undefined) watch.returned = true;
  });
  return (exchange, routingKey, message, extraHeaders) => {
    const { properties } = message;
    const options: Options.Publish = {
      persistent: true,
      mandatory: true,
      headers: { ...(properties.headers ?? {}), ...extraHeaders },
    };
    for (const key of ['messageId', 'type', 'contentType', 'correlationId', 'timestamp', 'appId'] as const) {
      const value: unknown = properties[key];
      if (value !== undefined && value !== null) (options as Record<string, unknown>)[key] = value;
    }
    const messageId = typeof properties.messageId === 'string' ? properties.messageId : undefined;
    const key = keyOf(exchange, routingKey, messageId);
    const watch = { returned: false };
    watched.set(key, watch);
    return new Promise<void>((resolve, reject) => {
      const settle = (error: unknown): void => {
        if (watched.get(key) === watch) watched.delete(key);
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(`RabbitMQ did not confirm the publish to "${exchange}"`));
        } else if (watch.returned) {
          reject(new ForwardNotRoutedError(messageId, exchange, routingKey));
        } else {
          resolve();
        }
      };
      try {
        channel.publish(exchange, routingKey, message.content, options, settle);
      } catch (error) {
        settle(error);
      }
    });
  };
}
