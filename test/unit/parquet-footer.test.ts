/**
 * The Parquet footer codec: DuckDB reads every patched file exactly as before (same metadata, same
 * rows) with the new key/value metadata, and Spark-written fixture footers round-trip byte for byte.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckSession } from '../../src/storage/duckdb/session.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import {
  footerColumnNames,
  footerKeyValues,
  footerNumRows,
  readParquetFooter,
  reencodeFooter,
  setParquetKeyValues,
  utf8Bytes,
  withFooterKeyValues,
} from '../../src/storage/parquet-footer.ts';
import { TableFormatError } from '../../src/errors.ts';
import { HUDI_FIXTURES, extractFixture } from '../support/hudi-fixtures.ts';
import { useTempDir } from '../support/temp-dir.ts';

const store = new LocalFileStore();

function parquetFilesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).map((f) => path.join(dir, f));
}

describe('Parquet footer key/value metadata', () => {
  let duck: DuckSession;
  const dir = useTempDir('footer');
  beforeAll(async () => {
    duck = await DuckSession.open();
  });
  afterAll(() => {
    duck.close();
  });

  const kvOf = async (file: string): Promise<Record<string, string>> =>
    Object.fromEntries((await duck.rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${file}')`)).map((r) => [r.k, r.v]));
  const metadataOf = async (file: string): Promise<unknown[]> =>
    (await duck.rows(`SELECT * EXCLUDE (file_name) FROM parquet_metadata('${file}') ORDER BY row_group_id, column_id`)).map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  const rowsOf = async (file: string): Promise<string> => JSON.stringify(await duck.rows(`SELECT * FROM read_parquet('${file}') ORDER BY ALL`), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

  const cases: Array<[string, string]> = [
    ['no key/value metadata', `(SELECT range AS id, 'k' || range AS s, range / 3.0 AS d, [range, range + 1] AS l, {'a': range} AS st FROM range(5000)) TO '%f' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000)`],
    ['existing key/value metadata', `(SELECT range AS id FROM range(10)) TO '%f' (FORMAT parquet, KV_METADATA {keep: 'me', hoodie_min_record_key: 'old'})`],
    ['no rows', `(SELECT 1 AS id, 'x' AS s WHERE false) TO '%f' (FORMAT parquet, COMPRESSION zstd)`],
  ];
  for (const [name, copy] of cases) {
    it(`DuckDB reads a patched file the same, with the new keys (${name})`, async () => {
      const file = path.join(dir, `${name.replace(/[^a-z]+/g, '_')}.parquet`);
      await duck.run(`COPY ${copy.replace('%f', file)}`);
      const before = { kv: await kvOf(file), meta: await metadataOf(file), rows: await rowsOf(file) };
      const bloom = 'x'.repeat(300_000); // as long as a real bloom filter, so the footer grows a lot
      const size = await setParquetKeyValues(store, file, [
        { key: 'hoodie_min_record_key', value: 'a' },
        { key: 'hoodie_max_record_key', value: 'zé' },
        { key: 'org.apache.hudi.bloomfilter', value: bloom },
      ]);
      expect(fs.statSync(file).size).toBe(size);
      expect(await kvOf(file)).toEqual({ ...before.kv, hoodie_min_record_key: 'a', hoodie_max_record_key: 'zé', 'org.apache.hudi.bloomfilter': bloom });
      expect(await metadataOf(file)).toEqual(before.meta);
      expect(await rowsOf(file)).toEqual(before.rows);
      // Shrinking the footer again truncates the file.
      await setParquetKeyValues(store, file, [{ key: 'org.apache.hudi.bloomfilter', value: 'small' }]);
      expect(fs.statSync(file).size).toBeLessThan(size - 290_000);
      expect((await kvOf(file))['org.apache.hudi.bloomfilter']).toBe('small');
      expect(await rowsOf(file)).toEqual(before.rows);
      const { meta } = await readParquetFooter(store, file);
      const count = await duck.rows(`SELECT count(*) AS n FROM read_parquet('${file}')`);
      expect(footerNumRows(meta)).toBe(Number(count[0]!.n));
      expect(footerColumnNames(meta)).toEqual((await duck.describe(`SELECT * FROM read_parquet('${file}')`)).names);
    });
  }

  it('reads the top-level column names past nested groups (lists, structs, maps)', async () => {
    const file = path.join(dir, 'nested.parquet');
    await duck.run(`COPY (SELECT 1 AS a, [[1, 2]] AS ll, {'x': {'y': [1], 'z': 'q'}, 'w': 2} AS st, MAP {'k': [1]} AS m, 'é' AS "naïve col") TO '${file}' (FORMAT parquet)`);
    const { meta } = await readParquetFooter(store, file);
    expect(footerColumnNames(meta)).toEqual(['a', 'll', 'st', 'm', 'naïve col']);
    expect(footerColumnNames(meta)).toEqual((await duck.describe(`SELECT * FROM read_parquet('${file}')`)).names);
  });

  it('the new entries follow the existing ones; a key given twice keeps its place', () => {
    const meta = reencodeFooter(withFooterKeyValues(new Uint8Array([0x15, 0x02, 0x00]), [{ key: 'a', value: '1' }, { key: 'b', value: undefined }]));
    expect(footerKeyValues(meta)).toEqual([{ key: 'a', value: '1' }, { key: 'b', value: undefined }]);
    const again = withFooterKeyValues(meta, [{ key: 'c', value: '3' }, { key: 'a', value: '2' }]);
    expect(footerKeyValues(again)).toEqual([{ key: 'a', value: '2' }, { key: 'b', value: undefined }, { key: 'c', value: '3' }]);
    // Many entries need the long list header.
    const many = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(i) }));
    expect(footerKeyValues(withFooterKeyValues(meta, many)).slice(2)).toEqual(many);
  });

  it('a value given as its UTF-8 bytes is written as the text would be', () => {
    const meta = new Uint8Array([0x15, 0x02, 0x00]);
    const text = [{ key: 'k', value: 'héllo' }, { key: 'bloom', value: 'QUJD' }];
    const bytes = text.map((e) => ({ key: e.key, value: new TextEncoder().encode(e.value) }));
    const written = withFooterKeyValues(meta, bytes);
    expect(written).toEqual(withFooterKeyValues(meta, text));
    expect(footerKeyValues(written)).toEqual(text);
  });

  it('encodes text to UTF-8 as TextEncoder does (ASCII by the fast path, the rest by TextEncoder)', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (s) => {
        expect(Buffer.from(utf8Bytes(s)).equals(Buffer.from(encoder.encode(s)))).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses what is not a Parquet footer', async () => {
    const file = path.join(dir, 'not.parquet');
    fs.writeFileSync(file, 'hello, this is not parquet');
    await expect(readParquetFooter(store, file)).rejects.toThrow(TableFormatError);
    expect(() => footerKeyValues(new Uint8Array([0x19, 0x2c]))).toThrow(TableFormatError); // list cut short
    expect(() => footerKeyValues(new Uint8Array([0x1e]))).toThrow(/unknown Thrift type 14/);
  });

  it.skipIf(HUDI_FIXTURES === undefined)('footers of Spark-written fixtures round-trip byte for byte and read like DuckDB reads them', async () => {
    const files = ['v6_simplekeygen_nonhivestyle', 'v6_complexkeygen_hivestyle', 'v6_nonpartitioned'].flatMap((t) =>
      parquetFilesUnder(extractFixture(`sample_table/cow/${t}.zip`)),
    );
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const { meta } = await readParquetFooter(store, file);
      expect(Buffer.from(reencodeFooter(meta)).equals(Buffer.from(meta)), file).toBe(true);
      expect(footerColumnNames(meta), file).toEqual((await duck.describe(`SELECT * FROM read_parquet('${file}')`)).names);
      const ours = Object.fromEntries(footerKeyValues(meta).map((e) => [e.key, e.value]));
      expect(ours).toEqual(await kvOf(file));
      expect(ours['hoodie_bloom_filter_type_code']).toBe('DYNAMIC_V0');
      const before = await rowsOf(file);
      await setParquetKeyValues(store, file, [{ key: 'hoodie_max_record_key', value: 'patched' }]);
      expect((await kvOf(file)).hoodie_max_record_key).toBe('patched');
      expect(await rowsOf(file)).toEqual(before);
    }
  });
});
