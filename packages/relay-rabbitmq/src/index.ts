export { createRabbitRelay } from './relay';
export type { RabbitRelay, RabbitRelayOptions, RelayLease, RelayMetrics, RelayState } from './relay';
export { createRabbitConsumer, routingKeyFor } from './consumer';
export type {
  RabbitConsumer,
  RabbitConsumerOptions,
  ConsumerCatalog,
  ConsumerContext,
  ConsumerHandler,
  ConsumerMetrics,
  ConsumerState,
} from './consumer';
export { migrateInbox, pruneInbox } from './inbox';
export type { InboxDatabase, InboxTableOptions, PruneInboxOptions, SqlExecutor } from './inbox';
export { MESSAGE_HEADERS, defaultRoutingKey, toOutgoingMessage } from './message';
export type { OutgoingMessage, OutgoingMessageOptions, RoutingKeyFunction } from './message';
export {
  InvalidRabbitOptionError,
  PublishNotConfirmedError,
  InvalidMessageError,
  InvalidRoutingKeyError,
  ForwardNotRoutedError,
  isInvalidRabbitOptionError,
  isPublishNotConfirmedError,
  isInvalidMessageError,
  isInvalidRoutingKeyError,
  isForwardNotRoutedError,
} from './errors';
export { silentLogger } from './logger';
export type { Logger } from './logger';
export type { BackoffOptions } from './backoff';
