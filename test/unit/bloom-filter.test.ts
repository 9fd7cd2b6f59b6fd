import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidInputError, TableFormatError } from '../../src/errors.ts';
import {
  BLOOM_TYPE_CODE,
  DEFAULT_BLOOM_OPTIONS,
  DynamicBloomFilter,
  murmurHash2,
} from '../../src/table/bloom-filter.ts';
import { HUDI_FIXTURES, extractFixture } from '../support/hudi-fixtures.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * MurmurHash2 exactly as hudi-format.md §7 words it, in BigInt arithmetic, so it shares no code or
 * int32 tricks with the module: tail bytes counted from the end, sign-extended like Java bytes.
 */
function referenceMurmur(bytes: Uint8Array, seed: number): number {
  const MASK = 0xffffffffn;
  const m = 0x5bd1e995n;
  const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
  const javaByte = (b: number): bigint => BigInt(b >= 128 ? b - 256 : b) & MASK;
  const len = bytes.length;
  let h = (BigInt(seed) & MASK) ^ BigInt(len);
  for (let i = 0; i + 4 <= len; i += 4) {
    let k = 0n;
    for (let j = 3; j >= 0; j--) k = (k << 8n) | BigInt(bytes[i + j]); // little-endian block
    k = mul(k, m);
    k ^= k >> 24n;
    k = mul(k, m);
    h = mul(h, m) ^ k;
  }
  const left = len % 4;
  if (left > 0) {
    if (left >= 3) h ^= (javaByte(bytes[len - 3]) << 16n) & MASK;
    if (left >= 2) h ^= (javaByte(bytes[len - 2]) << 8n) & MASK;
    h ^= javaByte(bytes[len - 1]);
    h = mul(h, m);
  }
  h ^= h >> 13n;
  h = mul(h, m);
  h ^= h >> 15n;
  return Number(BigInt.asIntN(32, h));
}

/** Hadoop's bit positions of a key: each round seeds with the previous hash; |h mod size|. */
function referencePositions(key: string, vectorSize: number, nbHash: number): number[] {
  const bytes = utf8(key);
  const out: number[] = [];
  for (let i = 0, h = 0; i < nbHash; i++) {
    h = referenceMurmur(bytes, h);
    out.push(Math.abs(h % vectorSize));
  }
  return out;
}

/** A row's bit bytes holding the given positions (bit i = byte i>>3, mask 1<<(i&7)). */
function rowWith(positions: Iterable<number>, vectorSize: number): Uint8Array {
  const row = new Uint8Array(Math.ceil(vectorSize / 8));
  for (const p of positions) row[p >> 3] |= 1 << (p & 7);
  return row;
}

