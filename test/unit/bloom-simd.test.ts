import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BLOOM_OPTIONS, DynamicBloomFilter, type BloomFilterOptions } from '../../src/table/bloom-filter.ts';
import { bloomSimdActive, setBloomSimd } from '../../src/table/bloom-simd.ts';

const utf8 = new TextEncoder();

interface Blob {
  readonly bytes: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly count: number;
}

/** Keys laid out as DuckDB hands them over: one buffer, NUL-separated (or with `gap` junk bytes between). */
function blobOf(keys: readonly Uint8Array[], gap = 1): Blob {
  const bytes = new Uint8Array(keys.reduce((n, k) => n + k.length + gap, 0) + 3);
  bytes.fill(0xa7);
  const starts = new Int32Array(keys.length + 5).fill(-9); // longer than count: the rest is ignored
  const ends = new Int32Array(keys.length + 5).fill(-9);
  let at = 2;
  keys.forEach((k, i) => {
    bytes.set(k, at);
    starts[i] = at;
    ends[i] = at += k.length;
    at += gap;
  });
  return { bytes, starts, ends, count: keys.length };
}

/** Adds the blobs to a filter, with SIMD on or off; returns the serialized filter, or the error. */
function build(blobs: readonly Blob[], simd: boolean, start: () => DynamicBloomFilter): string {
  setBloomSimd(simd);
  const filter = start();
  try {
    for (const b of blobs) filter.addUtf8Keys(b.bytes, b.starts, b.ends, b.count);
  } catch (error) {
    return `${(error as Error).message} after ${filter.toBase64()}`;
  } finally {
    setBloomSimd(true);
  }
  return filter.toBase64();
}

function expectSame(blobs: readonly Blob[], start: () => DynamicBloomFilter = () => DynamicBloomFilter.create()): void {
  const js = build(blobs, false, start);
  const simd = build(blobs, true, start);
  expect(simd.length).toBe(js.length);
  expect(simd === js).toBe(true); // not toBe(js): a failure would print megabytes of base64
}

const asciiKey = (rand: () => number, len: number): Uint8Array =>
  Uint8Array.from({ length: len }, () => 0x20 + Math.floor(rand() * 0x5f));

// A small deterministic generator (mulberry32), so failures reproduce.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SMALL: BloomFilterOptions = { numEntries: 10, fpp: 0.01, maxEntries: 30 };

describe('bloom filter: WebAssembly SIMD hashing', () => {
  afterEach(() => setBloomSimd(true));

  it('is available here, and the switch turns it off', () => {
    expect(bloomSimdActive()).toBe(true);
    setBloomSimd(false);
    expect(bloomSimdActive()).toBe(false);
  });

  it('matches the JS path on ASCII keys of every length 1-40, odd and even counts', () => {
    const rand = random(1);
    for (let len = 1; len <= 40; len++) {
      for (const count of [1, 2, 3, 7, 8, 9, 15, 16, 17, 101]) {
        const keys = Array.from({ length: count }, () => asciiKey(rand, len));
        expectSame([blobOf(keys)], () => DynamicBloomFilter.create({ numEntries: 1000, fpp: 1e-6, maxEntries: 5000 }));
      }
    }
  });

  it('matches on bytes of every value (multi-byte UTF-8, bytes >= 0x80 in tails) and mixed lengths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 70 }),
        fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 3 }),
        (raw, strings, gap) => {
          const keys = [...raw, ...strings.map((s) => utf8.encode(s))];
          expectSame([blobOf(keys, gap)], () => DynamicBloomFilter.create(SMALL));
          expectSame([blobOf(keys, gap)], () => DynamicBloomFilter.create({ numEntries: 50, fpp: 1e-9, maxEntries: 0 }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches with the default options across the 60000-key row boundary and the max-entries bound', () => {
    const rand = random(2);
    const key = (): Uint8Array => asciiKey(rand, 1 + Math.floor(rand() * 40));
    // 59999 + 2 + 60001 + 1 + 3 keys: rows 0 and 1 fill mid-blob, then keys go round robin.
    const blobs = [59_999, 2, 60_001, 1, 3].map((n) => blobOf(Array.from({ length: n }, key)));
    expectSame(blobs);
    const digits = blobOf(Array.from({ length: 66_667 }, (_, i) => utf8.encode(String(i * 61))));
    expectSame([digits, digits]);
  });

  it('matches on a filter parsed or resumed from its footer value (rows round robin)', () => {
    const rand = random(3);
    const blob = (n: number): Blob => blobOf(Array.from({ length: n }, () => asciiKey(rand, 1 + (n % 9))));
    const first = [blob(23), blob(1)];
    const footer = build(first, false, () => DynamicBloomFilter.create(SMALL));
    for (const more of [[blob(5)], [blob(37), blob(2), blob(64)]]) {
      expectSame(more, () => DynamicBloomFilter.fromBase64(footer));
      expectSame(more, () => DynamicBloomFilter.resume(footer, SMALL)!);
      expectSame([...first, ...more], () => DynamicBloomFilter.create(SMALL));
    }
    const full = build([blob(70_003)], false, () => DynamicBloomFilter.create());
    expectSame([blob(9), blob(60_011)], () => DynamicBloomFilter.resume(full, DEFAULT_BLOOM_OPTIONS)!);
  });

  it('stops where the JS path does at an empty key (same error, same keys added before it)', () => {
    const rand = random(4);
    for (const count of [1, 2, 3, 9, 16, 17, 40]) {
      for (let bad = 0; bad < count; bad++) {
        const keys = Array.from({ length: count }, (_, i) => (i === bad ? new Uint8Array(0) : asciiKey(rand, 1 + (i % 13))));
        const js = build([blobOf(keys)], false, () => DynamicBloomFilter.create(SMALL));
        expect(js).toMatch(/must not be empty/);
        expect(build([blobOf(keys)], true, () => DynamicBloomFilter.create(SMALL))).toBe(js);
      }
    }
  });

  it('falls back to the JS path for keys outside the buffer or count 0', () => {
    const b = blobOf([utf8.encode('abc'), utf8.encode('de')]);
    expectSame([{ ...b, count: 0 }]);
    const starts = Int32Array.from([0, 2]);
    const ends = Int32Array.from([3, b.bytes.length + 4]); // past the end: the JS path reads undefined as 0
    expectSame([{ bytes: b.bytes, starts, ends, count: 2 }]);
  });
});
