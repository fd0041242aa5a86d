/** One failing field of an event payload: `path` is the dotted path inside `data` (`''` for the root). */
export interface EventValidationIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * An event could not be accepted: its type is not in the catalog, its data fails the type's schema,
 * or it is not JSON-serialisable. Names the event type and every failing field path.
 */
export class EventValidationError extends Error {
  readonly code = 'EVENTFOLD_EVENT_VALIDATION' as const;
  override readonly name = 'EventValidationError';
  readonly eventType: string;
  readonly issues: readonly EventValidationIssue[];

  constructor(eventType: string, issues: readonly EventValidationIssue[], options?: { cause?: unknown }) {
    const detail = issues.map((issue) => `${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`).join('; ');
    super(`Invalid event "${eventType}": ${detail}`, options);
    this.eventType = eventType;
    this.issues = issues;
  }
}

export function isEventValidationError(error: unknown): error is EventValidationError {
  return hasCode(error, 'EVENTFOLD_EVENT_VALIDATION');
}

/** True when `error` is an object whose `code` equals `code`; works across two installed copies. */
export function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * An event definition, upcaster or catalog is declared wrongly (duplicate type, bad version, a
 * missing upcaster step, ...). Thrown when the catalog is built, never while handling data.
 */
export class EventDefinitionError extends Error {
  readonly code = 'EVENTFOLD_EVENT_DEFINITION' as const;
  override readonly name = 'EventDefinitionError';
  constructor(
    /** The event type the problem concerns. */
    readonly eventType: string,
    message: string,
  ) {
    super(message);
  }
}

export function isEventDefinitionError(error: unknown): error is EventDefinitionError {
  return hasCode(error, 'EVENTFOLD_EVENT_DEFINITION');
}
