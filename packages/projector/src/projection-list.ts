import type { Projection } from './define-projection';
import { InvalidProjectorOptionError } from './errors';

/** Throws unless `value` is a non-empty array of projections from `defineProjection` with distinct names. */
export function assertProjectionList(value: unknown, options: { readonly allowEmpty?: boolean } = {}): asserts value is readonly Projection[] {
  if (!isArray(value) || (value.length === 0 && options.allowEmpty !== true)) {
    throw new InvalidProjectorOptionError('projections', value, 'pass a non-empty array of projections from defineProjection');
  }
  const names = new Set<string>();
  for (const entry of value) {
    if (!isProjection(entry)) throw new InvalidProjectorOptionError('projections', entry, 'every entry must come from defineProjection');
    if (names.has(entry.name)) {
      throw new InvalidProjectorOptionError('projections', entry.name, 'each projection name may appear once (one version per list)');
    }
    names.add(entry.name);
  }
}

function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function isProjection(value: unknown): value is Projection {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Projection>).apply === 'function' &&
    typeof (value as Partial<Projection>).name === 'string' &&
    typeof (value as Partial<Projection>).version === 'number'
  );
}
