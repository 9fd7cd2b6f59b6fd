/**
 * Conformance: every copy-on-write table-version-6 fixture written by Spark reads back what
 * ../shared/fixtures/hudi/MANIFEST.md says, at every instant, and takes Tidemark's upserts on the
 * keys Spark wrote; versions 8 and 9 are refused by name.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tidemark } from '../../src/engine/tidemark.ts';
import { UnsupportedTableVersionError } from '../../src/errors.ts';
import { HUDI_FIXTURES, extractFixture } from '../support/hudi-fixtures.ts';

type Sample = [number, string, boolean];
const C1_ROWS: Sample[] = [[1, 'Alice', true], [2, 'Bob', false], [3, 'Carol', true]];
const FINAL_ROWS: Sample[] = [[1, 'Alice', false], [2, 'Bob', false], [3, 'Carol', true], [4, 'Diana', true]];
const PLAN_SQL = (t: string): string =>
  `SELECT id, name, isActive, structField.field2 AS field2 FROM tidemark_scan('${t}') WHERE id % 2 = 0 AND name != 'Alice' AND structField.field2 > 30 ORDER BY name LIMIT 10`;

function samples(rows: Record<string, unknown>[]): Sample[] {
  return rows
    .map((r) => [Number(r.id), String(r.name), Boolean(r.isActive)] as Sample)
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
}

describe.skipIf(HUDI_FIXTURES === undefined)('Spark-written Hudi v6 copy-on-write fixtures', () => {
  let tm: Tidemark;
  const tables = new Map<string, string>();
  const table = (name: string): string => {
    if (!tables.has(name)) tables.set(name, extractFixture(`sample_table/cow/${name}.zip`));
    return tables.get(name)!;
  };
  beforeAll(async () => {
    tm = await Tidemark.open();
  });
  afterAll(() => tm.close());

  const completedWrites = async (t: string): Promise<string[]> =>
    (await tm.commits(t)).filter((c) => c.state === 'COMPLETED' && ['commit', 'replacecommit'].includes(c.action)).map((c) => c.time);

  it('v6_empty: no rows, schema from the create schema with meta fields first', async () => {
    const t = table('v6_empty');
    expect(await tm.read(t)).toEqual([]);
    expect(await tm.read(t, { since: '0' })).toEqual([]);
    const cols = await tm.sql(`DESCRIBE SELECT * FROM tidemark_scan('${t}')`);
    expect(cols.map((c) => c.column_name)).toEqual([
      '_hoodie_commit_time', '_hoodie_commit_seqno', '_hoodie_record_key', '_hoodie_partition_path', '_hoodie_file_name', 'id', 'name', 'isActive',
    ]);
  });

  for (const name of ['v6_nonpartitioned', 'v6_simplekeygen_nonhivestyle', 'v6_complexkeygen_hivestyle', 'v6_timebasedkeygen_nonhivestyle']) {
    it(`${name}: snapshot at every instant, incremental between them, the filter query`, async () => {
      const t = table(name);
      const [c1, c2] = await completedWrites(t);
      expect(c2).toBeDefined();
      expect(samples(await tm.read(t))).toEqual(FINAL_ROWS);
      expect(samples(await tm.read(t, { asOf: c1! }))).toEqual(C1_ROWS);
      expect(samples(await tm.read(t, { asOf: c2! }))).toEqual(FINAL_ROWS);
      expect(await tm.read(t, { asOf: '19700101000000' })).toEqual([]);
      expect(samples(await tm.read(t, { since: '19700101000000', until: c1! }))).toEqual(C1_ROWS);
      expect(samples(await tm.read(t, { since: c1! }))).toEqual([[1, 'Alice', false], [4, 'Diana', true]]);
      expect(await tm.read(t, { since: c2! })).toEqual([]);
      const plan = await tm.sql(PLAN_SQL(t));
      expect(plan.map((r) => [Number(r.id), r.name, r.isActive, Number(r.field2)])).toEqual([[2, 'Bob', false, 40], [4, 'Diana', true, 50]]);
      const meta = await tm.read(t, { where: `_hoodie_record_key != ''` });
      expect(meta.length).toBe(4);
    });
  }

  it('v6_nonpartitioned: file slices as of instants, projection and filters, 21 columns', async () => {
    const t = table('v6_nonpartitioned');
    const names = async (asOf?: string): Promise<string[]> =>
      (await tm.fileSlices(t, asOf === undefined ? {} : { asOf })).map((s) => s.baseFile.fileName);
    expect(await names()).toEqual(['a079bdb3-731c-4894-b855-abfcd6921007-0_0-203-274_20240418173551906.parquet']);
    expect(await names('20240418173551906')).toEqual(['a079bdb3-731c-4894-b855-abfcd6921007-0_0-203-274_20240418173551906.parquet']);
    expect(await names('20240418173551905')).toEqual(['a079bdb3-731c-4894-b855-abfcd6921007-0_0-182-253_20240418173550988.parquet']);
    expect(await names('19700101000000')).toEqual([]);
    expect(samples(await tm.read(t, { where: 'isActive = true' }))).toEqual([[3, 'Carol', true], [4, 'Diana', true]]);
    const projected = await tm.read(t, { columns: ['id'], where: 'isActive = true' });
    expect(projected.map((r) => Object.keys(r))).toEqual([['id'], ['id']]);
    expect(projected.map((r) => Number(r.id)).sort()).toEqual([3, 4]);
    expect(Object.keys((await tm.read(t, { columns: ['id', 'name'] }))[0]!)).toEqual(['id', 'name']);
    expect(Object.keys((await tm.read(t))[0]!)).toHaveLength(21);
    const carried = await tm.read(t, { columns: ['id', '_hoodie_commit_time', '_hoodie_commit_seqno'], where: 'id = 2' });
    expect(carried).toEqual([{ id: 2, _hoodie_commit_time: '20240418173550988', _hoodie_commit_seqno: '20240418173550988_0_0' }]);
  });

  it('v6_simplekeygen_nonhivestyle: partition pruning by a filter on the partition column', async () => {
    const t = table('v6_simplekeygen_nonhivestyle');
    const all = await tm.fileSlices(t);
    expect(all.map((s) => s.baseFile.path)).toEqual([
      '10/97de74b1-2a8e-4bb7-874c-0a74e1f42a77-0_0-119-166_20240418172804498.parquet',
      '20/76e0556b-390d-4249-b7ad-9059e2bc2cbd-0_0-98-141_20240418172802262.parquet',
      '30/6db57019-98ee-480e-8eb1-fb3de48e1c24-0_1-119-167_20240418172804498.parquet',
    ]);
    expect((await tm.fileSlices(t, { where: 'byteField = 10' })).map((s) => s.partitionPath)).toEqual(['10']);
    expect((await tm.fileSlices(t, { where: 'byteField >= 10 AND byteField < 30 AND name IS NOT NULL' })).map((s) => s.partitionPath)).toEqual(['10', '20']);
    expect(await tm.fileSlices(t, { where: 'byteField > 30' })).toEqual([]);
    expect(samples(await tm.read(t, { where: 'byteField = 10' }))).toEqual([[1, 'Alice', false], [3, 'Carol', true]]);
    expect(await tm.read(t, { where: 'byteField = 999' })).toEqual([]);
    const ids = await tm.sql(`SELECT id FROM tidemark_scan('${t}') WHERE byteField = 20 ORDER BY id`);
    expect(ids.map((r) => Number(r.id))).toEqual([2]);
  });

  it('v6_complexkeygen_hivestyle: composite record keys', async () => {
    const t = table('v6_complexkeygen_hivestyle');
    const keys = (await tm.read(t, { columns: ['_hoodie_record_key'] })).map((r) => r._hoodie_record_key).sort();
    expect(keys).toEqual(['id:1,name:Alice', 'id:2,name:Bob', 'id:3,name:Carol', 'id:4,name:Diana']);
    expect((await tm.fileSlices(t, { where: 'byteField = 10 AND shortField = 300' })).map((s) => s.partitionPath)).toEqual(['byteField=10/shortField=300']);
  });

  it('v6_simplekeygen_hivestyle_no_metafields: rows, meta columns null except the file name', async () => {
    const t = table('v6_simplekeygen_hivestyle_no_metafields');
    const rows = await tm.read(t);
    expect(samples(rows)).toEqual(FINAL_ROWS);
    for (const r of rows) {
      expect([r._hoodie_commit_time, r._hoodie_commit_seqno, r._hoodie_record_key, r._hoodie_partition_path]).toEqual([null, null, null, null]);
      expect(String(r._hoodie_file_name)).toMatch(/\.parquet$/);
    }
    const plan = await tm.sql(PLAN_SQL(t));
    expect(plan.map((r) => Number(r.id))).toEqual([2, 4]);
    await expect(tm.read(t, { since: '0' })).rejects.toThrow(/no meta fields/);
  });

  it('v6_simplekeygen_nonhivestyle_overwritetable: replacecommit hides the replaced file groups', async () => {
    const t = table('v6_simplekeygen_nonhivestyle_overwritetable');
    const [c1, c2, c3] = await completedWrites(t);
    expect([c1, c2, c3]).toEqual(['20240707001301554', '20240707001302376', '20240707001303088']);
    const inc = async (since: string, until?: string): Promise<Sample[]> => samples(await tm.read(t, { since, ...(until ? { until } : {}) }));
    expect(await inc('19700101000000', c1)).toEqual(C1_ROWS);
    expect(await inc(c1!, c2)).toEqual([[1, 'Alice', false], [4, 'Diana', true]]);
    expect(await inc(c2!, c3)).toEqual([[4, 'Diana', false]]);
    expect(await inc(c1!)).toEqual([[4, 'Diana', false]]);
    expect(await inc(c3!)).toEqual([]);
    expect(samples(await tm.read(t, { asOf: c2! }))).toEqual(FINAL_ROWS);
    expect(samples(await tm.read(t))).toEqual([[4, 'Diana', false]]);
    const latest = await tm.fileSlices(t);
    expect(latest.map((s) => s.fileId)).toEqual(['ebcb261d-62d3-4895-90ec-5b3c9622dff4-0']);
    const plan = await tm.sql(PLAN_SQL(t));
    expect(plan.map((r) => [Number(r.id), r.name, r.isActive, Number(r.field2)])).toEqual([[4, 'Diana', false, 50]]);
  });

  it('v6_simplekeygen_nonhivestyle: an upsert by Tidemark meets the keys Spark wrote (newer wins, older loses, new keys added)', async () => {
    const t = extractFixture('sample_table/cow/v6_simplekeygen_nonhivestyle.zip'); // its own copy: it is written
    // The rows as Spark stored them (every column type), from the latest file slices.
    const files = (await tm.fileSlices(t)).map((f) => `'${path.join(t, f.baseFile.path)}'`);
    const scan = `read_parquet([${files.join(', ')}], union_by_name = true)`;
    const result = await tm.upsert(t, {
      query: `SELECT * REPLACE (longField + 1 AS longField, 'Bobby' AS name) FROM ${scan} WHERE id = 2
        UNION ALL SELECT * REPLACE (longField - 1 AS longField, 'Stale' AS name) FROM ${scan} WHERE id = 3
        UNION ALL SELECT * REPLACE (5 AS id, 'Eve' AS name) FROM ${scan} WHERE id = 4`,
    });
    expect([result.updated, result.skippedAsOlder, result.inserted]).toEqual([1, 1, 1]);
    expect(samples(await tm.read(t))).toEqual([[1, 'Alice', false], [2, 'Bobby', false], [3, 'Carol', true], [4, 'Diana', true], [5, 'Eve', true]]);
    // The updated record keeps Spark's key and partition, in a new slice of the same file group.
    const [bob] = await tm.read(t, { where: 'id = 2', columns: ['_hoodie_record_key', '_hoodie_partition_path', '_hoodie_file_name'] });
    expect(bob).toMatchObject({ _hoodie_record_key: '2', _hoodie_partition_path: '20' });
    expect(String(bob!._hoodie_file_name)).toMatch(/^76e0556b-390d-4249-b7ad-9059e2bc2cbd-0_.*_\d{17}\.parquet$/);
  });

  const newer = [
    ['v8_nonpartitioned', 8],
    ['v8_empty', 8],
    ['v8_simplekeygen_nonhivestyle', 8],
    ['v9_txns_simple_nometa', 9],
    ['v9_timebasedkeygen_epochmillis', 9],
  ] as const;
  for (const [name, version] of newer) {
    it(`${name}: refused with an error naming table version ${version}`, async () => {
      const t = table(name);
      const error = await tm.read(t).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedTableVersionError);
      expect(String((error as Error).message)).toContain(`version ${version}`);
    });
  }
});