/** Index of the first differing byte, or -1 (vitest's deep equality is slow on 323 KB rows). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

interface Decoded {
  version: number;
  nbHash: number;
  hashType: number;
  vectorSize: number;
  nr: number;
  currentNbRecord: number;
  rows: Uint8Array[];
}

/** Reads the serialized layout independently of the module (Node's base64, our own DataView walk). */
function decode(bytesOrBase64: Uint8Array | string): Decoded {
  const bytes =
    typeof bytesOrBase64 === 'string' ? new Uint8Array(Buffer.from(bytesOrBase64, 'base64')) : bytesOrBase64;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vectorSize = v.getInt32(9);
  const rowBytes = Math.ceil(vectorSize / 8);
  const rows: Uint8Array[] = [];
  for (let r = 0, at = 25; r < v.getInt32(21); r++, at += 13 + rowBytes) {
    const rowHeader = [v.getInt32(at), v.getInt32(at + 4), v.getInt8(at + 8), v.getInt32(at + 9)];
    expect(rowHeader).toEqual([-1, v.getInt32(4), 1, vectorSize]);
    rows.push(bytes.slice(at + 13, at + 13 + rowBytes));
  }
  expect(bytes.length).toBe(25 + rows.length * (13 + rowBytes));
  return {
    version: v.getInt32(0),
    nbHash: v.getInt32(4),
    hashType: v.getInt8(8),
    vectorSize,
    nr: v.getInt32(13),
    currentNbRecord: v.getInt32(17),
    rows,
  };
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const SMALL = { numEntries: 2, fpp: 1e-9, maxEntries: 3 }; // 87 bits, 31 hashes, rows of 2 keys

describe('murmurHash2', () => {
  it('steps by hand for the empty input', () => {
    // len 0, seed 0: every step keeps h = 0.
    expect(murmurHash2(new Uint8Array(0), 0, 0)).toBe(0);
    // len 0, seed 1: h = 1; h ^= 1>>>13 (0) → 1; h *= m → 0x5bd1e995; h ^= h>>>15 (0xb7a3) → 0x5bd15e36.
    expect(murmurHash2(new Uint8Array(0), 0, 1)).toBe(0x5bd15e36);
  });

  // Expected values from a separate Java program (Java int/byte arithmetic), seeds 0, 1, -1, 123456789.
  it.each([
    ['a', [-1838653602, 626045324, 713507990, 846967266]],
    ['ab', [1525573013, -419373624, -1797532438, 773214199]],
    ['abc', [1775488903, -2144439693, -1465591341, 923286241]],
    ['abcd', [646393889, -918586858, 1555318719, -342526052]],
    ['abcde', [1594468574, -825729666, -392878951, -1757765751]],
    ['abcdefg', [-14544559, 1451847678, -123323533, 1502659124]],
    ['id:1,name:Alice', [71696166, 2011085419, 669643219, 1878094381]],
    ['é', [-384040333, -913757653, -1125067414, 776216079]], // tail bytes ≥ 0x80: sign extension
    ['xé', [997706133, -1874224231, -727511592, -887519357]],
    ['€', [-1486029997, 239383939, 672433944, 865564089]],
    ['a€', [113196504, -144120008, 1823615514, -2027517821]], // a full block with bytes ≥ 0x80
  ] as const)('hashes %j like Hadoop', (text, expected) => {
    const bytes = utf8(text);
    const seeds = [0, 1, -1, 123456789];
    expect(seeds.map((s) => murmurHash2(bytes, bytes.length, s))).toEqual(expected);
    expect(seeds.map((s) => referenceMurmur(bytes, s))).toEqual(expected);
  });

  it('agrees with the BigInt reference on random bytes of lengths 0..17 and extreme seeds', () => {
    let state = 12345;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
    for (let len = 0; len <= 17; len++) {
      for (let trial = 0; trial < 20; trial++) {
        const bytes = Uint8Array.from({ length: len }, next);
        for (const seed of [0, 1, -1, 0x7fffffff, -0x80000000, next() * 7919]) {
          expect(murmurHash2(bytes, len, seed)).toBe(referenceMurmur(bytes, seed));
        }
      }
    }
  });

  it('hashes only bytes[0, length) and checks length', () => {
    const bytes = utf8('abcdefg');
    expect(murmurHash2(bytes, 3, 0)).toBe(1775488903); // = "abc"
    expect(() => murmurHash2(bytes, 8, 0)).toThrow(InvalidArgumentError);
    expect(() => murmurHash2(bytes, -1, 0)).toThrow(/length -1/);
  });
});

describe('DynamicBloomFilter', () => {
  it('is sized like Hudi by default (2587966 bits, 30 hashes, 431380 base64 chars)', () => {
    expect(DEFAULT_BLOOM_OPTIONS).toEqual({ numEntries: 60000, fpp: 1e-9, maxEntries: 100000 });
    expect(BLOOM_TYPE_CODE).toBe('DYNAMIC_V0');
    const filter = DynamicBloomFilter.create();
    const d = decode(filter.serialize());
    expect(d).toMatchObject({ version: -1, nbHash: 30, hashType: 1, vectorSize: 2587966, nr: 60000 });
    expect(d.currentNbRecord).toBe(0);
    expect(d.rows).toHaveLength(1);
    expect(firstDiff(d.rows[0], new Uint8Array(323496))).toBe(-1);
    expect(filter.toBase64()).toHaveLength(431380);
    expect(filter.toBase64()).toBe(toBase64(filter.serialize()));
    expect(DynamicBloomFilter.create(DEFAULT_BLOOM_OPTIONS).toBase64()).toBe(filter.toBase64());
    expect(filter.mightContain('anything')).toBe(false);
  });

  it('sets exactly the bits Hadoop computes for a key', () => {
    // Positions of "1" from the separate Java program (|h mod 2587966|, each round seeded with the last h).
    const javaPositions = [
      1460963, 105785, 1189081, 2066078, 47219, 588992, 1488581, 1702643, 2490016, 883953, 589946, 1874676, 257260,
      1902059, 2023043, 1176393, 641450, 1310977, 2185582, 222072, 1373243, 2101586, 1755127, 352770, 411489, 1006816,
      2090518, 2137834, 755883, 408683,
    ];
    expect(referencePositions('1', 2587966, 30)).toEqual(javaPositions);
    const filter = DynamicBloomFilter.create();
    filter.add('1');
    const d = decode(filter.serialize());
    expect(d.currentNbRecord).toBe(1);
    expect(firstDiff(d.rows[0], rowWith(javaPositions, 2587966))).toBe(-1);
  });

  it('hashes keys as Java UTF-8, lone surrogates included', () => {
    const keys = ['héllo', 'ключ', '€uro-2024', '𝄞 clef', 'a'.repeat(1000) + 'é'];
    const filter = DynamicBloomFilter.create();
    filter.addAll(keys);
    const d = decode(filter.toBase64());
    expect(firstDiff(d.rows[0], rowWith(keys.flatMap((k) => referencePositions(k, 2587966, 30)), 2587966))).toBe(-1);
    for (const k of keys) expect(filter.mightContain(k)).toBe(true);
    // Java's String.getBytes(UTF_8) turns a lone surrogate into '?'.
    const lone = DynamicBloomFilter.create();
    lone.add('\uD800x');
    const question = DynamicBloomFilter.create();
    question.add('?x');
    expect(lone.toBase64()).toBe(question.toBase64());
  });

  it('grows a second row after numEntries keys, then stays bounded by maxEntries', () => {
    const filter = DynamicBloomFilter.create();
    const keys = Array.from({ length: 60001 }, (_, i) => `key-${i}`);
    filter.addAll(keys);
    let d = decode(filter.serialize());
    expect(d.rows).toHaveLength(2);
    expect(d.currentNbRecord).toBe(1);
    expect(firstDiff(d.rows[1], rowWith(referencePositions('key-60000', 2587966, 30), 2587966))).toBe(-1);
    const text = filter.toBase64();
    expect(text).toHaveLength(Math.ceil((25 + 2 * (13 + 323496)) / 3) * 4);
    const parsed = DynamicBloomFilter.fromBase64(text);
    expect(parsed.toBase64()).toBe(text);
    for (const k of keys) expect(parsed.mightContain(k)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(parsed.mightContain(`absent-${i}`)).toBe(false);

    for (let i = 60001; i < 130000; i++) filter.add(`key-${i}`);
    d = decode(filter.serialize());
    expect(d.rows).toHaveLength(2); // 2 rows × 60000 ≥ 100000: no third row
    expect(d.currentNbRecord).toBe(70000); // counts on past nr once the bound is reached
    expect(filter.mightContain('key-129999')).toBe(true);
  });

  it('fills rows round-robin from row 0 once the bound is reached', () => {
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'];
    const filter = DynamicBloomFilter.create(SMALL);
    filter.addAll(keys);
    const d = decode(filter.serialize());
    expect([d.vectorSize, d.nbHash, d.nr]).toEqual([87, 31, 2]); // ceil(2·20.72/0.4805), ceil(0.693·87/2)
    expect(d.currentNbRecord).toBe(6);
    const row = (ks: string[]): Uint8Array => rowWith(ks.flatMap((k) => referencePositions(k, 87, 31)), 87);
    // k1,k2 → row 0; k3 starts row 1; k5 hits the bound → row 0; then k6 row 0, k7 row 1, k8 row 0.
    expect(d.rows).toEqual([row(['k1', 'k2', 'k5', 'k6', 'k8']), row(['k3', 'k4', 'k7'])]);
  });

  it('like Hudi, forgets maxEntries when parsed: a full row then goes round-robin instead of growing', () => {
    const fresh = DynamicBloomFilter.create(SMALL);
    fresh.addAll(['k1', 'k2']);
    const parsed = DynamicBloomFilter.fromBase64(fresh.toBase64());
    fresh.add('k3');
    parsed.add('k3');
    expect(decode(fresh.serialize()).rows).toHaveLength(2);
    const d = decode(parsed.serialize());
    expect(d.rows).toEqual([rowWith(['k1', 'k2', 'k3'].flatMap((k) => referencePositions(k, 87, 31)), 87)]);
    expect(d.currentNbRecord).toBe(3);
  });

  it('rejects malformed footer values, naming the problem', () => {
    const good = DynamicBloomFilter.create(SMALL);
    good.add('k1');
    const bytes = good.serialize();
    const patched = (at: number, value: number, width: 1 | 4 = 4): string => {
      const copy = bytes.slice();
      if (width === 4) new DataView(copy.buffer).setInt32(at, value);
      else copy[at] = value;
      return toBase64(copy);
    };
    const bad: [string, RegExp][] = [
      ['not base64!', /invalid base64 character/],
      ['QUJDR', /impossible length/],
      ['QU=D', /invalid base64 character/],
      ['QUJD=', /impossible length/],
      ['', /truncated/],
      [toBase64(bytes.subarray(0, 20)), /truncated/],
      [toBase64(bytes.subarray(0, bytes.length - 1)), /bytes, but 1 rows of 87 bits need/],
      [toBase64(Uint8Array.of(...bytes, 0)), /bytes, but 1 rows/],
      [patched(0, 1), /unsupported version 1/],
      [patched(0, -2), /unsupported version -2/],
      [patched(8, 0, 1), /unsupported hash type 0/],
      [patched(9, 0), /bad nbHash 31 or vector size 0/],
      [patched(21, 0), /bad row count 0/],
      [patched(21, 2), /need/],
      [patched(25 + 4, 30), /row 0 header differs/],
    ];
    for (const [text, message] of bad) {
      expect(() => DynamicBloomFilter.fromBase64(text), text.slice(0, 40)).toThrow(message);
      expect(() => DynamicBloomFilter.fromBase64(text)).toThrow(TableFormatError);
    }
    expect(DynamicBloomFilter.fromBase64(toBase64(bytes).replace(/=+$/, '')).toBase64()).toBe(toBase64(bytes));
  });

  it('ignores stray bits past the vector end, as Hudi does', () => {
    const bytes = DynamicBloomFilter.create(SMALL).serialize();
    const withStray = bytes.slice();
    withStray[withStray.length - 1] |= 0x80; // 87 bits: bit 87 of the last byte is padding
    expect(DynamicBloomFilter.fromBase64(toBase64(withStray)).toBase64()).toBe(toBase64(bytes));
  });

  it('rejects bad options and empty keys', () => {
    expect(() => DynamicBloomFilter.create({ numEntries: 0, fpp: 0.01, maxEntries: 1 })).toThrow(InvalidArgumentError);
    expect(() => DynamicBloomFilter.create({ numEntries: 1.5, fpp: 0.01, maxEntries: 1 })).toThrow(/numEntries/);
    expect(() => DynamicBloomFilter.create({ numEntries: 10, fpp: 1, maxEntries: 1 })).toThrow(/fpp/);
    expect(() => DynamicBloomFilter.create({ numEntries: 10, fpp: 0.01, maxEntries: -1 })).toThrow(/maxEntries/);
    expect(() => DynamicBloomFilter.create({ numEntries: 2 ** 30, fpp: 1e-9, maxEntries: 1 })).toThrow(/too large/);
    expect(() => DynamicBloomFilter.create().add('')).toThrow(InvalidInputError);
  });
});

/** Parquet files of an extracted table, without AppleDouble / .DS_Store junk. */
function parquetFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => rel.endsWith('.parquet') && !rel.includes('__MACOSX') && !path.basename(rel).startsWith('.'))
    .map((rel) => path.join(dir, rel))
    .sort();
}

