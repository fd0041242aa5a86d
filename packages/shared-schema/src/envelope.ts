import { z } from 'zod';

/**
 * Metadata carried by every recorded event. The three well-known keys are typed; any other
 * JSON-serialisable key is allowed (tenant ids, request paths, ...).
 */
export const EventMetadataSchema = z
  .object({
    correlationId: z.string().min(1).max(200).optional(),
    causationId: z.string().min(1).max(200).optional(),
    userId: z.string().min(1).max(200).optional(),
    /** Schema version of `data`, set by the store from the event catalog; used by upcasters. */
    schemaVersion: z.number().int().positive().optional(),
  })
  .catchall(z.unknown());

export type EventMetadata = z.infer<typeof EventMetadataSchema>;

/**
 * The envelope of a recorded event, as stores return it and as the RabbitMQ relay publishes it.
 * `occurredAt` is an ISO-8601 string on the wire and a `Date` in memory: parse with
 * {@link RecordedEventEnvelopeSchema} to get a `Date` back.
 */
export const RecordedEventEnvelopeSchema = z.object({
  id: z.uuid(),
  streamId: z.string().min(1).max(200),
  streamType: z.string().min(1).max(200),
  version: z.number().int().positive(),
  globalPosition: z.number().int().positive(),
  type: z.string().min(1).max(200),
  data: z.unknown(),
  metadata: EventMetadataSchema,
  occurredAt: z.coerce.date(),
});

/** A recorded event. `TType`/`TData` narrow it when the event catalog is known. */
export interface RecordedEvent<TType extends string = string, TData = unknown> {
  readonly id: string;
  readonly streamId: string;
  readonly streamType: string;
  /** Position inside the stream: 1, 2, 3 ... with no holes. */
  readonly version: number;
  /** Position in the global feed. Unique and increasing, but not gap-free (rolled back ids are skipped). */
  readonly globalPosition: number;
  readonly type: TType;
  readonly data: TData;
  readonly metadata: EventMetadata;
  readonly occurredAt: Date;
}
