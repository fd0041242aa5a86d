import { toValidationIssues } from '@eventfold/shared-schema';
import type { z } from 'zod';
import { InvalidArgumentError, type ValidationIssue } from './errors';

export type Handler = (input: unknown, context: unknown) => unknown;

interface Registration {
  readonly schema: z.ZodType;
  readonly handler: Handler;
}

/** Validate-then-dispatch by name; shared by the command bus and the query bus. */
export interface HandlerRegistry {
  add(name: string, schema: z.ZodType, handler: Handler): void;
  has(name: string): boolean;
  names(): readonly string[];
  /** Validates `input` with the name's schema before the handler runs. */
  run(name: string, input: unknown, context: unknown): Promise<unknown>;
}

export interface HandlerRegistryErrors {
  readonly kind: 'command' | 'query';
  readonly invalid: (name: string, issues: readonly ValidationIssue[]) => Error;
  readonly notFound: (name: string, registered: readonly string[]) => Error;
}

const NAME = /^[A-Za-z][A-Za-z0-9_.:/-]{0,199}$/;

export function createHandlerRegistry(errors: HandlerRegistryErrors): HandlerRegistry {
  const registrations = new Map<string, Registration>();
  return {
    add(name, schema, handler) {
      if (typeof name !== 'string' || !NAME.test(name)) {
        throw new InvalidArgumentError(
          `Invalid ${errors.kind} name ${JSON.stringify(name) ?? String(name)}: use 1 to 200 letters, digits or _ . : / -, starting with a letter.`,
        );
      }
      if (registrations.has(name)) {
        throw new InvalidArgumentError(`A ${errors.kind} handler for "${name}" is already registered; register each name once.`);
      }
      if (typeof (schema as { safeParseAsync?: unknown } | undefined)?.safeParseAsync !== 'function') {
        throw new InvalidArgumentError(`The ${errors.kind} "${name}" needs a Zod schema for its input.`);
      }
      if (typeof handler !== 'function') {
        throw new InvalidArgumentError(`The ${errors.kind} "${name}" needs a handler function.`);
      }
      registrations.set(name, { schema, handler });
    },
    has: (name) => registrations.has(name),
    names: () => [...registrations.keys()],
    async run(name, input, context) {
      const registration = registrations.get(name);
      if (registration === undefined) throw errors.notFound(name, [...registrations.keys()]);
      const parsed = await registration.schema.safeParseAsync(input);
      if (!parsed.success) throw errors.invalid(name, toValidationIssues(parsed.error));
      return registration.handler(parsed.data, context);
    },
  };
}
