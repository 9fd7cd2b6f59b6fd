/**
 * Which tables an upsert matches on the integer key column instead of `_hoodie_record_key`: only
 * where the key generator writes that column's plain rendering, so the two always agree.
 */
import { describe, expect, it } from 'vitest';
import { integerKeyColumn } from '../../src/engine/write/classify.ts';
import type { Schema } from '../../src/table/schema.ts';
import { newTableConfig } from '../../src/table/table-config.ts';
import { tableOptions } from '../support/table-options.ts';

const schema = (idKind: 'int32' | 'int64' | 'string' | 'float64'): Schema => [
  { name: 'id', type: { kind: idKind } },
  { name: 'ts', type: { kind: 'int64' } },
  { name: 'a', type: { kind: 'string' } },
  { name: 'b', type: { kind: 'string' } },
];

describe('integerKeyColumn', () => {
  it('is the key field for one integer key with a simple or non-partitioned key generator', () => {
    const simple = newTableConfig(tableOptions('t', { partitionFields: ['a'] }));
    const unpartitioned = newTableConfig(tableOptions('t'));
    expect([simple.keyGenerator, unpartitioned.keyGenerator]).toEqual(['simple', 'nonpartitioned']);
    expect(integerKeyColumn(simple, schema('int64'))).toBe('id');
    expect(integerKeyColumn(simple, schema('int32'))).toBe('id');
    expect(integerKeyColumn(unpartitioned, schema('int64'))).toBe('id');
  });

  it('is undefined for text or floating keys, composite keys, a complex key generator, or no schema', () => {
    const simple = newTableConfig(tableOptions('t', { partitionFields: ['a'] }));
    expect(integerKeyColumn(simple, schema('string'))).toBeUndefined();
    expect(integerKeyColumn(simple, schema('float64'))).toBeUndefined();
    expect(integerKeyColumn(simple, undefined)).toBeUndefined();
    const composite = newTableConfig({ name: 't', recordKeyFields: ['id', 'ts'], partitionFields: ['a'] });
    expect(integerKeyColumn(composite, schema('int64'))).toBeUndefined();
    // One key field but two partition fields: Hudi's complex key generator, whose single-field
    // encoding has varied between `id:1` and `1`.
    const complex = newTableConfig(tableOptions('t', { partitionFields: ['a', 'b'] }));
    expect(complex.keyGenerator).toBe('complex');
    expect(integerKeyColumn(complex, schema('int64'))).toBeUndefined();
  });
});
