import { InvalidRabbitOptionError } from './errors';

const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
// RabbitMQ accepts more, but these names also end up in log lines and queue arguments: keep them plain.
const AMQP_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/** An integer option within bounds, or its default when undefined. */
export function integerOption(option: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidRabbitOptionError(option, value, `use an integer from ${min} to ${max}`);
  }
  return value;
}

/** A Postgres schema name from configuration, validated before it is ever quoted into SQL. */
export function sqlIdentifierOption(option: string, value: string | undefined, fallback: string): string {
  const name = value ?? fallback;
  if (typeof name !== 'string' || !SQL_IDENTIFIER.test(name)) {
    throw new InvalidRabbitOptionError(
      option,
      name,
      'use lowercase letters, digits and _ (at most 63), starting with a letter or _',
    );
  }
  return name;
}

/** An exchange or queue name this package declares. `amq.*` is reserved by RabbitMQ. */
export function amqpNameOption(option: string, value: string | undefined, fallback?: string): string {
  const name = value ?? fallback;
  if (typeof name !== 'string' || !AMQP_NAME.test(name)) {
    throw new InvalidRabbitOptionError(option, name, 'use 1 to 200 characters from A-Z a-z 0-9 _ . : -');
  }
  if (name.startsWith('amq.')) {
    throw new InvalidRabbitOptionError(option, name, 'names starting with "amq." are reserved by RabbitMQ; pick another');
  }
  return name;
}

/** A free-form name (relay name, consumer name): 1 to 200 printable characters. */
export function nameOption(option: string, value: string | undefined): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200 || /\p{Cc}/u.test(value)) {
    throw new InvalidRabbitOptionError(option, value, 'use 1 to 200 printable characters');
  }
  return value;
}

export function urlOption(option: string, value: string | undefined): string {
  if (typeof value !== 'string' || !/^amqps?:\/\//.test(value)) {
    throw new InvalidRabbitOptionError(option, value === undefined ? undefined : '<redacted>', 'use an amqp:// or amqps:// URL');
  }
  return value;
}

export function functionOption<T extends (...args: never[]) => unknown>(option: string, value: T | undefined): T {
  if (typeof value !== 'function') throw new InvalidRabbitOptionError(option, value, 'pass a function');
  return value;
}
