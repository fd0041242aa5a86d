import { LeaseLostError } from '@eventfold/store-postgres';
import type { CheckpointStatus, CheckpointStore, GlobalCheckpoint } from '@eventfold/core';
import type { DeadLetter, NewDeadLetter, ProjectionVersion, ProjectorTarget, RunnerLease, TargetUnit } from './target';

interface MemoryLeaseRow {
  ownerId: string;
  expiresAt: number;
}

/** State shared by every projector that uses the same checkpoint store in this process. */
interface MemoryProjectorState {
  readonly deadLetters: DeadLetter[];
  readonly versions: Map<string, ProjectionVersion[]>;
  readonly leases: Map<string, MemoryLeaseRow>;
}

const states = new WeakMap<CheckpointStore, MemoryProjectorState>();

function stateFor(checkpoints: CheckpointStore): MemoryProjectorState {
  let state = states.get(checkpoints);
  if (state === undefined) {
    state = { deadLetters: [], versions: new Map(), leases: new Map() };
    states.set(checkpoints, state);
  }
  return state;
}

interface StagedWrites {
  readonly checkpoints: Array<[string, GlobalCheckpoint, { readonly status?: CheckpointStatus; readonly lastError?: string | null } | undefined]>;
  readonly letters: NewDeadLetter[];
  readonly promotions: Array<[string, number]>;
}

/**
 * A target for unit tests on store-memory: checkpoints in the given `CheckpointStore`, dead letters,
 * versions and leases in process memory (shared by projectors on the same checkpoint store).
 * A unit's own writes are applied only when its function succeeds; the read model is whatever
 * the handlers keep, and is not rolled back.
 */
export function createMemoryTarget(checkpoints: CheckpointStore): ProjectorTarget {
  const state = stateFor(checkpoints);

  const canPromote = (name: string, version: number): boolean => {
    const list = state.versions.get(name) ?? [];
    const current = list.find((v) => v.state === 'live');
    const mine = list.find((v) => v.version === version);
    return mine?.state === 'building' && (current === undefined || current.version < version);
  };
  const promote = (name: string, version: number): void => {
    const list = state.versions.get(name) ?? [];
    if (!canPromote(name, version)) return;
    state.versions.set(
      name,
      list.map((v) => {
        if (v.version === version) return { ...v, state: 'live', liveSince: new Date() };
        return v.state === 'live' ? { ...v, state: 'retired' } : v;
      }),
    );
  };

  return {
    kind: 'memory',
    atomic: false,
    async prepare() {},
    async transaction(lease, fn) {
      assertLease(state, lease);
      const staged: StagedWrites = { checkpoints: [], letters: [], promotions: [] };
      const unit: TargetUnit = {
        tx: undefined,
        saveCheckpoint: async (name, checkpoint, options) => {
          staged.checkpoints.push([name, checkpoint, options]);
        },
        park: async (letter) => {
          staged.letters.push(letter);
        },
        promote: async (name, version) => {
          if (!canPromote(name, version)) return false;
          staged.promotions.push([name, version]);
          return true;
        },
      };
      const result = await fn(unit);
      assertLease(state, lease);
      for (const [name, checkpoint, options] of staged.checkpoints) await checkpoints.save(name, checkpoint, options);
      for (const letter of staged.letters) parkInMemory(state, letter);
      for (const [name, version] of staged.promotions) promote(name, version);
      return result;
    },
    loadCheckpoint: (name) => checkpoints.load(name),
    async register(name, version) {
      const list = state.versions.get(name) ?? [];
      const existing = list.find((v) => v.version === version);
      if (existing !== undefined) return existing;
      const hasLive = list.some((v) => v.state === 'live');
      const added: ProjectionVersion = {
        name,
        version,
        state: hasLive ? 'building' : 'live',
        createdAt: new Date(),
        liveSince: hasLive ? null : new Date(),
      };
      state.versions.set(name, [...list, added]);
      return added;
    },
    async versions(name) {
      return [...(state.versions.get(name) ?? [])].sort((a, b) => a.version - b.version);
    },
    async deadLetters(filter) {
      return state.deadLetters.filter(
        (letter) =>
          (filter.projection === undefined || letter.projection === filter.projection) &&
          (filter.version === undefined || letter.version === filter.version),
      );
    },
    createLease: (name, options) => createMemoryLease(state, name, options.ownerId, options.ttlMs),
  };
}

function parkInMemory(state: MemoryProjectorState, letter: NewDeadLetter): void {
  const now = new Date();
  const index = state.deadLetters.findIndex(
    (d) => d.projection === letter.projection && d.version === letter.version && d.eventId === letter.eventId,
  );
  const previous = state.deadLetters[index];
  if (previous === undefined) {
    state.deadLetters.push({ ...letter, firstFailedAt: now, lastFailedAt: now });
  } else {
    state.deadLetters[index] = { ...letter, attempts: previous.attempts + letter.attempts, firstFailedAt: previous.firstFailedAt, lastFailedAt: now };
  }
}

const memoryLeaseNames = new WeakMap<RunnerLease, string>();

function assertLease(state: MemoryProjectorState, lease: RunnerLease): void {
  const name = memoryLeaseNames.get(lease);
  const row = name === undefined ? undefined : state.leases.get(name);
  if (row === undefined || row.ownerId !== lease.ownerId || row.expiresAt <= Date.now()) {
    throw new LeaseLostError(name ?? '(unknown)', lease.ownerId);
  }
}

function createMemoryLease(state: MemoryProjectorState, name: string, ownerId: string, ttlMs: number): RunnerLease {
  let held = false;
  const lease: RunnerLease = {
    ownerId,
    get held() {
      return held;
    },
    async tryAcquire() {
      const row = state.leases.get(name);
      if (row === undefined || row.ownerId === ownerId || row.expiresAt <= Date.now()) {
        state.leases.set(name, { ownerId, expiresAt: Date.now() + ttlMs });
        held = true;
      } else {
        held = false;
      }
      return held;
    },
    async renew() {
      const row = state.leases.get(name);
      held = held && row !== undefined && row.ownerId === ownerId && row.expiresAt > Date.now();
      if (held && row !== undefined) row.expiresAt = Date.now() + ttlMs;
      return held;
    },
    async release() {
      const row = state.leases.get(name);
      if (held && row?.ownerId === ownerId) state.leases.delete(name);
      held = false;
    },
    async holder() {
      const row = state.leases.get(name);
      return row !== undefined && row.expiresAt > Date.now() ? row.ownerId : undefined;
    },
  };
  memoryLeaseNames.set(lease, name);
  return lease;
}
