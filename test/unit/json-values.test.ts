import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateString, decimalString, timestampNanosString, timestampString, toJsonValue, toText } from '../../src/cli/json-values.ts';
import { renderCsv, renderJsonl, renderRows, renderTable } from '../../src/cli/output.ts';
import { plainRows } from '../../src/storage/duckdb/values.ts';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** The single row of `sql`, as `getRowObjects()` returns it (DuckDB's value classes). */
async function row(sql: string): Promise<Record<string, unknown>> {
  return (await connection.runAndReadAll(sql)).getRowObjects()[0] as Record<string, unknown>;
}

describe('toJsonValue on real DuckDB values', () => {
  it('keeps integers exact: numbers up to 2^53, strings beyond', async () => {
    const r = await row(`SELECT 42::INTEGER AS i, 9007199254740992::BIGINT AS at, 9007199254740993::BIGINT AS above,
      -9007199254740993::BIGINT AS below, 170141183460469231731687303715884105727::HUGEINT AS huge, 18446744073709551615::UBIGINT AS u`);
    expect(Object.values(r).map(toJsonValue)).toEqual([42, 9007199254740992, '9007199254740993', '-9007199254740993', '170141183460469231731687303715884105727', '18446744073709551615']);
  });

  it('renders decimals as exact strings and doubles as numbers', async () => {
    const r = await row(`SELECT 12345.67890::DECIMAL(12,5) AS a, -0.05::DECIMAL(4,2) AS b, 0::DECIMAL(3,0) AS c,
      123456789012345678901234567.891::DECIMAL(38,3) AS d, 1.5::DOUBLE AS e, 'NaN'::DOUBLE AS f, '-inf'::DOUBLE AS g`);
    expect(Object.values(r).map(toJsonValue)).toEqual(['12345.67890', '-0.05', '0', '123456789012345678901234567.891', 1.5, 'NaN', '-Infinity']);
  });

  it('renders dates and timestamps as ISO-8601, timestamps in UTC with Z', async () => {
    const r = await row(`SELECT DATE '2024-01-02' AS d, DATE '1969-12-31' AS d0, TIMESTAMP '2024-01-01 10:00:00' AS ts,
      TIMESTAMP '1969-12-31 23:59:59.999999' AS neg, TIMESTAMPTZ '2024-01-01 10:00:00.5+02' AS tz, TIMESTAMP_MS '2024-02-29 01:02:03.004' AS ms,
      TIMESTAMP_S '2024-02-29 01:02:03' AS s, TIMESTAMP_NS '2024-02-29 01:02:03.123456789' AS ns, 'infinity'::DATE AS dinf, '-infinity'::TIMESTAMP AS tinf`);
    expect(Object.values(r).map(toJsonValue)).toEqual([
      '2024-01-02',
      '1969-12-31',
      '2024-01-01T10:00:00.000000Z',
      '1969-12-31T23:59:59.999999Z',
      '2024-01-01T08:00:00.500000Z',
      '2024-02-29T01:02:03.004000Z',
      '2024-02-29T01:02:03.000000Z',
      '2024-02-29T01:02:03.123456789Z',
      'infinity',
      '-infinity',
    ]);
  });

  it('converts nested values recursively and blobs to base64', async () => {
    const r = await row(`SELECT {'a': 9007199254740993::BIGINT, 'b': [DATE '2024-01-02', NULL], 'c': {'d': 1.25::DECIMAL(5,2)}} AS s,
      [[1, 2], [3]] AS l, [1, 2]::INTEGER[2] AS arr, MAP {'k': TIMESTAMP '2024-01-01 00:00:00'} AS m, MAP {1: 'one'} AS mi,
      '\\x01\\x02\\xFF'::BLOB AS bin, NULL::INTEGER AS n, true AS t, 'x' AS v`);
    expect(Object.values(r).map(toJsonValue)).toEqual([
      { a: '9007199254740993', b: ['2024-01-02', null], c: { d: '1.25' } },
      [[1, 2], [3]],
      [1, 2],
      { k: '2024-01-01T00:00:00.000000Z' },
      { '1': 'one' },
      'AQL/',
      null,
      true,
      'x',
    ]);
  });

  it('text form: nested values as JSON, null stays null', async () => {
    const r = await row(`SELECT {'a': [1]} AS s, 3.50::DECIMAL(4,2) AS d, NULL AS n`);
    expect([toText(r.s), toText(r.d), toText(r.n)]).toEqual(['{"a":[1]}', '3.50', null]);
  });
});

describe('formatting helpers', () => {
  it('formats decimals, dates and timestamps at the edges', () => {
    expect(decimalString(1234567890n, 5)).toBe('12345.67890');
    expect(decimalString(-5n, 2)).toBe('-0.05');
    expect(decimalString(7n, 0)).toBe('7');
    expect(dateString(0)).toBe('1970-01-01');
    expect(dateString(-719_528)).toBe('0000-01-01');
    expect(dateString(2_932_897)).toBe('+010000-01-01');
    expect(timestampString(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(timestampNanosString(1n)).toBe('1970-01-01T00:00:00.000000001Z');
  });
});

describe('renderers', () => {
  const rows = [
    { id: 1n, name: 'a, "b"\nc', price: null },
    { id: 2n, name: 'plain', price: 3 },
  ];

  it('CSV quotes by RFC 4180 with a header row', () => {
    expect(renderCsv(rows, ['id', 'name', 'price'])).toBe('id,name,price\r\n1,"a, ""b""\nc",\r\n2,plain,3\r\n');
  });

  it('JSON lines: one object per row', () => {
    expect(renderJsonl(rows).split('\n')).toEqual(['{"id":1,"name":"a, \\"b\\"\\nc","price":null}', '{"id":2,"name":"plain","price":3}', '']);
  });

  it('table aligns columns, truncates long cells and counts rows', () => {
    const out = renderTable([{ k: 'x'.repeat(100), n: 5 }, { k: 'y', n: 123 }], ['k', 'n']);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^k +n$/);
    expect(lines[2]).toBe(`${'x'.repeat(59)}…    5`);
    expect(lines[3]).toBe(`y${' '.repeat(59)}  123`);
    expect(lines[4]).toBe('(2 rows)');
  });
});

describe('plain rows (the public API) render as DuckDB values do', () => {
  it('jsonl, csv and table are the same for every type, decimals right-aligned', async () => {
    const sql = `SELECT * FROM (VALUES
        (1, 9007199254740993::BIGINT, 12.50::DECIMAL(4,2), DATE '2024-01-02', TIMESTAMP '2024-01-01 10:00:00.123456', TIMESTAMP_NS '2024-01-01 00:00:00.000000001',
         '\\x01\\xFF'::BLOB, {'a': [1.25::DECIMAL(5,2)], 'b': MAP {2: INTERVAL '1 day'}}, 'NaN'::DOUBLE, 'x', TIME '10:00:00', '01'::BIT),
        (22, NULL, 1.5, 'infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL))
      t(i, big, price, d, ts, ns, bin, s, f, v, t, bit)`;
    const result = await connection.runAndReadAll(sql);
    const raw = result.getRowObjects() as Record<string, unknown>[];
    const plain = plainRows(result);
    for (const format of ['jsonl', 'csv', 'table'] as const) expect(renderRows(format, plain), format).toBe(renderRows(format, raw));
    expect(renderTable(plain, ['price']).split('\n').slice(2, 4)).toEqual(['12.50', ' 1.50']);
  });
});
