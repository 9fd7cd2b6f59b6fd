/**
 * Tables Tidemark writes are laid out as Spark's Hudi writer lays out the fixtures: the same
 * property keys, timeline files, commit JSON fields, file names, meta columns and footer keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { DynamicBloomFilter } from '../../src/table/bloom-filter.ts';
import { parseProperties, tableChecksum } from '../../src/table/properties.ts';
import { HUDI_FIXTURES, extractFixture } from '../support/hudi-fixtures.ts';
import { tableOptions } from '../support/table-options.ts';

const BASE_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-0_\d+-\d+-\d+_\d{17}\.parquet$/;

describe('the layout of a table Tidemark writes', () => {
  let tm: Tidemark;
  let base: string;
  let instants: string[];
  useEngine('layout', (e) => {
    tm = e.tm;
    base = path.join(e.dir, 'orders');
  });
  beforeAll(async () => {
    const create = tableOptions('orders', { partitionFields: ['dt'], hiveStylePartitioning: true });
    const first = await tm.upsert(base, { rows: [{ id: 1, ts: 1, dt: '2024-01-01', v: 'a' }, { id: 2, ts: 1, dt: '2024-01-02', v: 'b' }] }, { create });
    const second = await tm.upsert(base, { rows: [{ id: 1, ts: 2, dt: '2024-01-01', v: 'a2' }, { id: 3, ts: 2, dt: '2024-01-01', v: 'c' }] });
    instants = [first.instant!, second.instant!];
  });

  it('hoodie.properties has the keys Spark writes, checksum last and valid', () => {
    const text = fs.readFileSync(path.join(base, '.hoodie/hoodie.properties'), 'latin1');
    const props = parseProperties(text);
    for (const key of [
      'hoodie.table.name', 'hoodie.database.name', 'hoodie.table.type', 'hoodie.table.version', 'hoodie.timeline.layout.version',
      'hoodie.table.recordkey.fields', 'hoodie.table.precombine.field', 'hoodie.table.partition.fields', 'hoodie.table.keygenerator.class',
      'hoodie.datasource.write.hive_style_partitioning', 'hoodie.datasource.write.partitionpath.urlencode',
      'hoodie.datasource.write.drop.partition.columns', 'hoodie.archivelog.folder', 'hoodie.table.create.schema', 'hoodie.table.checksum',
      'hoodie.parquet.compression.codec',
    ]) expect(props.has(key), key).toBe(true);
    expect(props.get('hoodie.table.version')).toBe('6');
    expect(props.get('hoodie.table.type')).toBe('COPY_ON_WRITE');
    expect(props.get('hoodie.table.keygenerator.class')).toBe('org.apache.hudi.keygen.SimpleKeyGenerator');
    expect(props.get('hoodie.table.checksum')).toBe(tableChecksum('default', 'orders'));
    expect(props.has('hoodie.table.metadata.partitions')).toBe(false);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^hoodie\.table\.checksum=\d+$/);
    expect(text.split('\n')[0]).toMatch(/^#Properties saved on \d{4}-\d{2}-\d{2}T/);
  });

  it('the timeline has requested, inflight and completed files per instant, strictly increasing', () => {
    const names = fs.readdirSync(path.join(base, '.hoodie')).filter((n) => /^\d/.test(n)).sort();
    expect(names).toEqual(instants.flatMap((t) => [`${t}.commit`, `${t}.commit.requested`, `${t}.inflight`]));
    expect(instants[0]! < instants[1]!).toBe(true);
    for (const t of instants) expect(t).toMatch(/^\d{17}$/);
    expect(fs.readFileSync(path.join(base, `.hoodie/${instants[0]}.commit.requested`), 'utf8')).toBe('');
    expect(fs.existsSync(path.join(base, '.hoodie/.temp', instants[1]!))).toBe(false);
  });

  it('commit metadata has Hudi v6 fields; write stats match the files', async () => {
    const commit = JSON.parse(fs.readFileSync(path.join(base, `.hoodie/${instants[1]}.commit`), 'utf8'));
    expect(Object.keys(commit)).toEqual(['partitionToWriteStats', 'compacted', 'extraMetadata', 'operationType']);
    expect(commit.operationType).toBe('UPSERT');
    const schema = JSON.parse(commit.extraMetadata.schema);
    expect(schema).toMatchObject({ type: 'record', name: 'orders_record', namespace: 'hoodie.orders' });
    expect(schema.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'ts', 'dt', 'v']);
    const stat = commit.partitionToWriteStats['dt=2024-01-01'][0];
    expect(Object.keys(stat)).toEqual([
      'fileId', 'path', 'cdcStats', 'prevCommit', 'numWrites', 'numDeletes', 'numUpdateWrites', 'numInserts', 'totalWriteBytes',
      'totalWriteErrors', 'tempPath', 'partitionPath', 'totalLogRecords', 'totalLogFilesCompacted', 'totalLogSizeCompacted',
      'totalUpdatedRecordsCompacted', 'totalLogBlocks', 'totalCorruptLogBlock', 'totalRollbackBlocks', 'fileSizeInBytes', 'minEventTime',
      'maxEventTime', 'runtimeStats',
    ]);
    expect(stat).toMatchObject({ prevCommit: instants[0], numWrites: 2, numUpdateWrites: 1, numInserts: 1, numDeletes: 0, partitionPath: 'dt=2024-01-01' });
    expect(stat.fileSizeInBytes).toBe(fs.statSync(path.join(base, stat.path)).size);
    expect(stat.totalWriteBytes).toBe(stat.fileSizeInBytes);
    expect(commit.partitionToWriteStats['dt=2024-01-02']).toBeUndefined();
  });

  it('base files: Hudi names, meta columns first, footer keys, partition metadata', async () => {
    const dir = path.join(base, 'dt=2024-01-01');
    expect(fs.readFileSync(path.join(dir, '.hoodie_partition_metadata'), 'utf8')).toMatch(/^#partition metadata\n#.+\ncommitTime=\d{17}\npartitionDepth=1\n$/);
    const files = fs.readdirSync(dir).filter((n) => n.endsWith('.parquet'));
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(BASE_FILE);
    const latest = path.join(dir, files.find((f) => f.endsWith(`_${instants[1]}.parquet`))!);
    const schema = await tm.duck.rows(`SELECT name, type, converted_type, repetition_type FROM parquet_schema('${latest}') WHERE name LIKE '\\_hoodie%' ESCAPE '\\'`);
    expect(schema.map((c) => c.name)).toEqual(['_hoodie_commit_time', '_hoodie_commit_seqno', '_hoodie_record_key', '_hoodie_partition_path', '_hoodie_file_name']);
    for (const c of schema) expect([c.type, c.converted_type, c.repetition_type]).toEqual(['BYTE_ARRAY', 'UTF8', 'OPTIONAL']);
    const cols = await tm.duck.rows(`SELECT name FROM parquet_schema('${latest}') WHERE name != 'duckdb_schema'`);
    expect(cols.slice(0, 5).map((c) => c.name)).toEqual(schema.map((c) => c.name));
    const kv = Object.fromEntries(
      (await tm.duck.rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${latest}')`)).map((r) => [r.k, r.v]),
    );
    expect(kv.hoodie_min_record_key).toBe('1');
    expect(kv.hoodie_max_record_key).toBe('3');
    expect(kv.hoodie_bloom_filter_type_code).toBe('DYNAMIC_V0');
    const bloom = DynamicBloomFilter.fromBase64(String(kv['org.apache.hudi.bloomfilter']));
    expect(['1', '3'].map((k) => bloom.mightContain(k))).toEqual([true, true]);
    expect(DynamicBloomFilter.create().toBase64()).not.toBe(kv['org.apache.hudi.bloomfilter']);
    const compression = await tm.duck.rows(`SELECT DISTINCT compression FROM parquet_metadata('${latest}')`);
    expect(compression.map((r) => r.compression)).toEqual(['SNAPPY']); // the default codec
    const rows = await tm.duck.rows(`SELECT _hoodie_record_key AS k, _hoodie_commit_time AS t, _hoodie_commit_seqno AS s, _hoodie_file_name AS f FROM read_parquet('${latest}') ORDER BY k`);
    expect(rows.map((r) => [r.k, r.t])).toEqual([['1', instants[1]], ['3', instants[1]]]);
    for (const r of rows) {
      expect(r.f).toBe(path.basename(latest));
      expect(String(r.s)).toMatch(new RegExp(`^${r.t}_\\d+_\\d+$`));
    }
    const untouched = await tm.read(base, { columns: ['_hoodie_commit_time'], where: 'id = 2' });
    expect(untouched).toEqual([{ _hoodie_commit_time: instants[0] }]);
  });

  it.skipIf(HUDI_FIXTURES === undefined)('uses the same property keys and stat fields as a Spark-written fixture', () => {
    const fixture = extractFixture('sample_table/cow/v6_simplekeygen_nonhivestyle.zip');
    const theirs = parseProperties(fs.readFileSync(path.join(fixture, '.hoodie/hoodie.properties'), 'latin1'));
    const ours = parseProperties(fs.readFileSync(path.join(base, '.hoodie/hoodie.properties'), 'latin1'));
    const missing = [...theirs.keys()].filter((k) => !ours.has(k));
    expect(missing).toEqual([]);
    const commitFile = fs.readdirSync(path.join(fixture, '.hoodie')).filter((n) => n.endsWith('.commit')).sort().at(-1)!;
    const theirStat = Object.values(JSON.parse(fs.readFileSync(path.join(fixture, '.hoodie', commitFile), 'utf8')).partitionToWriteStats as Record<string, object[]>)[0]![0]!;
    const ourCommit = JSON.parse(fs.readFileSync(path.join(base, `.hoodie/${instants[1]}.commit`), 'utf8'));
    const ourStat = Object.values(ourCommit.partitionToWriteStats as Record<string, object[]>)[0]![0]!;
    expect(Object.keys(ourStat)).toEqual(Object.keys(theirStat));
  });
});
