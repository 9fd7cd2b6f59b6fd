/**
 * Every file a commit writes, whichever way it was written (one partitioned COPY for many file
 * groups, one COPY per file for few; footer filters extended or rebuilt; keys hashed from blobs or,
 * with a NUL byte, from strings), holds Hudi's footer keys for exactly its rows: min/max record key
 * in Java's (UTF-16) order, a DYNAMIC_V0 bloom filter that admits every key and counts every row,
 * unique commit seqnos, its own file name and partition path in every row, snappy pages (the default codec),
 * and no Parquet-native bloom filters.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { DynamicBloomFilter } from '../../src/table/bloom-filter.ts';
import { WRITER_LIMITS } from '../../src/engine/write/base-file-writer.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import { type FooterKeyValue, setParquetKeyValues } from '../../src/storage/parquet-footer.ts';
import { tableOptions } from '../support/table-options.ts';

type Op = 'upsert' | 'insert' | 'delete' | 'bulk_insert';

const KEYS = ['1', '2', '10', 'a', 'zz', 'é', '\uE000x', '\uFFFDy', '😀', 'ключ', 'k,v', 'x y'];

describe('files written by a commit', () => {
  let tm: Tidemark;
  let root: string;
  useEngine('files', (e) => ({ tm, dir: root } = e));

  /** Checks every visible file of the table; returns the number checked. */
  async function checkFiles(base: string): Promise<number> {
    const slices = await tm.fileSlices(base);
    for (const s of slices) {
      const file = path.join(base, s.baseFile.path);
      const rows = await tm.duck.rows(
        `SELECT _hoodie_record_key AS k, _hoodie_commit_seqno AS q, _hoodie_file_name AS f, _hoodie_partition_path AS p FROM read_parquet('${file}')`,
      );
      const kv = Object.fromEntries((await tm.duck.rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${file}')`)).map((r) => [r.k, r.v]));
      const keys = rows.map((r) => String(r.k));
      expect(kv.hoodie_bloom_filter_type_code, file).toBe('DYNAMIC_V0');
      const bloom = DynamicBloomFilter.fromBase64(String(kv['org.apache.hudi.bloomfilter']));
      expect(bloom.keyCount, `${file}: ${JSON.stringify(rows.map((r) => [r.k, r.q]))}`).toBe(keys.length);
      for (const k of keys) expect(bloom.mightContain(k), `${file} ${k}`).toBe(true);
      if (keys.length > 0) {
        // JavaScript compares strings by UTF-16 units, as Java does.
        expect(kv.hoodie_min_record_key, file).toBe(keys.reduce((a, b) => (b < a ? b : a)));
        expect(kv.hoodie_max_record_key, file).toBe(keys.reduce((a, b) => (b > a ? b : a)));
      } else {
        expect(kv.hoodie_min_record_key).toBeUndefined();
      }
      expect(new Set(rows.map((r) => r.q)).size, file).toBe(rows.length);
      for (const r of rows) {
        expect(r.f).toBe(s.baseFile.fileName);
        expect(r.p).toBe(s.partitionPath);
      }
      const codecs = await tm.duck.rows(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
      if (keys.length > 0) expect(codecs.map((c) => c.compression)).toEqual(['SNAPPY']);
      // Hudi's filter is the footer's; no column chunk carries a Parquet-native bloom filter (as parquet-mr's default).
      const native = await tm.duck.rows(`SELECT count(*) AS n FROM parquet_metadata('${file}') WHERE bloom_filter_offset IS NOT NULL`);
      expect(Number(native[0]!.n), file).toBe(0);
    }
    return slices.length;
  }

  it('hold the right footer keys, seqnos and names through random writes', async () => {
    let run = 0;
    const rowArb = fc.record({ p: fc.constantFrom('a', 'b', 'c', 'd'), k: fc.constantFrom(...KEYS), ts: fc.integer({ min: 0, max: 3 }), v: fc.integer() });
    const batchArb = fc.record({ op: fc.constantFrom<Op>('upsert', 'upsert', 'insert', 'delete', 'bulk_insert'), rows: fc.array(rowArb, { minLength: 1, maxLength: 15 }) });
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(batchArb, { minLength: 1, maxLength: 5 }), async (small, batches) => {
        const base = path.join(root, `t${run++}`);
        // Small files: several file groups per partition, so commits take the partitioned COPY.
        const create = tableOptions('files', { recordKeyFields: ['k'], partitionFields: ['p'], ...(small ? { maxFileSize: 3 * 1024, smallFileLimit: 2048 } : {}) });
        await tm.write(base, { rows: KEYS.map((k, i) => ({ p: 'abcd'[i % 4], k, ts: 0, v: i })) }, { operation: 'bulk_insert', create });
        expect(await checkFiles(base)).toBeGreaterThan(0);
        for (const { op, rows } of batches) {
          await tm.write(base, { rows: rows.map((r) => ({ p: r.p, k: r.k, ts: r.ts, v: r.v })) }, { operation: op });
          await checkFiles(base);
        }
      }),
      { numRuns: 15, endOnFailure: true },
    );
  });

  it('a stored filter that cannot be extended exactly is rebuilt from the rewritten file', async () => {
    const small = DynamicBloomFilter.create({ numEntries: 1000, fpp: 1e-3, maxEntries: 1000 });
    small.add('1');
    const spoiled: Array<[string, FooterKeyValue[]]> = [
      ['other sizing', [{ key: 'org.apache.hudi.bloomfilter', value: small.toBase64() }]],
      ['not base64', [{ key: 'org.apache.hudi.bloomfilter', value: 'not base64!' }]],
      ['no min/max', [{ key: 'hoodie_min_record_key', value: undefined }, { key: 'hoodie_max_record_key', value: undefined }]],
      ['no filter type', [{ key: 'hoodie_bloom_filter_type_code', value: 'SIMPLE' }]],
    ];
    for (const [i, [what, entries]] of spoiled.entries()) {
      const base = path.join(root, `spoiled${i}`);
      const create = tableOptions('spoiled', { recordKeyFields: ['k'], partitionFields: ['p'] });
      await tm.write(base, { rows: KEYS.map((k, n) => ({ p: 'a', k, ts: 0, v: n })) }, { operation: 'bulk_insert', create });
      const [slice] = await tm.fileSlices(base);
      await setParquetKeyValues(new LocalFileStore(), path.join(base, slice!.baseFile.path), entries);
      // An update (the file keeps its keys) and an insert: the filter would be extended, were it usable.
      const result = await tm.upsert(base, { rows: [{ p: 'a', k: KEYS[0]!, ts: 1, v: -1 }, { p: 'a', k: `new-${what}`, ts: 1, v: -2 }] });
      expect([result.updated, result.inserted], what).toEqual([1, 1]);
      expect(await checkFiles(base), what).toBe(1);
    }
  });

  it('a key with a NUL byte is hashed one string at a time, and the files stay right', async () => {
    const base = path.join(root, 'nul');
    const create = tableOptions('nul', { recordKeyFields: ['k'], partitionFields: ['p'] });
    await tm.write(base, { rows: [{ p: 'a', k: 'x\u0000y', ts: 1 }, { p: 'a', k: 'plain', ts: 1 }, { p: 'b', k: 'b1', ts: 1 }] }, { operation: 'upsert', create });
    await checkFiles(base);
    await tm.upsert(base, { rows: [{ p: 'a', k: 'new\u0000', ts: 2 }, { p: 'a', k: 'plain', ts: 2 }] });
    await checkFiles(base);
    const keys = (await tm.read(base, { columns: ['k'] })).map((r) => String(r.k)).sort();
    expect(keys).toEqual(['b1', 'new\u0000', 'plain', 'x\u0000y'].sort());
    expect((await tm.lookup(base, ['x\u0000y'])).length).toBe(1);
  });

  it('bulk_insert precombines a batch with repeated keys, and spreads large partitions over file groups in input order', async () => {
    const base = path.join(root, 'bulk');
    // 10 records a file at Hudi's 1 KB record estimate.
    const create = tableOptions('bulk', { partitionFields: ['p'], maxFileSize: 10 * 1024 });
    const rows = [
      ...Array.from({ length: 25 }, (_, id) => ({ id, ts: 1, p: 'x', v: 'first' })),
      ...Array.from({ length: 5 }, (_, id) => ({ id, ts: 2, p: 'x', v: 'second' })),
      { id: 0, ts: 1, p: 'y', v: 'other partition' },
    ];
    const r = await tm.write(base, { rows }, { operation: 'bulk_insert', create });
    expect(r.inserted).toBe(26);
    const got = await tm.sql(`SELECT p, count(*) AS n, count(*) FILTER (WHERE v = 'second') AS s FROM tidemark_scan('${base}') GROUP BY p ORDER BY p`);
    expect(got.map((g) => [g.p, Number(g.n), Number(g.s)])).toEqual([['x', 25, 5], ['y', 1, 0]]);
    const perFile = await tm.sql(`SELECT count(*) AS n FROM tidemark_scan('${base}') WHERE p = 'x' GROUP BY _hoodie_file_name ORDER BY n`);
    expect(perFile.map((f) => Number(f.n))).toEqual([5, 10, 10]);
    await checkFiles(base);
  });

  it('large partitions are cut into file groups by blocks of input rows: none too big, stats match the files', async () => {
    const base = path.join(root, 'blocks');
    // 1024 records a file; 60000 records in 2 partitions count in blocks of 2 input rows.
    const create = tableOptions('blocks', { partitionFields: ['p'], maxFileSize: 1024 * 1024 });
    const r = await tm.write(base, { query: 'SELECT range AS id, 1 AS ts, range % 2 AS p FROM range(60000)' }, { operation: 'bulk_insert', create });
    expect(r.inserted).toBe(60000);
    const files = await tm.sql(`SELECT _hoodie_partition_path AS p, _hoodie_file_name AS f, count(*) AS n FROM tidemark_scan('${base}') GROUP BY ALL`);
    expect(files.reduce((s, f) => s + Number(f.n), 0)).toBe(60000);
    for (const f of files) expect(Number(f.n)).toBeLessThanOrEqual(1024);
    expect(files.length).toBeLessThanOrEqual(2 * Math.ceil(30000 / 1022));
    const commit = JSON.parse(fs.readFileSync(path.join(base, '.hoodie', `${r.instant}.commit`), 'utf8')) as { partitionToWriteStats: Record<string, Array<{ path: string; numInserts: number; numWrites: number }>> };
    const byName = new Map(files.map((f) => [String(f.f), Number(f.n)]));
    for (const stat of Object.values(commit.partitionToWriteStats).flat()) {
      expect(stat.numInserts).toBe(byName.get(path.basename(stat.path)));
      expect(stat.numWrites).toBe(stat.numInserts);
    }
  });

  it('commits over more file groups than one COPY takes are written in chunks, each path still right', async () => {
    const saved = { ...WRITER_LIMITS };
    Object.assign(WRITER_LIMITS, { separateCopiesUpTo: 1, groupsPerCopy: 2 });
    try {
      const base = path.join(root, 'chunks');
      const create = tableOptions('chunks', { partitionFields: ['p'] });
      const rows = Array.from({ length: 21 }, (_, id) => ({ id, ts: 1, p: `p${id % 7}`, v: id }));
      expect((await tm.write(base, { rows }, { operation: 'upsert', create })).filesWritten).toBe(7);
      await checkFiles(base);
      const del = await tm.write(base, { rows: rows.filter((r) => r.id % 7 === 0 || r.id % 2 === 0).map((r) => ({ id: r.id, p: r.p })) }, { operation: 'delete' });
      expect(del.filesWritten).toBe(7);
      await tm.upsert(base, { rows: [...rows.filter((r) => r.id % 3 === 0).map((r) => ({ ...r, ts: 2, v: 1000 + r.id })), { id: 99, ts: 1, p: 'p1', v: 99 }] });
      expect(await checkFiles(base)).toBe(7);
      const got = (await tm.read(base, { columns: ['id', 'v'] })).map((r) => [Number(r.id), Number(r.v)]).sort((a, b) => a[0]! - b[0]!);
      const want = rows
        .filter((r) => !(r.id % 7 === 0 || r.id % 2 === 0) || r.id % 3 === 0)
        .map((r) => [r.id, r.id % 3 === 0 ? 1000 + r.id : r.v])
        .concat([[99, 99]])
        .sort((a, b) => a[0]! - b[0]!);
      expect(got).toEqual(want);
    } finally {
      Object.assign(WRITER_LIMITS, saved);
    }
  });

  it('a commit over many file groups with deletes everywhere and a group emptied', async () => {
    const base = path.join(root, 'many');
    const create = tableOptions('many', { partitionFields: ['p'] });
    const rows = Array.from({ length: 40 }, (_, id) => ({ id, ts: 1, p: `p${id % 5}`, v: id }));
    await tm.write(base, { rows }, { operation: 'upsert', create });
    // Every partition loses rows, p0 all of them; p1..p4 also get updates and inserts.
    const del = await tm.write(base, { rows: rows.filter((r) => r.p === 'p0' || r.id % 3 === 0).map((r) => ({ id: r.id, p: r.p })) }, { operation: 'delete' });
    expect(del.filesWritten).toBe(5);
    const deleted = (r: { id: number; p: string }): boolean => r.p === 'p0' || r.id % 3 === 0;
    const up = await tm.upsert(base, { rows: [...rows.filter((r) => r.id % 4 === 1).map((r) => ({ ...r, ts: 2, v: -1 })), { id: 100, ts: 1, p: 'p3', v: 100 }] });
    expect([up.inserted, up.updated]).toEqual([rows.filter((r) => r.id % 4 === 1 && deleted(r)).length + 1, rows.filter((r) => r.id % 4 === 1 && !deleted(r)).length]);
    expect(await checkFiles(base)).toBe(5);
    const left = (await tm.read(base, { columns: ['id'] })).map((r) => Number(r.id)).sort((a, b) => a - b);
    const want = [...rows.filter((r) => !deleted(r) || r.id % 4 === 1).map((r) => r.id), 100].sort((a, b) => a - b);
    expect(left).toEqual(want);
  });
});
