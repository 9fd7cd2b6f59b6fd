import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, TableFormatError } from '../../src/errors.ts';
import { parseProperties } from '../../src/table/properties.ts';
import {
  avroRecordName,
  avroSchemaJson,
  decimalFixedSize,
  duckdbTypeSql,
  fromAvroSchema,
  sameType,
  toAvroSchema,
  widenType,
  isLossyPromotion,
  type ColumnType,
  type Schema,
} from '../../src/table/schema.ts';
import { extractFixture, HUDI_FIXTURES } from '../support/hudi-fixtures.ts';

const T = {
  bool: { kind: 'boolean' },
  i8: { kind: 'int8' },
  i16: { kind: 'int16' },
  i32: { kind: 'int32' },
  i64: { kind: 'int64' },
  f32: { kind: 'float32' },
  f64: { kind: 'float64' },
  str: { kind: 'string' },
  bin: { kind: 'binary' },
  date: { kind: 'date' },
  ts: { kind: 'timestamp' },
} as const satisfies Record<string, ColumnType>;
const dec = (precision: number, scale: number): ColumnType => ({ kind: 'decimal', precision, scale });
const list = (element: ColumnType): ColumnType => ({ kind: 'list', element });
const map = (value: ColumnType, key: ColumnType = T.str): ColumnType => ({ kind: 'map', key, value });
const struct = (...fields: Array<[string, ColumnType]>): ColumnType => ({
  kind: 'struct',
  fields: fields.map(([name, type]) => ({ name, type })),
});

/** The data columns of the v6 sample tables, as Spark created them (tinyint/smallint are Avro int). */
const V6_NONPARTITIONED: Schema = [
  ['id', T.i32],
  ['name', T.str],
  ['isActive', T.bool],
  ['byteField', T.i32],
  ['shortField', T.i32],
  ['intField', T.i32],
  ['longField', T.i64],
  ['floatField', T.f32],
  ['doubleField', T.f64],
  ['decimalField', dec(10, 5)],
  ['dateField', T.date],
  ['timestampField', T.ts],
  ['binaryField', T.bin],
  ['arrayField', list(struct(['arr_struct_f1', T.str], ['arr_struct_f2', T.i32]))],
  ['mapField', map(struct(['map_field_value_struct_f1', T.f64], ['map_field_value_struct_f2', T.bool]))],
  [
    'structField',
    struct(
      ['field1', T.str],
      ['field2', T.i32],
      ['child_struct', struct(['child_field1', T.f64], ['child_field2', T.bool])],
    ),
  ],
].map(([name, type]) => ({ name: name as string, type: type as ColumnType }));

const V6_TABLES = [
  'v6_complexkeygen_hivestyle',
  'v6_empty',
  'v6_nonpartitioned',
  'v6_simplekeygen_hivestyle_no_metafields',
  'v6_simplekeygen_nonhivestyle',
  'v6_simplekeygen_nonhivestyle_overwritetable',
  'v6_timebasedkeygen_nonhivestyle',
];

describe.skipIf(HUDI_FIXTURES === undefined)('Avro schemas of the v6 fixtures', () => {
  const tables = new Map<string, { createSchema: string; commitSchemas: Array<[string, string]> }>();
  const load = (table: string) => {
    let found = tables.get(table);
    if (found === undefined) {
      const hoodie = path.join(extractFixture(`sample_table/cow/${table}.zip`), '.hoodie');
      const props = parseProperties(fs.readFileSync(path.join(hoodie, 'hoodie.properties'), 'latin1'));
      const commitSchemas = fs
        .readdirSync(hoodie)
        .filter((f) => /^\d+\.(commit|replacecommit)$/.test(f))
        .map((f): [string, string] => {
          const meta = JSON.parse(fs.readFileSync(path.join(hoodie, f), 'utf8')) as { extraMetadata: { schema: string } };
          return [f, meta.extraMetadata.schema];
        });
      found = { createSchema: props.get('hoodie.table.create.schema')!, commitSchemas };
      tables.set(table, found);
    }
    return found;
  };

  it('v6_nonpartitioned: the create schema is the 16 Spark columns in order', () => {
    expect(fromAvroSchema(load('v6_nonpartitioned').createSchema)).toEqual(V6_NONPARTITIONED);
  });

  it.each(V6_TABLES)('%s: every commit schema parses and equals the create schema', (table) => {
    const { createSchema, commitSchemas } = load(table);
    const created = fromAvroSchema(createSchema);
    expect(created.length).toBeGreaterThanOrEqual(3);
    if (table !== 'v6_empty') expect(commitSchemas.length).toBeGreaterThan(0);
    for (const [, schema] of commitSchemas) expect(fromAvroSchema(schema)).toEqual(created);
  });

  it.each(V6_TABLES.filter((t) => t !== 'v6_empty'))('%s: toAvroSchema writes Hudi’s schema text exactly', (table) => {
    const { commitSchemas } = load(table);
    for (const [, schema] of commitSchemas) expect(avroSchemaJson(table, fromAvroSchema(schema))).toBe(schema);
  });
});

