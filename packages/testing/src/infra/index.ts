export { isCi, reportSkip } from './environment';
export {
  findPostgresServer,
  createTestDatabase,
  createServerTestDatabase,
  stopPostgresContainer,
  redact,
} from './postgres';
export type { TestDatabase } from './postgres';
export { findRabbitMq, uniqueName } from './rabbitmq';
