import { isEventValidationError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { createConformanceCatalog, ITEM_ADDED_SCHEMA_VERSION, newStreamId, uniqueStreamType } from './fixtures';

describe('createConformanceCatalog', () => {
  const catalog = createConformanceCatalog();

  it('accepts a valid ItemAdded, defaults its currency and reports its schema version', () => {
    expect(catalog.validateNew('ItemAdded', { item: { sku: 'a', quantity: 2 } })).toEqual({
      data: { item: { sku: 'a', quantity: 2 }, currency: 'EUR' },
      schemaVersion: ITEM_ADDED_SCHEMA_VERSION,
    });
    expect(catalog.validateNew('ItemRemoved', { sku: 'a' })).toEqual({ data: { sku: 'a' }, schemaVersion: 1 });
  });

  it('names every failing field path', () => {
    try {
      catalog.validateNew('ItemAdded', { item: { sku: '', quantity: 1.5 }, currency: 3 });
      expect.unreachable();
    } catch (error) {
      expect(isEventValidationError(error)).toBe(true);
      expect((error as { issues: { path: string }[] }).issues.map((issue) => issue.path)).toEqual([
        'item.sku',
        'item.quantity',
        'currency',
      ]);
    }
  });

  it('refuses unknown types and non-object data', () => {
    expect(() => catalog.validateNew('ItemStolen', {})).toThrow(/ItemStolen/);
    expect(() => catalog.validateNew('ItemAdded', null)).toThrow(/must be an object/);
    expect(() => catalog.validateNew('ItemAdded', { item: 'x' })).toThrow(/item: must be an object/);
  });
});

describe('stream id helpers', () => {
  it('makes unique stream types that are the default type of their stream ids', () => {
    const type = uniqueStreamType();
    expect(type).not.toContain('-');
    expect(type).not.toBe(uniqueStreamType());
    expect(newStreamId(type).startsWith(`${type}-`)).toBe(true);
  });
});