const COW_DIR = 'sample_table/cow';
const NO_FILTER = new Set(['v6_empty.zip', 'v6_simplekeygen_hivestyle_no_metafields.zip']);
const v6Zips =
  HUDI_FIXTURES === undefined
    ? []
    : fs.readdirSync(path.join(HUDI_FIXTURES, COW_DIR)).filter((n) => /^v6_.*\.zip$/.test(n) && n !== 'v6_empty.zip');

describe.skipIf(HUDI_FIXTURES === undefined)('DYNAMIC_V0 against Spark-written v6 COW fixtures', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
  });
  const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await conn.runAndReadAll(sql)).getRowObjects();
  const quote = (p: string): string => `'${p.replaceAll("'", "''")}'`;

  it('covers the expected fixtures', () => {
    expect(v6Zips.filter((z) => !NO_FILTER.has(z)).length).toBeGreaterThanOrEqual(5);
    expect(v6Zips).toContain('v6_simplekeygen_hivestyle_no_metafields.zip');
  });

  it.each(v6Zips)('%s: every base file footer is rebuilt bit for bit from its record keys', async (zip) => {
    const files = parquetFiles(extractFixture(`${COW_DIR}/${zip}`));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const kv = new Map(
        (await rows(`SELECT key::VARCHAR k, value::VARCHAR v FROM parquet_kv_metadata(${quote(file)})`)).map(
          (r) => [r.k as string, r.v as string] as const,
        ),
      );
      if (NO_FILTER.has(zip)) {
        expect(kv.has('org.apache.hudi.bloomfilter'), file).toBe(false);
        continue;
      }
      expect(kv.get('hoodie_bloom_filter_type_code'), file).toBe(BLOOM_TYPE_CODE);
      const footer = kv.get('org.apache.hudi.bloomfilter');
      expect(footer, file).toBeDefined();
      const keyRows = await rows(`SELECT _hoodie_record_key k FROM read_parquet(${quote(file)})`);
      const keys = keyRows.map((r) => r.k as string);
      expect(keys.length).toBeGreaterThan(0);

      // The spec-level reference alone explains every bit of the real footer...
      const d = decode(footer!);
      expect(d).toMatchObject({ version: -1, nbHash: 30, hashType: 1, vectorSize: 2587966, nr: 60000 });
      expect(d.currentNbRecord).toBe(keys.length);
      expect(d.rows).toHaveLength(1);
      const expected = rowWith(keys.flatMap((k) => referencePositions(k, 2587966, 30)), 2587966);
      expect(firstDiff(d.rows[0], expected), file).toBe(-1);

      // ...and the module writes the same string.
      const filter = DynamicBloomFilter.create(DEFAULT_BLOOM_OPTIONS);
      filter.addAll(keys);
      expect(filter.toBase64() === footer, `${file} rebuilt footer differs`).toBe(true);

      const parsed = DynamicBloomFilter.fromBase64(footer!);
      expect(parsed.toBase64() === footer, `${file} round trip differs`).toBe(true);
      for (const k of keys) expect(parsed.mightContain(k), k).toBe(true);
      for (let i = 0; i < 200; i++) {
        expect(parsed.mightContain(`${keys[i % keys.length]}#absent${i}`)).toBe(false);
        expect(parsed.mightContain(`absent-${i}`)).toBe(false);
      }
    }
  });
});
