import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';

/** A connection with one confirm channel, and a promise that settles when either goes away. */
export interface AmqpLink {
  readonly connection: ChannelModel;
  readonly channel: ConfirmChannel;
  /** Resolves with the reason once the connection or the channel closed or failed. Never rejects. */
  readonly lost: Promise<Error>;
  /** Closes the connection; never throws (it may already be gone). */
  close(): Promise<void>;
}

export interface OpenLinkOptions {
  /** Shown by RabbitMQ as the connection's name (`rabbitmqctl list_connections client_properties`). */
  readonly connectionName: string;
  /** Passed to amqplib's `connect` (TLS options, timeouts, ...). */
  readonly socketOptions?: Record<string, unknown> | undefined;
  /** Called when the broker blocks or unblocks publishing (a memory or disk alarm). */
  readonly onBlocked?: ((blocked: boolean, reason?: string) => void) | undefined;
}

export async function openLink(url: string, options: OpenLinkOptions): Promise<AmqpLink> {
  const connection = await amqp.connect(url, {
    ...options.socketOptions,
    clientProperties: { connection_name: options.connectionName },
  });
  let reportLoss: (reason: Error) => void = () => undefined;
  const lost = new Promise<Error>((resolve) => {
    reportLoss = resolve;
  });
  const onError = (error: unknown): void => reportLoss(toError(error, 'connection error'));
  connection.on('error', onError);
  connection.on('close', (error: unknown) => reportLoss(toError(error, 'connection closed')));
  connection.on('blocked', (reason: unknown) => options.onBlocked?.(true, String(reason)));
  connection.on('unblocked', () => options.onBlocked?.(false));
  let channel: ConfirmChannel;
  try {
    channel = await connection.createConfirmChannel();
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  channel.on('error', onError);
  // When the connection drops, its channels close first; defer so the connection's reason wins.
  channel.on('close', () => setImmediate(() => reportLoss(new Error('channel closed'))));
  return {
    connection,
    channel,
    lost,
    async close() {
      reportLoss(new Error('closed by this process'));
      await connection.close().catch(() => undefined);
    },
  };
}

function toError(value: unknown, fallback: string): Error {
  if (value instanceof Error) return value;
  if (value === undefined) return new Error(fallback);
  return new Error(`${fallback}: ${typeof value === 'string' ? value : Object.prototype.toString.call(value)}`);
}
