import { DuckDBInstance, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.ts';
import { columnTypeFromDuckDB, schemaFromColumns } from '../../src/storage/duckdb/types.ts';
import { duckdbTypeSql, type ColumnType } from '../../src/table/schema.ts';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Names and DuckDB types of the result columns of `sql`. */
async function columns(sql: string): Promise<{ names: string[]; types: DuckDBType[] }> {
  const reader = await connection.runAndReadAll(sql);
  return { names: reader.columnNames(), types: reader.columnTypes() };
}

async function typeOf(sqlType: string): Promise<DuckDBType> {
  return (await columns(`SELECT NULL::${sqlType} AS c`)).types[0]!;
}

describe('columnTypeFromDuckDB against real DuckDB result types', () => {
  it('maps a query with every supported column type', async () => {
    const { names, types } = await columns(`
      SELECT true AS b, 1::TINYINT AS i8, 1::SMALLINT AS i16, 1::INTEGER AS i32, 1::BIGINT AS i64,
             1::UTINYINT AS u8, 1::USMALLINT AS u16, 1::UINTEGER AS u32,
             1.5::FLOAT AS f32, 1.5::DOUBLE AS f64, 'x' AS s, '{"a":1}'::JSON AS j, uuid() AS u,
             'a'::ENUM('a', 'b') AS e, '\\x01'::BLOB AS bin, DATE '2024-01-01' AS d,
             TIMESTAMP '2024-01-01 00:00:00' AS ts, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS tstz,
             '2024-01-01'::TIMESTAMP_S AS ts_s, '2024-01-01'::TIMESTAMP_MS AS ts_ms, '2024-01-01'::TIMESTAMP_NS AS ts_ns,
             12.345::DECIMAL(10,3) AS dec, [1, 2] AS l, [1, 2]::INTEGER[2] AS arr, {'x': 1, 'y z': 'a'} AS st,
             MAP {'k': [1.5]} AS m`);
    expect(schemaFromColumns(names, types, { file: 'in.parquet' })).toEqual(
      (
        [
          ['b', { kind: 'boolean' }],
          ['i8', { kind: 'int8' }],
          ['i16', { kind: 'int16' }],
          ['i32', { kind: 'int32' }],
          ['i64', { kind: 'int64' }],
          ['u8', { kind: 'int16' }],
          ['u16', { kind: 'int32' }],
          ['u32', { kind: 'int64' }],
          ['f32', { kind: 'float32' }],
          ['f64', { kind: 'float64' }],
          ['s', { kind: 'string' }],
          ['j', { kind: 'string' }],
          ['u', { kind: 'string' }],
          ['e', { kind: 'string' }],
          ['bin', { kind: 'binary' }],
          ['d', { kind: 'date' }],
          ['ts', { kind: 'timestamp' }],
          ['tstz', { kind: 'timestamp' }],
          ['ts_s', { kind: 'timestamp' }],
          ['ts_ms', { kind: 'timestamp' }],
          ['ts_ns', { kind: 'timestamp' }],
          ['dec', { kind: 'decimal', precision: 10, scale: 3 }],
          ['l', { kind: 'list', element: { kind: 'int32' } }],
          ['arr', { kind: 'list', element: { kind: 'int32' } }],
          [
            'st',
            {
              kind: 'struct',
              fields: [
                { name: 'x', type: { kind: 'int32' } },
                { name: 'y z', type: { kind: 'string' } },
              ],
            },
          ],
          [
            'm',
            {
              kind: 'map',
              key: { kind: 'string' },
              value: { kind: 'list', element: { kind: 'decimal', precision: 2, scale: 1 } },
            },
          ],
        ] as Array<[string, ColumnType]>
      ).map(([name, type]) => ({ name, type })),
    );
  });

  it('round-trips duckdbTypeSql through DuckDB for nested types and awkward names', async () => {
    const samples: ColumnType[] = [
      { kind: 'decimal', precision: 38, scale: 38 },
      { kind: 'list', element: { kind: 'list', element: { kind: 'timestamp' } } },
      { kind: 'map', key: { kind: 'int64' }, value: { kind: 'map', key: { kind: 'string' }, value: { kind: 'binary' } } },
      {
        kind: 'struct',
        fields: [
          { name: 'quote"d', type: { kind: 'date' } },
          { name: 'with space', type: { kind: 'list', element: { kind: 'struct', fields: [{ name: 'x', type: { kind: 'float32' } }] } } },
          { name: 'SELECT', type: { kind: 'map', key: { kind: 'string' }, value: { kind: 'int8' } } },
        ],
      },
    ];
    for (const sample of samples) {
      expect(columnTypeFromDuckDB(await typeOf(duckdbTypeSql(sample)), 'c', {})).toEqual(sample);
    }
  });

  it.each(['UBIGINT', 'HUGEINT', 'UHUGEINT'])('stores %s (what sum() returns) as a 64-bit integer', async (sqlType) => {
    expect(columnTypeFromDuckDB(await typeOf(sqlType), 'total', {})).toEqual({ kind: 'int64' });
  });

  it.each([
    ['TIME', /VARCHAR/],
    ['TIMETZ', /VARCHAR/],
    ['INTERVAL', /VARCHAR/],
    ['UNION(i INTEGER, s VARCHAR)', /cast/],
    ['BIT', /cast/],
  ])('rejects %s, naming the column, its type and the file', async (sqlType, advice) => {
    const type = await typeOf(sqlType);
    let caught: unknown;
    try {
      columnTypeFromDuckDB(type, 'price', { file: 'data/in.parquet' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const error = caught as InvalidInputError;
    expect(error.message).toContain('"price"');
    expect(error.message).toContain('data/in.parquet');
    expect(error.message).toContain(type.toString());
    expect(error.message).toMatch(advice);
    expect(error.file).toBe('data/in.parquet');
  });

  it('names the nested path and the table for a bad type inside a struct or list', async () => {
    const { names, types } = await columns(`SELECT {'a': [INTERVAL 1 DAY]} AS s`);
    expect(() => schemaFromColumns(names, types, { table: 'warehouse/t' })).toThrow(
      /Column "s\.a\[\]" for table warehouse\/t has DuckDB type INTERVAL/,
    );
  });
});
