/**
 * Two edges of bad input: a batch with no rows, and a table that lost a base file.
 *
 * An empty batch (a blank CSV or JSON file, `[]`, a header-only CSV, a 0-row Parquet file, no rows
 * in code) commits nothing on an existing table; `insert_overwrite_table` of it empties the table.
 * It cannot create a table (no columns or types to take). A base file the timeline names but the
 * disk lacks fails reads, lookups and writes that need it with a `TableFormatError` naming the file,
 * the table and the commit that wrote it; nothing changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import type { WriteInput } from '../../src/engine/write/input.ts';
import type { WriteOperation } from '../../src/engine/write/write-plan.ts';
import { InvalidInputError, TableFormatError } from '../../src/errors.ts';
import { treeFingerprint } from '../support/tree.ts';
import { tableOptions } from '../support/table-options.ts';

const create = tableOptions('orders', { partitionFields: ['dt'] });
const seed = [
  { id: 1, ts: 1, dt: '2024-01-01', amount: 10 },
  { id: 2, ts: 1, dt: '2024-01-02', amount: 20 },
];

let tm: Tidemark;
let dir: string;
useEngine('empty', (e) => ({ tm, dir } = e));

const file = (name: string, content: string | Uint8Array): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};

async function emptyParquet(): Promise<string> {
  const p = path.join(dir, 'no-rows.parquet');
  await tm.duck.run(`COPY (SELECT 1::BIGINT AS id, 1::BIGINT AS ts, '2024-01-01' AS dt, 1.0::DOUBLE AS amount WHERE false) TO '${p}' (FORMAT parquet)`);
  return p;
}

describe('a batch with no rows', () => {
  let base: string;
  beforeEach(async () => {
    base = path.join(dir, `orders-${Math.random().toString(36).slice(2)}`);
    await tm.upsert(base, { rows: seed }, { create });
  });

  const blanks = (): Array<[string, WriteInput]> => [
    ['a 0-byte CSV file', { file: file('zero.csv', '') }],
    ['a 0-byte JSON file', { file: file('zero.json', '') }],
    ['a JSON-lines file of blank lines', { file: file('blank.jsonl', '\n  \n') }],
    ['an empty JSON array', { file: file('empty.json', '[]') }],
    ['an empty JSON array over lines', { file: file('empty-lines.json', '\uFEFF[\n  ]\n') }],
    ['a CSV file with only its header', { file: file('header.csv', 'id,ts,dt,amount\n') }],
    ['an empty array of rows', { rows: [] }],
  ];

  for (const operation of ['upsert', 'insert', 'bulk_insert', 'delete'] as const satisfies readonly WriteOperation[]) {
    it(`commits nothing on ${operation}, from every kind of empty input`, async () => {
      const inputs = [...blanks(), ['a Parquet file with no rows', { file: await emptyParquet() }] as [string, WriteInput]];
      for (const [what, input] of inputs) {
        const before = treeFingerprint(base);
        const result = await tm.write(base, input, { operation });
        expect(result.instant, what).toBeUndefined();
        expect([result.inserted, result.updated, result.deleted, result.filesWritten], what).toEqual([0, 0, 0, 0]);
        expect(treeFingerprint(base), what).toEqual(before);
      }
      expect(await tm.read(base, { columns: ['id', 'amount'] })).toEqual([
        { id: 1n, amount: 10n },
        { id: 2n, amount: 20n },
      ]);
    });
  }

  it('empties the table on insert_overwrite_table, as a replacecommit; older instants still read', async () => {
    const first = (await tm.commits(base)).at(-1)!.time;
    const result = await tm.write(base, { file: file('overwrite.json', '[]') }, { operation: 'insert_overwrite_table' });
    expect(result.instant).toBeDefined();
    expect(result.replacedFileGroups).toBe(2);
    expect(await tm.read(base)).toEqual([]);
    expect((await tm.commits(base)).at(-1)).toMatchObject({ time: result.instant, action: 'replacecommit' });
    expect(await tm.read(base, { asOf: first, columns: ['id'] })).toHaveLength(2);
  });

  it('is refused as a 0-byte Parquet file (not Parquet: even an empty one has a footer), naming the file', async () => {
    const before = treeFingerprint(base);
    const zero = file('zero.parquet', '');
    const error = await tm.upsert(base, { file: zero }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain(zero);
    expect((error as Error).message).toContain('orders');
    expect(treeFingerprint(base)).toEqual(before);
  });

  it('cannot create a table: a clear error naming the input and the table, and no table is left', async () => {
    const inputs = [...blanks(), ['a Parquet file with no rows', { file: await emptyParquet() }] as [string, WriteInput]];
    for (const [what, input] of inputs) {
      const fresh = path.join(dir, 'never-created');
      const error = await tm.upsert(fresh, input, { create }).catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message, what).toMatch(/has no rows, so it cannot create table orders/);
      if ('file' in input) expect((error as InvalidInputError).file, what).toBe(input.file);
      expect(fs.existsSync(fresh), what).toBe(false);
    }
  });
});

describe('a base file gone missing', () => {
  let base: string;
  let lost: string;
  let lostCommit: string;
  beforeAll(async () => {
    base = path.join(dir, 'damaged');
    await tm.upsert(base, { rows: seed }, { create });
    const second = await tm.upsert(base, { rows: [{ id: 1, ts: 2, dt: '2024-01-01', amount: 11 }] });
    lostCommit = second.instant!;
    lost = path.join(base, second.files.find((f) => f.startsWith('2024-01-01/'))!);
    fs.rmSync(lost);
  });

  function expectNamed(error: unknown): void {
    expect(error).toBeInstanceOf(TableFormatError);
    const message = (error as Error).message;
    expect(message).toContain(lost);
    expect(message).toContain('orders');
    expect(message).toContain(`written by commit ${lostCommit}`);
    expect(message).toContain('is missing');
    expect((error as TableFormatError).file).toBe(lost);
    expect((error as Error).cause).toBeDefined();
  }

  it('fails a snapshot read, a SQL scan and a key lookup, naming the file, the table and its commit', async () => {
    expectNamed(await tm.read(base).catch((e: unknown) => e));
    expectNamed(await tm.sql(`SELECT count(*) FROM tidemark_scan('${base}')`).catch((e: unknown) => e));
    expectNamed(await tm.lookup(base, ['1']).catch((e: unknown) => e));
  });

  it('fails an upsert into its file group the same way, and changes nothing', async () => {
    const before = treeFingerprint(base);
    const commits = await tm.commits(base);
    expectNamed(await tm.upsert(base, { rows: [{ id: 1, ts: 3, dt: '2024-01-01', amount: 12 }] }).catch((e: unknown) => e));
    expect(treeFingerprint(base)).toEqual(before);
    expect(await tm.commits(base)).toEqual(commits);
  });

  it('does not stop reads of the partitions that still have their files', async () => {
    expect(await tm.read(base, { where: `dt = '2024-01-02'`, columns: ['id'] })).toEqual([{ id: 2n }]);
  });
});