describe('toAvroSchema', () => {
  it('wraps every field as a nullable union with a null default, naming the record after the table', () => {
    expect(toAvroSchema('t', [{ name: 'a', type: T.i8 }])).toEqual({
      type: 'record',
      name: 't_record',
      namespace: 'hoodie.t',
      fields: [{ name: 'a', type: ['null', 'int'], default: null }],
    });
  });

  it('names nested records and decimal fixed types as Spark does', () => {
    const schema: Schema = [{ name: 's', type: struct(['d', dec(5, 2)], ['l', list(list(struct(['x', dec(20, 0)])))]) }];
    const s = (toAvroSchema('t', schema) as { fields: Array<{ type: [string, Record<string, unknown>] }> }).fields[0]!
      .type[1];
    expect(s).toMatchObject({ type: 'record', name: 's', namespace: 'hoodie.t.t_record' });
    const [d, l] = s.fields as Array<{ type: [string, Record<string, unknown>] }>;
    expect(d!.type[1]).toEqual({
      type: 'fixed',
      name: 'fixed',
      namespace: 'hoodie.t.t_record.s.d',
      size: 3,
      logicalType: 'decimal',
      precision: 5,
      scale: 2,
    });
    const inner = ((l!.type[1].items as unknown[])[1] as { items: unknown[] }).items[1];
    expect(inner).toMatchObject({ type: 'record', name: 'l', namespace: 'hoodie.t.t_record.s' });
  });

  it('uses the smallest fixed size for each precision', () => {
    const sizes = [1, 2, 3, 4, 9, 10, 11, 18, 19, 38].map(decimalFixedSize);
    expect(sizes).toEqual([1, 1, 2, 2, 4, 5, 5, 8, 9, 16]);
  });

  it('sanitises table names as Hudi does', () => {
    expect(avroRecordName('my-table.x')).toEqual({ name: 'my__table__x_record', namespace: 'hoodie.my__table__x' });
    expect(avroRecordName('1abc')).toEqual({ name: '__abc_record', namespace: 'hoodie.__abc' });
  });

  it('rejects what Avro cannot represent, naming the column', () => {
    const bad = (schema: Schema): unknown => {
      try {
        toAvroSchema('t', schema);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const mapErr = bad([{ name: 'outer', type: struct(['m', map(T.str, T.i32)]) }]);
    expect(mapErr).toBeInstanceOf(InvalidInputError);
    expect((mapErr as Error).message).toContain('"outer.m"');
    expect(bad([{ name: 'a b', type: T.i32 }])).toBeInstanceOf(InvalidInputError);
    expect(bad([{ name: '9x', type: T.i32 }])).toBeInstanceOf(InvalidInputError);
    expect(bad([{ name: 'a', type: T.i32 }, { name: 'A', type: T.str }])).toBeInstanceOf(InvalidInputError);
    expect(bad([{ name: 'd', type: dec(39, 0) }])).toBeInstanceOf(InvalidInputError);
    expect(bad([{ name: 'd', type: dec(5, 6) }])).toBeInstanceOf(InvalidInputError);
  });
});

describe('fromAvroSchema', () => {
  const every: Schema = [
    ['b', T.bool], ['i8', T.i8], ['i16', T.i16], ['i32', T.i32], ['i64', T.i64], ['f32', T.f32], ['f64', T.f64],
    ['s', T.str], ['bin', T.bin], ['d', T.date], ['ts', T.ts], ['dec', dec(38, 10)], ['l', list(map(list(T.i64)))],
    ['st', struct(['inner', struct(['x', dec(3, 3)], ['y', list(T.date)])], ['z', T.str])],
  ].map(([name, type]) => ({ name: name as string, type: type as ColumnType }));

  it('inverts toAvroSchema (int8/int16 come back as int32, Avro has only int)', () => {
    const widened = every.map((f) => (f.type.kind === 'int8' || f.type.kind === 'int16' ? { ...f, type: T.i32 } : f));
    expect(fromAvroSchema(avroSchemaJson('t', every))).toEqual(widened);
    expect(fromAvroSchema(toAvroSchema('t', widened))).toEqual(widened);
  });

  const record = (...fields: unknown[]) => ({ type: 'record', name: 'r', namespace: 'ns', fields });
  const one = (type: unknown): ColumnType => fromAvroSchema(record({ name: 'f', type }))[0]!.type;

  it('accepts null first or last, and non-union fields', () => {
    expect(one(['int', 'null'])).toEqual(T.i32);
    expect(one(['null', 'long'])).toEqual(T.i64);
    expect(one('double')).toEqual(T.f64);
  });

  it('maps logical types, enums and fixed', () => {
    expect(one({ type: 'long', logicalType: 'timestamp-millis' })).toEqual(T.ts);
    expect(one({ type: 'long', logicalType: 'local-timestamp-micros' })).toEqual(T.ts);
    expect(one({ type: 'long', logicalType: 'local-timestamp-millis' })).toEqual(T.ts);
    expect(one({ type: 'bytes', logicalType: 'decimal', precision: 12 })).toEqual(dec(12, 0));
    expect(one({ type: 'fixed', name: 'x', size: 4, logicalType: 'decimal', precision: 9, scale: 2 })).toEqual(dec(9, 2));
    expect(one({ type: 'enum', name: 'e', symbols: ['A', 'B'] })).toEqual(T.str);
    expect(one({ type: 'fixed', name: 'x', size: 16 })).toEqual(T.bin);
    expect(one({ type: 'string', logicalType: 'uuid' })).toEqual(T.str);
  });

  it('resolves references to named types defined earlier', () => {
    const schema = fromAvroSchema(
      record(
        { name: 'a', type: { type: 'record', name: 'P', fields: [{ name: 'x', type: 'int' }] } },
        { name: 'b', type: ['null', 'P'] },
        { name: 'c', type: 'ns.P' },
        { name: 'd', type: { type: 'fixed', name: 'money', size: 5, logicalType: 'decimal', precision: 10, scale: 2 } },
        { name: 'e', type: 'money' },
      ),
    );
    expect(schema.map((f) => f.type)).toEqual([struct(['x', T.i32]), struct(['x', T.i32]), struct(['x', T.i32]), dec(10, 2), dec(10, 2)]);
  });

  it('rejects unsupported types with TableFormatError naming the field', () => {
    const cases: unknown[] = [
      { type: 'int', logicalType: 'time-millis' },
      { type: 'long', logicalType: 'time-micros' },
      { type: 'long', logicalType: 'timestamp-nanos' },
      ['null', 'int', 'string'],
      ['null'],
      'null',
      'Unknown',
      { type: 'bytes', logicalType: 'decimal', precision: 40, scale: 0 },
      { type: 'record', name: 'R', fields: [{ name: 'self', type: ['null', 'R'] }] },
      { type: 'record', name: 'E', fields: [] },
    ];
    for (const type of cases) {
      const nested = record({ name: 'outer', type: { type: 'record', name: 'o', fields: [{ name: 'f', type }] } });
      expect(() => fromAvroSchema(nested), JSON.stringify(type)).toThrow(TableFormatError);
      expect(() => fromAvroSchema(nested), JSON.stringify(type)).toThrow(/outer\.f/);
    }
  });

  it('rejects text that is not a record schema', () => {
    expect(() => fromAvroSchema('{not json')).toThrow(TableFormatError);
    expect(() => fromAvroSchema('"int"')).toThrow(TableFormatError);
    expect(() => fromAvroSchema({ type: 'record', name: 'r' })).toThrow(TableFormatError);
  });
});

describe('duckdbTypeSql', () => {
  it('renders nested types with quoted identifiers', () => {
    expect(duckdbTypeSql(dec(10, 5))).toBe('DECIMAL(10,5)');
    expect(duckdbTypeSql(struct(['a"b', list(T.i32)], ['c d', map(T.ts)]))).toBe(
      'STRUCT("a""b" INTEGER[], "c d" MAP(VARCHAR, TIMESTAMPTZ))',
    );
    expect([T.bool, T.i8, T.i16, T.i64, T.f32, T.f64, T.bin, T.date].map(duckdbTypeSql)).toEqual([
      'BOOLEAN', 'TINYINT', 'SMALLINT', 'BIGINT', 'FLOAT', 'DOUBLE', 'BLOB', 'DATE',
    ]);
  });
});

describe('sameType and widenType', () => {
  it('compares structurally', () => {
    expect(sameType(struct(['a', list(dec(5, 1))]), struct(['a', list(dec(5, 1))]))).toBe(true);
    expect(sameType(struct(['a', T.i32], ['b', T.str]), struct(['b', T.str], ['a', T.i32]))).toBe(false);
    expect(sameType(dec(5, 1), dec(6, 1))).toBe(false);
    expect(sameType(map(T.i32), map(T.i64))).toBe(false);
  });

  it.each<[string, ColumnType, ColumnType, ColumnType | undefined]>([
    ['int8 → int16', T.i8, T.i16, T.i16],
    ['int16 → int64', T.i16, T.i64, T.i64],
    ['int32 → float32 (rounds: refused)', T.i32, T.f32, undefined],
    ['int32 → float64', T.i32, T.f64, T.f64],
    ['int64 → float64 (rounds: refused)', T.i64, T.f64, undefined],
    ['int16 → float32', T.i16, T.f32, T.f32],
    ['float32 → float64', T.f32, T.f64, T.f64],
    ['narrower data into a wider column', T.i64, T.i32, T.i64],
    ['decimal precision at equal scale', dec(10, 2), dec(12, 2), dec(12, 2)],
    ['decimal scale change', dec(10, 2), dec(12, 3), undefined],
    ['string ↔ binary', T.str, T.bin, undefined],
    ['int → string', T.i32, T.str, undefined],
    ['date → timestamp', T.date, T.ts, undefined],
    ['float64 ↔ int64 (rounds: refused)', T.f64, T.i64, undefined],
    ['decimal → float', dec(5, 0), T.f64, undefined],
    ['list elements', list(T.i32), list(T.i64), list(T.i64)],
    ['map values', map(T.f32), map(T.f64), map(T.f64)],
    ['incompatible list', list(T.i32), list(T.str), undefined],
    ['list vs scalar', list(T.i32), T.i32, undefined],
  ])('%s', (_, from, to, expected) => {
    expect(widenType(from, to)).toEqual(expected);
  });

  it('unions struct fields recursively, existing fields first', () => {
    const from = struct(['a', T.i32], ['s', struct(['x', T.f32])]);
    const to = struct(['n', T.str], ['s', struct(['y', T.bool], ['x', T.f64])], ['a', T.i64]);
    expect(widenType(from, to)).toEqual(
      struct(['a', T.i64], ['s', struct(['x', T.f64], ['y', T.bool])], ['n', T.str]),
    );
    expect(widenType(struct(['a', T.i32]), struct(['a', T.str]))).toBeUndefined();
  });

  it('names the promotions that round values', () => {
    expect([isLossyPromotion(T.i64, T.f64), isLossyPromotion(T.i64, T.f32), isLossyPromotion(T.i32, T.f32)]).toEqual([true, true, true]);
    expect([isLossyPromotion(T.i32, T.f64), isLossyPromotion(T.i16, T.f32), isLossyPromotion(T.f64, T.i64)]).toEqual([false, false, false]);
  });
});
