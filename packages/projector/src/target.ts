import type { CheckpointStatus, GlobalCheckpoint, StoredCheckpoint } from '@eventfold/core';
import type { ProjectionTransaction } from './database';

/** An event that kept failing, as kept in the dead-letter table. */
export interface DeadLetter {
  readonly projection: string;
  readonly version: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  readonly globalPosition: number;
  readonly errorName: string;
  readonly errorMessage: string;
  readonly errorStack: string | null;
  /** Tries so far, summed over every time the event was parked. */
  readonly attempts: number;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
}

export type NewDeadLetter = Omit<DeadLetter, 'firstFailedAt' | 'lastFailedAt'>;

/**
 * A version's place in blue/green: `live` answers queries (one per projection), `building` is
 * catching up beside it, `retired` was live before a newer version took over.
 */
export type ProjectionVersionState = 'building' | 'live' | 'retired';

export interface ProjectionVersion {
  readonly name: string;
  readonly version: number;
  readonly state: ProjectionVersionState;
  readonly createdAt: Date;
  readonly liveSince: Date | null;
}

/** The lease one runner must hold to write a projection (one active runner per projection). */
export interface RunnerLease {
  readonly ownerId: string;
  readonly held: boolean;
  tryAcquire(): Promise<boolean>;
  renew(): Promise<boolean>;
  release(): Promise<void>;
  /** The current holder, if any. */
  holder(): Promise<string | undefined>;
}

/** What one unit of work (one transaction on PostgreSQL) can write besides the read model. */
export interface TargetUnit {
  /** The Drizzle transaction, or undefined on a memory target. */
  readonly tx: ProjectionTransaction | undefined;
  saveCheckpoint(
    name: string,
    checkpoint: GlobalCheckpoint,
    options?: { readonly status?: CheckpointStatus; readonly lastError?: string | null },
  ): Promise<void>;
  park(letter: NewDeadLetter): Promise<void>;
  /** Makes `version` the live one and retires the previous live version, unless a newer one is live. */
  promote(name: string, version: number): Promise<boolean>;
}

/**
 * Where a projector keeps checkpoints, dead letters, the version registry and leases: PostgreSQL
 * (everything in one transaction with the read model) or memory (unit tests).
 */
export interface ProjectorTarget {
  readonly kind: 'postgres' | 'memory';
  /**
   * True when a failed unit's read-model writes roll back with it (PostgreSQL). A memory target's
   * handlers keep plain objects, so the events a failed batch already applied must not run again.
   */
  readonly atomic: boolean;
  /** Creates the projector's own tables when needed (idempotent). */
  prepare(): Promise<void>;
  /** Runs `fn` as one unit; on PostgreSQL, one transaction in which `lease` is asserted first. */
  transaction<T>(lease: RunnerLease, fn: (unit: TargetUnit) => Promise<T>): Promise<T>;
  loadCheckpoint(name: string): Promise<StoredCheckpoint | undefined>;
  /** Records a version (live at once when the projection has no live version yet). */
  register(name: string, version: number): Promise<ProjectionVersion>;
  versions(name: string): Promise<ProjectionVersion[]>;
  deadLetters(filter: { readonly projection?: string; readonly version?: number }): Promise<DeadLetter[]>;
  createLease(name: string, options: { readonly ownerId: string; readonly ttlMs: number }): RunnerLease;
}
