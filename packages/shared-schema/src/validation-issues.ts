import type { z } from 'zod';
import type { EventValidationIssue } from './errors';

/**
 * Turns Zod issues into `{ path, message }` pairs with dotted paths (`guest.name`, `rooms.0.id`);
 * `''` is the root. Used by every eventfold error that reports failing fields.
 */
export function toValidationIssues(error: z.ZodError): EventValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((segment) => (typeof segment === 'symbol' ? segment.toString() : String(segment))).join('.'),
    message: issue.message,
  }));
}
