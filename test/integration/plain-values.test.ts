/** The public API's rows hold plain JavaScript values, exact where JavaScript has no exact type. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Row, Tidemark, Value } from '../../src/index.ts';
import { useEngine } from '../support/engine.ts';

const PLAIN_PROTOTYPES: ReadonlyArray<unknown> = [Object.prototype, Array.prototype, Date.prototype, Uint8Array.prototype];

/** Paths (`row.column.field[0]`) of the values in `rows` that are not plain JavaScript values. */
function notPlain(rows: ReadonlyArray<Row>): string[] {
  const found: string[] = [];
  const visit = (value: unknown, where: string): void => {
    if (value === null || ['number', 'bigint', 'string', 'boolean'].includes(typeof value)) return;
    const proto: unknown = Object.getPrototypeOf(value);
    if (!PLAIN_PROTOTYPES.includes(proto)) found.push(`${where}: ${(value as object).constructor?.name ?? String(proto)}`);
    else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${where}[${i}]`));
    else if (proto === Object.prototype) for (const [k, v] of Object.entries(value as object)) visit(v, `${where}.${k}`);
  };
  rows.forEach((r, i) => {
    if (Object.getPrototypeOf(r) !== Object.prototype) found.push(`row ${i}: not a plain object`);
    for (const [k, v] of Object.entries(r)) visit(v, `row ${i}.${k}`);
  });
  return found;
}

/** Every column type a table stores, in one row of values and one row of NULLs. */
const TYPES_QUERY = `
  SELECT 1 AS id, true AS b, -8::TINYINT AS i8, 300::SMALLINT AS i16, 70000::INTEGER AS i32, 9007199254740993::BIGINT AS i64,
    1.5::FLOAT AS f32, 'NaN'::DOUBLE AS nan, '-inf'::DOUBLE AS ninf, 0.1::DOUBLE AS f64,
    12345678901234567890.123456789::DECIMAL(38,9) AS big_dec, 12.50::DECIMAL(4,2) AS money, -0.05::DECIMAL(4,2) AS cents,
    'héllo, "world"' AS s, '\\x00\\x01\\xFF'::BLOB AS bin, DATE '2024-02-29' AS dt, DATE '1969-12-31' AS dt_old,
    TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, TIMESTAMPTZ '2024-01-02 03:04:05.000001+02' AS tstz,
    TIMESTAMP '1969-12-31 23:59:59.999999' AS ts_old, [1, NULL, 3] AS l,
    {'a': 1, 'b': [DATE '2024-01-01'], 'c': 2.50::DECIMAL(4,2), 'd': {'e': 9223372036854775807::BIGINT}} AS st,
    MAP {'k': 1, 'z': NULL} AS m, 'p1' AS part
  UNION ALL
  SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'p1'`;

const EXPECTED_FIRST: Row = {
  id: 1,
  b: true,
  i8: -8,
  i16: 300,
  i32: 70000,
  i64: 9007199254740993n,
  f32: 1.5,
  nan: NaN,
  ninf: -Infinity,
  f64: 0.1,
  big_dec: '12345678901234567890.123456789',
  money: '12.50',
  cents: '-0.05',
  s: 'héllo, "world"',
  bin: new Uint8Array([0, 1, 255]),
  dt: '2024-02-29',
  dt_old: '1969-12-31',
  ts: '2024-01-02T03:04:05.123456Z',
  tstz: '2024-01-02T01:04:05.000001Z',
  ts_old: '1969-12-31T23:59:59.999999Z',
  l: [1, null, 3],
  st: { a: 1, b: ['2024-01-01'], c: '2.50', d: { e: 9223372036854775807n } },
  m: { k: 1, z: null },
  part: 'p1',
};

describe('plain row values', () => {
  let tm: Tidemark;
  let base: string;
  useEngine('plain-values', (e) => {
    tm = e.tm;
    base = path.join(e.dir, 'types');
  });
  beforeAll(async () => {
    await tm.upsert(base, { query: TYPES_QUERY }, { create: { name: 'types', recordKeyFields: ['id'], precombineField: 'id', partitionFields: ['part'] } });
  });

  const columns = Object.keys(EXPECTED_FIRST);
  const nullRow: Row = Object.fromEntries(columns.map((c) => [c, c === 'id' ? 2 : c === 'part' ? 'p1' : null]));

  it('read returns every stored type as plain JavaScript, exactly', async () => {
    const rows = await tm.read(base, { columns });
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    expect(notPlain(rows)).toEqual([]);
    expect(rows).toEqual([EXPECTED_FIRST, nullRow]);
    // The blob is a Uint8Array of its own, not a view of DuckDB's shared buffer.
    const bin = rows[0]!.bin as Uint8Array;
    expect(Object.getPrototypeOf(bin)).toBe(Uint8Array.prototype);
    expect(bin.buffer.byteLength).toBe(3);
    // Meta columns are strings.
    const [meta] = await tm.read(base, { columns: ['_hoodie_record_key', '_hoodie_commit_time'], where: 'id = 1' });
    expect(meta!._hoodie_record_key).toBe('1');
    expect(meta!._hoodie_commit_time).toMatch(/^\d{17}$/);
  });

  it('sql and lookup return the same plain values', async () => {
    const rows = await tm.sql(`SELECT ${columns.join(', ')} FROM tidemark_scan('${base}') ORDER BY id`);
    expect(notPlain(rows)).toEqual([]);
    expect(rows).toEqual([EXPECTED_FIRST, nullRow]);
    const found = await tm.lookup(base, ['1']);
    expect(notPlain(found)).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject(EXPECTED_FIRST);
  });

  it('the text of decimals, dates and timestamps casts back to the stored value', async () => {
    const [r] = await tm.read(base, { columns, where: 'id = 1' });
    const [{ n }] = (await tm.sql(`SELECT count(*) AS n FROM tidemark_scan('${base}')
      WHERE big_dec = '${String(r!.big_dec)}'::DECIMAL(38,9) AND dt = '${String(r!.dt)}'::DATE
        AND ts = '${String(r!.ts)}'::TIMESTAMPTZ AND tstz = '${String(r!.tstz)}'::TIMESTAMPTZ AND ts_old = '${String(r!.ts_old)}'::TIMESTAMPTZ`)) as [{ n: Value }];
    expect(n).toBe(1n);
    // A JavaScript Date parses the timestamps, to the millisecond.
    expect(new Date(String(r!.ts)).toISOString()).toBe('2024-01-02T03:04:05.123Z');
  });

  it('sql returns computed types a table cannot store as plain values too', async () => {
    const rows = await tm.sql(`SELECT 170141183460469231731687303715884105727::HUGEINT AS huge, 18446744073709551615::UBIGINT AS ubig,
      123456789012345678901234567890::BIGNUM AS bignum, 255::UTINYINT AS u8, 4294967295::UINTEGER AS u32,
      '00000000-0000-0000-0000-00000000000a'::UUID AS uuid, 'b'::ENUM('a', 'b') AS e,
      INTERVAL '1 year 2 months 3 days 04:05:06.789' AS iv, TIME '10:00:00.5' AS t, TIMETZ '10:00:00+02' AS ttz, '101'::BIT AS bit,
      [1, 2]::INTEGER[2] AS arr, union_value(k := 5) AS un, MAP {1: 'one', 2: NULL} AS int_map, MAP {'a': [1.5::DECIMAL(3,1)]} AS nested_map,
      TIMESTAMP_NS '2024-01-01 00:00:00.123456789' AS ns, TIMESTAMP_MS '2024-01-01 00:00:00.123' AS ms, TIMESTAMP_S '2024-01-01 00:00:01' AS sec,
      'infinity'::DATE AS d_inf, '-infinity'::TIMESTAMP AS ts_ninf, DATE '10000-01-01' AS d_far, ''::BLOB AS empty_bin,
      1::VARIANT AS var, NULL AS n, 'proto' AS "__proto__", 'x' AS dup, 'y' AS dup`);
    expect(notPlain(rows)).toEqual([]);
    const [r] = rows;
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.keys(r!)).toContain('__proto__');
    expect(r).toEqual({
      huge: 170141183460469231731687303715884105727n,
      ubig: 18446744073709551615n,
      bignum: 123456789012345678901234567890n,
      u8: 255,
      u32: 4294967295,
      uuid: '00000000-0000-0000-0000-00000000000a',
      e: 'b',
      iv: '1 year 2 months 3 days 04:05:06.789',
      t: '10:00:00.5',
      ttz: '10:00:00+02',
      bit: '101',
      arr: [1, 2],
      un: 5,
      int_map: { '1': 'one', '2': null },
      nested_map: { a: ['1.5'] },
      ns: '2024-01-01T00:00:00.123456789Z',
      ms: '2024-01-01T00:00:00.123000Z',
      sec: '2024-01-01T00:00:01.000000Z',
      d_inf: 'infinity',
      ts_ninf: '-infinity',
      d_far: '+010000-01-01',
      empty_bin: new Uint8Array(),
      var: 1,
      n: null,
      ['__proto__']: 'proto',
      dup: 'x',
      'dup:1': 'y',
    });
  });
});
