import type {
  CancelReservationCommand,
  ChangeReservationDatesCommand,
  CreateReservationCommand,
} from '@eventfold/shared-schema/reservation';
import type { ListReservationsQuery, ReservationAtView, ReservationView } from '../http/schemas';

/** Who asked, for the event metadata and the logs. */
export interface CommandContext {
  readonly correlationId: string;
  /**
   * The version the client last saw (HTTP If-Match). Set: a different current version fails with
   * `VersionMismatchError` and nothing is retried. Unset: concurrency conflicts are retried.
   */
  readonly expectedVersion?: number | undefined;
}

export interface CreateContext extends CommandContext {
  /** Same key and same command: the first outcome comes back and nothing new is written. */
  readonly idempotencyKey?: string | undefined;
}

/** What a create returned, as the client saw it the first time. */
export interface StoredOutcome {
  readonly statusCode: number;
  readonly body: unknown;
  /** True when this is a replay of an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean;
}

export interface ReservationPage {
  readonly items: ReservationView[];
  readonly nextCursor: string | null;
}

export interface ReservationHistory {
  readonly reservationId: string;
  readonly version: number;
  readonly events: Array<{
    readonly id: string;
    readonly type: string;
    readonly version: number;
    readonly globalPosition: number;
    readonly occurredAt: string;
    readonly data: Record<string, unknown>;
    readonly metadata: Record<string, unknown>;
  }>;
}

export type PointInTime = { readonly asOf: Date } | { readonly atVersion: number };

/**
 * The reservation use cases behind the HTTP API and the CLI. Writes go through the aggregate and the
 * event store; reads come from the read models, except history and time travel, which read the log.
 */
export interface ReservationService {
  create(command: CreateReservationCommand, context: CreateContext): Promise<StoredOutcome>;
  confirm(reservationId: string, context: CommandContext): Promise<ReservationView>;
  cancel(reservationId: string, command: CancelReservationCommand, context: CommandContext): Promise<ReservationView>;
  changeDates(reservationId: string, command: ChangeReservationDatesCommand, context: CommandContext): Promise<ReservationView>;
  get(reservationId: string): Promise<ReservationView | undefined>;
  list(query: ListReservationsQuery): Promise<ReservationPage>;
  history(reservationId: string): Promise<ReservationHistory>;
  at(reservationId: string, point: PointInTime): Promise<ReservationAtView>;
}
