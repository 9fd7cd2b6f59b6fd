/**
 * Bad input gets a clear error naming the value, the table and the file, and leaves the table as it
 * was: same files, same timeline, same rows. A failed first write creates no table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import type { WriteInput } from '../../src/engine/write/input.ts';
import type { WriteOptions } from '../../src/engine/write/write-options.ts';
import { InvalidArgumentError, InvalidInputError, SchemaConflictError, type TidemarkError } from '../../src/errors.ts';
import { treeFingerprint } from '../support/tree.ts';
import { tableOptions } from '../support/table-options.ts';

const create = tableOptions('orders', { partitionFields: ['dt'] });

describe('bad input changes nothing', () => {
  let tm: Tidemark;
  let dir: string;
  let base: string;
  useEngine('bad', (e) => ({ tm, dir } = e));
  beforeAll(async () => {
    base = path.join(dir, 'orders');
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, dt: '2024-01-01', amount: 10 }, { id: 2, ts: 1, dt: '2024-01-02', amount: 20 }] }, { create });
  });

  const file = (name: string, content: string | Uint8Array): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };

  async function expectRejected(input: WriteInput, options: Partial<WriteOptions>, kind: new (...a: never[]) => TidemarkError, ...fragments: RegExp[]): Promise<TidemarkError> {
    const before = treeFingerprint(base);
    const rowsBefore = await tm.read(base);
    const error = await tm.write(base, input, { operation: 'upsert', ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    for (const f of fragments) expect((error as Error).message).toMatch(f);
    expect(treeFingerprint(base)).toEqual(before);
    expect(await tm.read(base)).toEqual(rowsBefore);
    return error as TidemarkError;
  }

  it('a null record key', async () => {
    const e = await expectRejected({ rows: [{ id: 3, ts: 1, dt: '2024-01-01', amount: 1 }, { id: null, ts: 1, dt: '2024-01-01', amount: 1 }] }, {}, InvalidInputError, /record key field "id" is null/, /input row 2/, /orders/);
    expect(e.table).toContain('orders');
  });

  it('an empty string key', async () => {
    const csv = file('empty-key.csv', 'id,ts,dt,amount\n5,1,2024-01-01,1\n,1,2024-01-01,2\n');
    // An empty CSV field reads as NULL; as a string key column it is just as invalid.
    await expectRejected({ file: csv }, {}, InvalidInputError, /record key field "id" is null or empty/, /empty-key\.csv/);
  });

  it('a missing key column', async () => {
    await expectRejected({ rows: [{ ts: 1, dt: '2024-01-01', amount: 1 }] }, {}, InvalidInputError, /no column "id"/);
  });

  it('a null ordering value', async () => {
    await expectRejected({ rows: [{ id: 7, ts: null, dt: '2024-01-01', amount: 1 }] }, {}, InvalidInputError, /precombine field "ts" is null/, /key "7"/);
  });

  it('a missing input file', async () => {
    const e = await expectRejected({ file: path.join(dir, 'nope.csv') }, {}, InvalidInputError, /nope\.csv does not exist/);
    expect(e.file).toBe(path.join(dir, 'nope.csv'));
  });

  it('a malformed CSV file', async () => {
    const csv = file('broken.csv', 'id,ts,dt,amount\n1,1,2024-01-01,5,extra,"unclosed\n');
    await expectRejected({ file: csv }, {}, InvalidInputError, /broken\.csv/);
  });

  it('a CSV file with an unterminated quote or ragged rows', async () => {
    await expectRejected({ file: file('quote.csv', 'id,ts,dt,amount\n1,1,"2024-01-01,5\n2,1,2024-01-02,6\n') }, {}, InvalidInputError, /quote\.csv/);
    await expectRejected({ file: file('ragged.csv', 'id,ts,dt,amount\n1,1,2024-01-01,5\n2,1,2024-01-02,6,x,y\n3\n') }, {}, InvalidInputError, /ragged\.csv/);
  });

  it('a filter that does not bind is the caller\'s error', async () => {
    await expect(tm.read(base, { where: 'no_such_column = 1' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(tm.sql('SELEC 1')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('a malformed JSON file', async () => {
    const json = file('broken.json', '[{"id": 1, "ts": 1, "dt": "2024-01-01", "amount": 3},');
    await expectRejected({ file: json }, {}, InvalidInputError, /broken\.json/);
  });

  it('a file that is not Parquet', async () => {
    const pq = file('fake.parquet', 'this is not parquet');
    await expectRejected({ file: pq }, {}, InvalidInputError, /fake\.parquet/);
  });

  it('a value that does not fit the column type', async () => {
    const csv = file('typed.csv', 'id,ts,dt,amount\n9,1,2024-01-01,12\nabc,1,2024-01-01,13\n');
    const e = await expectRejected({ file: csv }, {}, SchemaConflictError, /value "abc" in column "id"/, /BIGINT/, /typed\.csv/);
    expect(e.value).toBe('abc');
  });

  it('a column whose type conflicts with the table schema', async () => {
    const e = await expectRejected({ rows: [{ id: 3, ts: 1, dt: '2024-01-01', amount: { nested: 1 } }] }, {}, SchemaConflictError, /column "amount"/, /STRUCT/, /BIGINT|DOUBLE/);
    expect(e.value).toBe('amount');
  });

  it('a 128-bit sum that does not fit in 64 bits', async () => {
    const query = `SELECT 3 AS id, 1 AS ts, '2024-01-01' AS dt, sum(x) AS amount FROM (VALUES (9223372036854775807::BIGINT), (1::BIGINT)) t(x)`;
    await expectRejected({ query }, {}, SchemaConflictError, /value "9223372036854775808" in column "amount"/, /BIGINT/);
  });

  it('a table column missing from the input', async () => {
    await expectRejected({ rows: [{ id: 3, ts: 1, dt: '2024-01-01' }] }, {}, SchemaConflictError, /no column "amount"/);
  });

  it('an unknown operation', async () => {
    await expectRejected({ rows: [{ id: 3, ts: 1, dt: '2024-01-01', amount: 1 }] }, { operation: 'merge' as never }, InvalidArgumentError, /unknown write operation "merge"/);
  });

  it('a failed first write creates no table', async () => {
    const fresh = path.join(dir, 'fresh');
    const error = await tm.upsert(fresh, { rows: [{ id: null, ts: 1, dt: '2024-01-01' }] }, { create }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(fs.existsSync(fresh)).toBe(false);
  });

  it('a valid write still works afterwards', async () => {
    const r = await tm.upsert(base, { rows: [{ id: 3, ts: 1, dt: '2024-01-01', amount: 30 }] });
    expect(r.inserted).toBe(1);
    expect((await tm.read(base)).length).toBe(3);
  });
});
