/** Key lookups read only the files whose footer (key range and bloom filter) admits the key. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { KeyIndexCache, candidateSlices } from '../../src/engine/read/key-lookup.ts';
import { HUDI_FIXTURES, extractFixture } from '../support/hudi-fixtures.ts';
import { tableOptions } from '../support/table-options.ts';

describe('lookup by record key', () => {
  let tm: Tidemark;
  let base: string;
  useEngine('lookup', (e) => {
    tm = e.tm;
    base = path.join(e.dir, 't');
  });
  beforeAll(async () => {
    // 4 KB files: many small file groups per partition, so pruning by footer matters.
    const create = tableOptions('t', { partitionFields: ['p'], maxFileSize: 8192, smallFileLimit: 0 });
    const rows = Array.from({ length: 40 }, (_, i) => ({ id: `k${String(i).padStart(3, '0')}`, ts: 1, p: i % 2 === 0 ? 'even' : 'odd', v: i }));
    await tm.write(base, { rows }, { operation: 'bulk_insert', create });
    await tm.upsert(base, { rows: [{ id: 'k004', ts: 2, p: 'even', v: 400 }] });
  });

  it('finds the latest version, in any partition or the one named', async () => {
    expect((await tm.lookup(base, ['k004'])).map((r) => Number(r.v))).toEqual([400]);
    expect((await tm.lookup(base, ['k005'], { partitionPath: 'odd' })).map((r) => Number(r.v))).toEqual([5]);
    expect(await tm.lookup(base, ['k005'], { partitionPath: 'even' })).toEqual([]);
    expect(await tm.lookup(base, ['nope'])).toEqual([]);
    expect((await tm.lookup(base, ['k001', 'k038'])).map((r) => r._hoodie_record_key).sort()).toEqual(['k001', 'k038']);
  });

  it('reads one file of the many the table has', async () => {
    const slices = await tm.fileSlices(base);
    expect(slices.length).toBeGreaterThan(4);
    const hits = await tm.lookup(base, ['k017']);
    expect(hits).toHaveLength(1);
    // Only the file holding the key survives the footer check (8-key filters at 1e-9 fpp).
    const candidates = await candidateSlices(tm.duck, new KeyIndexCache(), path.resolve(base), slices, ['k017']);
    expect(candidates.map((s) => s.baseFile.fileName)).toEqual([hits[0]!._hoodie_file_name]);
    expect(await candidateSlices(tm.duck, new KeyIndexCache(), path.resolve(base), slices, ['zzz'])).toEqual([]);
  });

  it.skipIf(HUDI_FIXTURES === undefined)('uses the bloom filters Spark wrote', async () => {
    const t = extractFixture('sample_table/cow/v6_simplekeygen_nonhivestyle.zip');
    expect((await tm.lookup(t, ['3'])).map((r) => r.name)).toEqual(['Carol']);
    expect(await tm.lookup(t, ['5'])).toEqual([]);
  });
});
