/**
 * Extending a stored bloom filter instead of rebuilding it: `resume(build(A))` plus B must be bit for
 * bit `build(A ++ B)` in every phase of the dynamic filter (filling a row, growing one, round robin
 * past maxEntries), and `addUtf8` must hash exactly as `add`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BLOOM_OPTIONS, DynamicBloomFilter, type BloomFilterOptions } from '../../src/table/bloom-filter.ts';

const build = (keys: ReadonlyArray<string>, options?: BloomFilterOptions): DynamicBloomFilter => {
  const f = DynamicBloomFilter.create(options);
  f.addAll(keys);
  return f;
};
const utf8 = new TextEncoder();

describe('resuming a stored bloom filter', () => {
  const small: BloomFilterOptions = { numEntries: 8, fpp: 0.05, maxEntries: 20 };
  const key = fc.string({ minLength: 1, maxLength: 12 });

  it('resume(build(A)) + B is build(A ++ B), bit for bit, through row growth and the round robin', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 60 }), fc.array(key, { maxLength: 60 }), (a, b) => {
        const resumed = DynamicBloomFilter.resume(build(a, small).toBase64(), small);
        expect(resumed).toBeDefined();
        expect(resumed!.keyCount).toBe(a.length);
        resumed!.addAll(b);
        expect(resumed!.toBase64()).toBe(build([...a, ...b], small).toBase64());
      }),
      { numRuns: 300 },
    );
  });

  it('resumed from its stored bytes, writes exactly the bytes a filter built from all keys writes', () => {
    const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
    fc.assert(
      fc.property(fc.array(key, { maxLength: 60 }), fc.array(key, { maxLength: 60 }), (a, b) => {
        const stored = ascii(build(a, small).toBase64());
        const resumed = DynamicBloomFilter.resume(stored, small)!;
        resumed.addAll(b);
        const expected = build([...a, ...b], small).toBase64();
        expect(Buffer.from(resumed.base64Bytes()).toString('latin1')).toBe(expected);
        expect(resumed.toBase64()).toBe(expected);
        expect(Buffer.from(stored).toString('latin1')).toBe(build(a, small).toBase64()); // the stored bytes are not changed
      }),
      { numRuns: 300 },
    );
    // Hudi's defaults: a few keys added to a full-size filter, and a row added past 60000 keys.
    const keys = Array.from({ length: 60_050 }, (_, i) => `key-${i * 7919}`);
    for (const [split, end] of [[1_000, 1_133], [59_990, 60_050]] as const) {
      const resumed = DynamicBloomFilter.resume(ascii(build(keys.slice(0, split)).toBase64()))!;
      resumed.addAll(keys.slice(split, end));
      expect(Buffer.from(resumed.base64Bytes()).toString('latin1')).toBe(build(keys.slice(0, end)).toBase64());
    }
  });

  it('answers membership for stored and added keys, and checks every stored character, when resumed from bytes', () => {
    const keys = Array.from({ length: 3_000 }, (_, i) => `key-${i * 7919}`);
    const text = build(keys.slice(0, 2_000)).toBase64();
    const resumed = DynamicBloomFilter.resume(new TextEncoder().encode(text))!;
    resumed.addAll(keys.slice(2_000));
    expect(keys.every((k) => resumed.mightContain(k))).toBe(true);
    expect(resumed.mightContain('never-added')).toBe(false);
    expect(resumed.toBase64()).toBe(build(keys).toBase64());
    // A bad character deep inside the bits, which only a full check finds: refused as from text.
    const bad = new TextEncoder().encode(text);
    bad[bad.length >> 1] = 0x2d; // '-'
    expect(() => DynamicBloomFilter.resume(bad)).toThrow(/invalid base64 character "-"/);
    expect(() => DynamicBloomFilter.resume(Buffer.from(bad).toString('latin1'))).toThrow(/invalid base64 character "-"/);
  });

  it('does so with Hudi defaults across the 60000-key row boundary and the 100000 bound', () => {
    const keys = Array.from({ length: 130_000 }, (_, i) => `key-${i * 7919}`);
    for (const [split, end] of [[59_990, 60_020], [60_000, 60_001], [119_990, 120_010], [120_001, 130_000]] as const) {
      const resumed = DynamicBloomFilter.resume(build(keys.slice(0, split)).toBase64())!;
      resumed.addAll(keys.slice(split, end));
      expect(resumed.toBase64()).toBe(build(keys.slice(0, end)).toBase64());
    }
  });

  it('refuses filters another writer configuration made, so the caller rebuilds', () => {
    const other = build(['a', 'b'], { numEntries: 1000, fpp: 1e-9, maxEntries: 100_000 }).toBase64();
    expect(DynamicBloomFilter.resume(other)).toBeUndefined();
    // Four rows of 8 keys cannot come from maxEntries 20 (a writer stops adding rows once 3·8 ≥ 20).
    const grown = build(Array.from({ length: 30 }, (_, i) => `k${i}`), { ...small, maxEntries: 40 }).toBase64();
    expect(DynamicBloomFilter.resume(grown, small)).toBeUndefined();
    // Round robin with fewer rows than maxEntries allows means a smaller maxEntries wrote it.
    const capped = build(Array.from({ length: 12 }, (_, i) => `k${i}`), { ...small, maxEntries: 0 }).toBase64();
    expect(DynamicBloomFilter.resume(capped, small)).toBeUndefined();
  });
});

describe('addUtf8', () => {
  it('sets the same bits as add for any well-formed string', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((k) => !k.includes('\u0000')), { maxLength: 30 }), (keys) => {
        const a = build(keys);
        const b = DynamicBloomFilter.create();
        const joined = utf8.encode(keys.join('\u0000'));
        let start = 0;
        for (let i = 0; keys.length > 0 && i <= joined.length; i++) {
          if (i === joined.length || joined[i] === 0) {
            b.addUtf8(joined, start, i);
            start = i + 1;
          }
        }
        expect(b.toBase64()).toBe(a.toBase64());
      }),
      { numRuns: 50 },
    );
  });

  it('addUtf8Keys (two keys hashed at once) is addUtf8 of each key in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 25 }), (keys) => {
        const bytes = new Uint8Array(keys.reduce((n, k) => n + k.length, 0));
        const starts = new Int32Array(keys.length);
        const ends = new Int32Array(keys.length);
        let at = 0;
        keys.forEach((k, i) => {
          bytes.set(k, at);
          starts[i] = at;
          ends[i] = at += k.length;
        });
        const one = DynamicBloomFilter.create({ numEntries: 10, fpp: 0.01, maxEntries: 30 });
        keys.forEach((_, i) => one.addUtf8(bytes, starts[i]!, ends[i]!));
        const two = DynamicBloomFilter.create({ numEntries: 10, fpp: 0.01, maxEntries: 30 });
        two.addUtf8Keys(bytes, starts, ends, keys.length);
        expect(two.toBase64()).toBe(one.toBase64());
      }),
      { numRuns: 200 },
    );
  });

  it('refuses empty keys', () => {
    expect(() => DynamicBloomFilter.create().addUtf8(new Uint8Array(4), 2, 2)).toThrow(/must not be empty/);
  });

  it('counts keys', () => {
    expect(build(['a', 'b', 'a'], DEFAULT_BLOOM_OPTIONS).keyCount).toBe(3);
  });
});
