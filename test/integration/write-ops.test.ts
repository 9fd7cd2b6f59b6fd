/** Writes from every input form, with every key layout, deletes, schema evolution and file sizing. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { parseProperties } from '../../src/table/properties.ts';
import { tableOptions } from '../support/table-options.ts';

describe('writes', () => {
  let tm: Tidemark;
  let dir: string;
  useEngine('ops', (e) => ({ tm, dir } = e));
  const props = (base: string): Map<string, string> => parseProperties(fs.readFileSync(path.join(base, '.hoodie/hoodie.properties'), 'latin1'));
  const write = (name: string, content: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };

  it('composite keys and hive-style multi-level partitions', async () => {
    const base = path.join(dir, 'complex');
    const create = { name: 'complex', recordKeyFields: ['id', 'name'], precombineField: 'ts', partitionFields: ['region', 'day'], hiveStylePartitioning: true };
    await tm.upsert(base, { rows: [{ id: 1, name: 'a', ts: 1, region: 'eu', day: 3 }, { id: 1, name: 'b', ts: 1, region: 'eu', day: 3 }] }, { create });
    const rows = await tm.read(base, { columns: ['_hoodie_record_key', '_hoodie_partition_path'] });
    expect(rows.map((r) => [r._hoodie_record_key, r._hoodie_partition_path]).sort()).toEqual([
      ['id:1,name:a', 'region=eu/day=3'],
      ['id:1,name:b', 'region=eu/day=3'],
    ]);
    expect(props(base).get('hoodie.table.keygenerator.class')).toBe('org.apache.hudi.keygen.ComplexKeyGenerator');
    expect(fs.readFileSync(path.join(base, 'region=eu/day=3/.hoodie_partition_metadata'), 'utf8')).toContain('partitionDepth=2');
  });

  it('non-partitioned tables keep files at the base path', async () => {
    const base = path.join(dir, 'flat');
    const r = await tm.upsert(base, { rows: [{ id: 1, ts: 1 }] }, { create: tableOptions('flat') });
    expect(r.files[0]).toMatch(/^[^/]+\.parquet$/);
    expect(props(base).get('hoodie.table.keygenerator.class')).toBe('org.apache.hudi.keygen.NonpartitionedKeyGenerator');
    expect(props(base).has('hoodie.table.partition.fields')).toBe(false);
    expect(fs.readFileSync(path.join(base, '.hoodie_partition_metadata'), 'utf8')).toContain('partitionDepth=0');
    expect((await tm.read(base, { columns: ['_hoodie_partition_path'] }))[0]!._hoodie_partition_path).toBe('');
  });

  it('partition values are escaped as Hudi does; nulls go to the default partition', async () => {
    const base = path.join(dir, 'escaped');
    const create = tableOptions('escaped', { partitionFields: ['p'], hiveStylePartitioning: true });
    const values = ['a/b', 'x=y', 'with space', 'ünï', '', null, '50%'];
    await tm.upsert(base, { rows: values.map((p, id) => ({ id, ts: 1, p })) }, { create });
    const dirs = fs.readdirSync(base).filter((n) => !n.startsWith('.')).sort();
    expect(dirs).toEqual(['p=50%25', 'p=__HIVE_DEFAULT_PARTITION__', 'p=a%2Fb', 'p=with space', 'p=x%3Dy', 'p=ünï'].sort());
    const pruned = await tm.fileSlices(base, { where: `p = 'a/b'` });
    expect(pruned.map((s) => s.partitionPath)).toEqual(['p=a%2Fb']);
    expect((await tm.read(base, { where: `p = 'a/b'`, columns: ['id'] })).map((r) => Number(r.id))).toEqual([0]);
  });

  it('reads CSV, newline-delimited JSON, JSON arrays, Parquet and queries', async () => {
    const base = path.join(dir, 'inputs');
    const create = tableOptions('inputs', { partitionFields: ['dt'] });
    await tm.upsert(base, { file: write('a.csv', 'id,ts,dt,v\n1,1,2024-01-01,csv\n') }, { create });
    await tm.upsert(base, { file: write('b.jsonl', '{"id":2,"ts":1,"dt":"2024-01-01","v":"ndjson"}\n{"id":3,"ts":1,"dt":"2024-01-02","v":"ndjson"}\n') });
    await tm.upsert(base, { file: write('c.json', '[{"id":4,"ts":1,"dt":"2024-01-02","v":"array"}]') });
    const pq = path.join(dir, 'd.parquet');
    await tm.duck.run(`COPY (SELECT 5 AS id, 1 AS ts, DATE '2024-01-03' AS dt, 'parquet' AS v) TO '${pq}' (FORMAT parquet)`);
    await tm.upsert(base, { file: pq });
    await tm.upsert(base, { query: `SELECT 6 AS id, 1 AS ts, '2024-01-03' AS dt, 'query' AS v` });
    const rows = await tm.read(base, { columns: ['id', 'v'] });
    expect(rows.map((r) => [Number(r.id), r.v]).sort()).toEqual([[1, 'csv'], [2, 'ndjson'], [3, 'ndjson'], [4, 'array'], [5, 'parquet'], [6, 'query']]);
  });

  it('deletes by operation and by _hoodie_is_deleted, respecting ordering for markers', async () => {
    const base = path.join(dir, 'deletes');
    const create = tableOptions('deletes');
    await tm.upsert(base, { rows: [1, 2, 3, 4].map((id) => ({ id, ts: 5 })) }, { create });
    const d = await tm.write(base, { rows: [{ id: 1 }, { id: 99 }] }, { operation: 'delete' });
    expect([d.deleted, d.notFound]).toEqual([1, 1]);
    const m = await tm.upsert(base, { rows: [{ id: 2, ts: 6, _hoodie_is_deleted: true }, { id: 3, ts: 4, _hoodie_is_deleted: true }] });
    expect([m.deleted, m.skippedAsOlder]).toEqual([1, 1]);
    expect((await tm.read(base, { columns: ['id'] })).map((r) => Number(r.id)).sort()).toEqual([3, 4]);
    const cols = (await tm.sql(`DESCRIBE SELECT * FROM tidemark_scan('${base}')`)).map((c) => c.column_name);
    expect(cols).not.toContain('_hoodie_is_deleted');
  });

  it('deleting every row of a file group leaves an empty slice, and incremental reads stay right', async () => {
    const base = path.join(dir, 'emptied');
    const first = await tm.upsert(base, { rows: [{ id: 1, ts: 1 }] }, { create: tableOptions('emptied') });
    const del = await tm.write(base, { rows: [{ id: 1 }] }, { operation: 'delete' });
    expect(del.instant).toBeDefined();
    expect(await tm.read(base)).toEqual([]);
    expect((await tm.read(base, { asOf: first.instant! })).length).toBe(1);
    expect(await tm.read(base, { since: first.instant! })).toEqual([]);
    const again = await tm.upsert(base, { rows: [{ id: 2, ts: 1 }] });
    expect(again.files).toHaveLength(1);
    expect((await tm.read(base, { columns: ['id'] })).map((r) => Number(r.id))).toEqual([2]);
  });

  it('adds new nullable columns and widens types; old rows read the new column as null', async () => {
    const base = path.join(dir, 'evolve');
    const create = tableOptions('evolve', { partitionFields: ['p'] });
    await tm.upsert(base, { query: `SELECT 1 AS id, 1 AS ts, 'x' AS p, 10::INTEGER AS n UNION ALL SELECT 2, 1, 'y', 20::INTEGER` }, { create });
    const r = await tm.upsert(base, { query: `SELECT 3 AS id, 1 AS ts, 'x' AS p, 30000000000::BIGINT AS n, 'new' AS extra` });
    expect(r.addedColumns).toEqual(['extra']);
    expect(r.widenedColumns).toEqual(['n']);
    const rows = await tm.read(base, { columns: ['id', 'n', 'extra'] });
    expect(rows.map((x) => [Number(x.id), Number(x.n), x.extra]).sort()).toEqual([[1, 10, null], [2, 20, null], [3, 30000000000, 'new']]);
    const cols = await tm.sql(`DESCRIBE SELECT n FROM tidemark_scan('${base}')`);
    expect(cols[0]!.column_type).toBe('BIGINT');
  });

  it('max file size splits inserts into new file groups of maxFileSize / recordSize records', async () => {
    const base = path.join(dir, 'split');
    // Hudi's 1 KB record estimate (no commit has written more than the small-file limit yet): 10 records a file.
    const create = tableOptions('split', { maxFileSize: 10 * 1024 });
    const r = await tm.write(base, { rows: Array.from({ length: 25 }, (_, id) => ({ id, ts: 1 })) }, { operation: 'bulk_insert', create });
    expect(r.filesWritten).toBe(3);
    const counts = await tm.sql(`SELECT count(*) AS n FROM tidemark_scan('${base}') GROUP BY _hoodie_file_name ORDER BY n`);
    expect(counts.map((c) => Number(c.n))).toEqual([5, 10, 10]);
  });

  it('inserts fill the small file group first; bulk_insert always opens a new one', async () => {
    const base = path.join(dir, 'small');
    // A one-row file is ~430 KB (its bloom filter), under the 900 KB small-file limit.
    const create = tableOptions('small', { smallFileLimit: 900_000, maxFileSize: 1_000_000 });
    const first = await tm.upsert(base, { rows: [{ id: 1, ts: 1 }] }, { create });
    const fileId = (f: string): string => path.basename(f).split('_')[0]!;
    const second = await tm.write(base, { rows: [{ id: 2, ts: 1 }, { id: 3, ts: 1 }] }, { operation: 'insert' });
    expect(second.files.map(fileId)).toEqual(first.files.map(fileId));
    const bulk = await tm.write(base, { rows: [{ id: 4, ts: 1 }] }, { operation: 'bulk_insert' });
    expect(bulk.files.map(fileId)).not.toEqual(first.files.map(fileId));
    expect((await tm.fileSlices(base)).length).toBe(2);
    expect((await tm.read(base)).length).toBe(4);
  });

  it('insert does not look up stored keys: a stored key inserted again is kept twice', async () => {
    const base = path.join(dir, 'dupes');
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, v: 'a' }] }, { create: tableOptions('dupes') });
    await tm.write(base, { rows: [{ id: 1, ts: 2, v: 'b' }] }, { operation: 'insert' });
    expect((await tm.read(base, { columns: ['v'] })).map((r) => r.v).sort()).toEqual(['a', 'b']);
    const up = await tm.upsert(base, { rows: [{ id: 1, ts: 3, v: 'c' }] });
    expect(up.updated).toBe(2);
    expect((await tm.read(base, { columns: ['v'] })).map((r) => r.v)).toEqual(['c', 'c']);
  });

  it('dropUnchanged makes a replay of the same rows a no-op, but a change with the same ordering value still lands', async () => {
    const base = path.join(dir, 'replay');
    const rows = [{ id: 1, ts: 5, v: 'a' }, { id: 2, ts: 5, v: 'b' }];
    await tm.upsert(base, { rows }, { create: tableOptions('replay') });
    const replay = await tm.upsert(base, { rows }, { dropUnchanged: true });
    expect([replay.instant, replay.unchanged, replay.updated]).toEqual([undefined, 2, 0]);
    const corrected = await tm.upsert(base, { rows: [{ id: 1, ts: 5, v: 'a' }, { id: 2, ts: 5, v: 'B' }] }, { dropUnchanged: true });
    expect([corrected.unchanged, corrected.updated]).toEqual([1, 1]);
    const tie = await tm.upsert(base, { rows: [{ id: 1, ts: 5, v: 'a' }] });
    expect(tie.updated).toBe(1); // Hudi's own rule: ties go to the incoming record
  });

  it('insert_overwrite_table replaces every file group in one replacecommit', async () => {
    const base = path.join(dir, 'overwrite');
    const create = tableOptions('overwrite', { partitionFields: ['p'] });
    const first = await tm.upsert(base, { rows: [{ id: 1, ts: 1, p: 'x' }, { id: 2, ts: 1, p: 'y' }] }, { create });
    const over = await tm.write(base, { rows: [{ id: 3, ts: 1, p: 'x' }] }, { operation: 'insert_overwrite_table' });
    expect(over.replacedFileGroups).toBe(2);
    expect(fs.existsSync(path.join(base, `.hoodie/${over.instant}.replacecommit`))).toBe(true);
    const meta = JSON.parse(fs.readFileSync(path.join(base, `.hoodie/${over.instant}.replacecommit`), 'utf8'));
    expect(meta.operationType).toBe('INSERT_OVERWRITE_TABLE');
    expect(Object.keys(meta.partitionToReplaceFileIds).sort()).toEqual(['x', 'y']);
    expect((await tm.read(base, { columns: ['id'] })).map((r) => Number(r.id))).toEqual([3]);
    expect((await tm.read(base, { asOf: first.instant!, columns: ['id'] })).map((r) => Number(r.id)).sort()).toEqual([1, 2]);
    expect((await tm.read(base, { since: first.instant!, columns: ['id'] })).map((r) => Number(r.id))).toEqual([3]);
    const after = await tm.upsert(base, { rows: [{ id: 3, ts: 2, p: 'x' }, { id: 4, ts: 1, p: 'y' }] });
    expect([after.updated, after.inserted]).toEqual([1, 1]);
  });

  it('orders versions by a timestamp precombine field, within the batch and against stored rows', async () => {
    const base = path.join(dir, 'ts-order');
    const create = { name: 'ts_order', recordKeyFields: ['id'], precombineField: 'updated_at' };
    // 11:00+02 is 09:00Z: earlier than 10:00Z although its wall clock reads later. Time zones compare as instants.
    const first = await tm.upsert(base, { query: `SELECT 1 AS id, TIMESTAMPTZ '2024-01-01 10:00:00+00' AS updated_at, 'a' AS v UNION ALL SELECT 1, TIMESTAMPTZ '2024-01-01 11:00:00+02', 'b'` }, { create });
    expect(first.inserted).toBe(1);
    expect((await tm.read(base, { columns: ['v'] }))[0]!.v).toBe('a');
    const late = await tm.upsert(base, { query: `SELECT 1 AS id, TIMESTAMP '2024-01-01 09:30:00' AS updated_at, 'late' AS v` });
    expect(late.skippedAsOlder).toBe(1);
    const newer = await tm.upsert(base, { rows: [{ id: 1, updated_at: '2024-01-01T10:00:00.000001Z', v: 'c' }] });
    expect(newer.updated).toBe(1);
    const [row] = await tm.read(base, { columns: ['v', 'updated_at'] });
    expect(row!.v).toBe('c');
  });
});
