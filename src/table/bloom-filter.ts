/**
 * Apache Hudi's DYNAMIC_V0 bloom filter, the value of the `org.apache.hudi.bloomfilter` parquet footer
 * key, reproduced bit for bit (layout, hashing and row growth: hudi-format.md §7). Pure: no I/O.
 */
import { InvalidArgumentError, InvalidInputError } from '../errors.ts';
import { type Base64Text, encodeBase64, encodeBase64Bytes } from './base64.ts';
import { type FilterHeader, decodeFilter, decodeStoredRows, newRow, patchStoredFilter, serializeFilter, storedFilter } from './bloom-layout.ts';
import { simdBatch, type PositionsSink } from './bloom-simd.ts';
import { type BloomFilterOptions, bloomSizing } from './bloom-sizing.ts';

export type { BloomFilterOptions } from './bloom-sizing.ts';

/** Hudi's defaults: `hoodie.index.bloom.num_entries`, `.fpp`, `hoodie.bloom.index.filter.dynamic.max.entries`. */
export const DEFAULT_BLOOM_OPTIONS: BloomFilterOptions = { numEntries: 60_000, fpp: 1e-9, maxEntries: 100_000 };

/** The footer value of `hoodie_bloom_filter_type_code` for this filter. */
export const BLOOM_TYPE_CODE = 'DYNAMIC_V0';

const M = 0x5bd1e995;

// One 4-byte little-endian block, mixed. It does not depend on the seed, so a key's blocks are
// mixed once and reused by all nbHash rounds (each round only folds them into h).
function mixBlock(b: Uint8Array, p: number): number {
  let k = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
  k = Math.imul(k, M);
  return Math.imul(k ^ (k >>> 24), M);
}

// Hadoop reads the 1-3 tail bytes counting back from the END of the key (so for 2 or 3 tail bytes the
// order is reversed compared with reference MurmurHash2), and sign-extends them like Java bytes.
function tailBits(b: Uint8Array, end: number, len: number): number {
  const left = len & 3;
  let t = 0;
  if (left >= 3) t ^= (b[end - 3] << 24) >> 8;
  if (left >= 2) t ^= (b[end - 2] << 24) >> 16;
  if (left >= 1) t ^= (b[end - 1] << 24) >> 24;
  return t;
}

/**
 * Java's `Math.abs(h % vectorSize)`, which is |h| mod vectorSize, computed in floating point: an
 * integer division per hash is the slowest step of hashing, a multiply by the precomputed inverse is
 * not. x < 2^32 and the quotient estimate is off by at most one, so the corrected remainder is exact.
 * |h| as uint32 keeps MIN_INT right (2^31).
 */
function bitIndex(h: number, v: number, inverse: number): number {
  const x = ((h ^ (h >> 31)) - (h >> 31)) >>> 0;
  let r = x - Math.floor(x * inverse) * v;
  if (r >= v) r -= v;
  else if (r < 0) r += v;
  return r;
}

function finish(h: number): number {
  h ^= h >>> 13;
  h = Math.imul(h, M);
  return h ^ (h >>> 15);
}

/** Hadoop's 32-bit MurmurHash2 over bytes[0, length) with a seed; returns a signed 32-bit int like Java. */
export function murmurHash2(bytes: Uint8Array, length: number, seed: number): number {
  if (!Number.isInteger(length) || length < 0 || length > bytes.length) {
    throw new InvalidArgumentError(`murmurHash2: length ${length} is outside 0..${bytes.length}`, { value: length });
  }
  let h = seed ^ length;
  for (let p = 0; p + 4 <= length; p += 4) h = Math.imul(h, M) ^ mixBlock(bytes, p);
  if ((length & 3) !== 0) h = Math.imul(h ^ tailBits(bytes, length, length), M);
  return finish(h);
}

// Scratch shared by every filter (JS is single-threaded): a key's UTF-8 bytes and its mixed blocks,
// so adding millions of keys allocates nothing per key or per hash.
const encoder = new TextEncoder();
let keyBytes = new Uint8Array(1024);
let keyBlocks = new Int32Array(256);
let keyBlocks2 = new Int32Array(256);
// Java's String.getBytes(UTF_8) writes '?' for a lone surrogate; TextEncoder would write U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function encodeKey(key: string): number {
  const n = key.length;
  if (n === 0) throw new InvalidInputError('bloom filter keys must not be empty (Hudi rejects them too)');
  if (keyBytes.length < n * 3) keyBytes = new Uint8Array(n * 6);
  // ASCII fast path: for typical short record keys a plain loop is faster than the encodeInto call.
  let i = 0;
  for (let c = 0; i < n && (c = key.charCodeAt(i)) < 0x80; i++) keyBytes[i] = c;
  if (i === n) return n;
  return encoder.encodeInto(key.replace(LONE_SURROGATE, '?'), keyBytes).written;
}

// A resumed filter's row that has taken no new bit yet (allocated when it first does: ~0.3 MB).
const UNTOUCHED = new Uint8Array(0);

/** Hudi's HoodieDynamicBoundedBloomFilter: rows of Hadoop bloom filters, one added per `numEntries` keys. */
export class DynamicBloomFilter {
  private readonly positions: Int32Array; // the last hashed key's bit positions (reused)
  private readonly positions2: Int32Array; // the second key's, when hashing two at once
  private readonly inverse: number; // 1 / vectorSize, for bitIndex
  private reachedMax = false;
  private roundRobin = 0;
  // A filter resumed from stored bytes is not decoded until it must be (mightContain, serialize):
  // until then its first `header.rows` rows hold only the bits set since, and base64Bytes() ORs
  // them into the stored text (see storedFilter).
  private stored: { readonly header: FilterHeader; readonly text: Base64Text } | undefined;

  private constructor(
    private readonly vectorSize: number,
    private readonly nbHash: number,
    private readonly nr: number,
    private readonly maxNr: number,
    private currentNbRecord: number,
    private readonly rows: Uint8Array[],
  ) {
    this.positions = new Int32Array(nbHash);
    this.positions2 = new Int32Array(nbHash);
    this.inverse = 1 / vectorSize;
  }

  /** An empty filter sized like Hudi's (see bloomSizing). */
  static create(options: BloomFilterOptions = DEFAULT_BLOOM_OPTIONS): DynamicBloomFilter {
    const { vectorSize, nbHash } = bloomSizing(options);
    return new DynamicBloomFilter(vectorSize, nbHash, options.numEntries, options.maxEntries, 0, [newRow(vectorSize)]);
  }

  /**
   * Parses the base64 footer value (`org.apache.hudi.bloomfilter`). Throws an Error naming the problem on
   * malformed input. maxEntries is not serialized: like Hudi, a parsed filter takes it as 0, so keys added
   * after the current row is full go round-robin over the existing rows.
   */
  static fromBase64(encoded: string | Uint8Array): DynamicBloomFilter {
    const { header: h, rows } = decodeFilter(encoded);
    return new DynamicBloomFilter(h.vectorSize, h.nbHash, h.nr, 0, h.currentNbRecord, rows);
  }

  /**
   * Parses a footer value (its text, or its bytes as stored) written with `options` and restores
   * the state a writer had after adding its keys, so adding more keys gives bit for bit the filter
   * `create(options)` would build from all keys in that order. `fromBase64` cannot (like Hudi, it
   * forgets maxEntries). Undefined when the value was not written with these options (other size,
   * hash count or row size, or counters no writer with these options reaches): the caller then
   * rebuilds the filter from the keys. From stored bytes only the headers are decoded (every
   * character is checked): a rewrite adds a few keys and writes the value again (`base64Bytes`).
   */
  static resume(encoded: string | Uint8Array, options: BloomFilterOptions = DEFAULT_BLOOM_OPTIONS): DynamicBloomFilter | undefined {
    // Stored bytes as this writer writes them stay undecoded (see `stored`); anything else is decoded.
    const stored = typeof encoded === 'string' ? undefined : storedFilter(encoded);
    const { header, rows: bits } = stored === undefined ? decodeFilter(encoded) : { header: stored.header, rows: new Array<Uint8Array>(stored.header.rows).fill(UNTOUCHED) };
    const sized = bloomSizing(options);
    if (header.vectorSize !== sized.vectorSize || header.nbHash !== sized.nbHash || header.nr !== options.numEntries) return undefined;
    const rows = header.rows;
    const count = header.currentNbRecord;
    const nr = header.nr;
    // A writer adds row k+1 only while k·nr < maxEntries, and only once row k holds nr keys.
    if (count < 0 || (rows > 1 && (rows - 1) * nr >= options.maxEntries) || (rows > 1 && count === 0)) return undefined;
    const filter = new DynamicBloomFilter(header.vectorSize, header.nbHash, nr, options.maxEntries, count, bits);
    if (count > nr) {
      // Past the bound: the first key beyond it went to row 0 without advancing the round robin,
      // every later one advanced it. Reaching it means the rows could not grow any more.
      if (rows * nr < options.maxEntries) return undefined;
      filter.reachedMax = true;
      filter.roundRobin = count - nr - 1;
    }
    filter.stored = stored;
    return filter;
  }

  /** Decodes a filter over stored text: its rows then hold every bit (see `stored`). */
  private materialize(): void {
    const stored = this.stored;
    if (stored === undefined) return;
    decodeStoredRows(stored, this.rows).forEach((row, r) => (this.rows[r] = row));
    this.stored = undefined;
  }

  // Fills this.positions with the nbHash bit positions of the key bytes b[start, start + len)
  // (each round seeds with the previous hash).
  private hashBytes(b: Uint8Array, start: number, len: number): Int32Array {
    const blocks = len >>> 2;
    if (keyBlocks.length < blocks) keyBlocks = new Int32Array(blocks * 2);
    const kb = keyBlocks;
    for (let i = 0; i < blocks; i++) kb[i] = mixBlock(b, start + (i << 2));
    const tail = (len & 3) !== 0;
    const tailXor = tailBits(b, start + len, len);
    const out = this.positions;
    const v = this.vectorSize;
    const inv = this.inverse;
    let h = 0;
    for (let j = 0; j < out.length; j++) {
      h ^= len;
      for (let i = 0; i < blocks; i++) h = Math.imul(h, M) ^ kb[i];
      if (tail) h = Math.imul(h ^ tailXor, M);
      h = finish(h);
      out[j] = bitIndex(h, v, inv);
    }
    return out;
  }

  // Two keys at once: the 30 rounds of one key are a chain of dependent multiplications, so
  // interleaving two independent chains lets the CPU overlap them (about 1.5x on long runs of keys).
  private hashPair(b: Uint8Array, s1: number, l1: number, s2: number, l2: number): void {
    const n1 = l1 >>> 2;
    const n2 = l2 >>> 2;
    if (keyBlocks.length < n1) keyBlocks = new Int32Array(n1 * 2);
    if (keyBlocks2.length < n2) keyBlocks2 = new Int32Array(n2 * 2);
    const ka = keyBlocks;
    const kb = keyBlocks2;
    for (let i = 0; i < n1; i++) ka[i] = mixBlock(b, s1 + (i << 2));
    for (let i = 0; i < n2; i++) kb[i] = mixBlock(b, s2 + (i << 2));
    const t1 = (l1 & 3) !== 0;
    const t2 = (l2 & 3) !== 0;
    const x1 = tailBits(b, s1 + l1, l1);
    const x2 = tailBits(b, s2 + l2, l2);
    const outA = this.positions;
    const outB = this.positions2;
    const v = this.vectorSize;
    const inv = this.inverse;
    let h = 0;
    let g = 0;
    for (let j = 0; j < outA.length; j++) {
      h ^= l1;
      g ^= l2;
      for (let i = 0; i < n1; i++) h = Math.imul(h, M) ^ ka[i];
      for (let i = 0; i < n2; i++) g = Math.imul(g, M) ^ kb[i];
      if (t1) h = Math.imul(h ^ x1, M);
      if (t2) g = Math.imul(g ^ x2, M);
      h = finish(h);
      g = finish(g);
      outA[j] = bitIndex(h, v, inv);
      outB[j] = bitIndex(g, v, inv);
    }
  }

  /**
   * Adds `count` keys given as UTF-8 bytes `bytes[starts[k], ends[k])`, in order: the same filter as
   * adding each with `addUtf8`, several times faster on many keys.
   */
  addUtf8Keys(bytes: Uint8Array, starts: Int32Array, ends: Int32Array, count: number): void {
    // WebAssembly SIMD hashes 8 keys at once when it can (several times faster); the loop below is
    // the reference, the fallback, and hashes what SIMD did not (from an empty key on: it throws there).
    const batch = simdBatch(bytes, starts, ends, count, this.nbHash, this.vectorSize);
    let k = 0;
    while (batch !== undefined && k < batch.count) {
      if (this.reachedMax) {
        // Round robin: every key to another row, so each key's positions are set here.
        batch.positions(k, batch.count - k, this.setPositions);
        break;
      }
      // Like set(): the row for the next key, which then takes keys until it holds nr (or just this
      // key when it is the first one past the bound, the round robin starting after it).
      const row = this.activeRow();
      const n = this.reachedMax ? 1 : Math.min(batch.count - k, this.nr - this.currentNbRecord);
      batch.setBits(k, n, row);
      this.currentNbRecord = (this.currentNbRecord + n) | 0;
      k += n;
    }
    if (batch !== undefined) k = batch.count;
    for (; k + 1 < count; k += 2) {
      const [s1, e1, s2, e2] = [starts[k]!, ends[k]!, starts[k + 1]!, ends[k + 1]!];
      if (e1 <= s1 || e2 <= s2) throw new InvalidInputError('bloom filter keys must not be empty (Hudi rejects them too)');
      this.hashPair(bytes, s1, e1 - s1, s2, e2 - s2);
      this.set(this.positions);
      this.set(this.positions2);
    }
    if (k < count) this.addUtf8(bytes, starts[k]!, ends[k]!);
  }

  // Sets the bits of n keys hashed by a SimdBatch, each in its row, in key order (layout: PositionsSink).
  private readonly setPositions: PositionsSink = (positions, n) => {
    const nb = this.nbHash;
    for (let k = 0; k < n; k++) {
      const row = this.activeRow();
      for (let j = 0, p = (k >>> 3) * nb * 8 + (k & 7); j < nb; j++, p += 8) {
        const bit = positions[p]!;
        row[bit >>> 3] |= 1 << (bit & 7);
      }
      this.currentNbRecord = (this.currentNbRecord + 1) | 0;
    }
  };

  private hashKey(key: string): Int32Array {
    const len = encodeKey(key); // may replace keyBytes with a larger buffer: read it after
    return this.hashBytes(keyBytes, 0, len);
  }

  // Hudi's row choice: fill the last row to nr keys, then add a row while rows·nr < maxNr; after that
  // (state not serialized) row 0 takes the next key and rows are then used round-robin from row 0.
  private activeRow(): Uint8Array {
    const rows = this.rows;
    let r: number;
    if (this.reachedMax) r = this.roundRobin++ % rows.length;
    else if (this.currentNbRecord < this.nr) r = rows.length - 1;
    else if (Math.imul(rows.length, this.nr) < this.maxNr) {
      rows.push(newRow(this.vectorSize));
      this.currentNbRecord = 0;
      r = rows.length - 1;
    } else {
      this.reachedMax = true;
      r = 0;
    }
    const row = rows[r];
    return row === UNTOUCHED ? (rows[r] = newRow(this.vectorSize)) : row;
  }

  /** Adds a record key (its UTF-8 bytes, as Hudi hashes them). */
  add(key: string): void {
    this.set(this.hashKey(key));
  }

  /**
   * Adds a key given as UTF-8 bytes `bytes[start, end)`, as DuckDB hands VARCHAR over: the same
   * filter as `add` of the decoded string, without building JavaScript strings.
   */
  addUtf8(bytes: Uint8Array, start: number, end: number): void {
    if (end <= start) throw new InvalidInputError('bloom filter keys must not be empty (Hudi rejects them too)');
    this.set(this.hashBytes(bytes, start, end - start));
  }

  private set(positions: Int32Array): void {
    const row = this.activeRow();
    for (let j = 0; j < positions.length; j++) row[positions[j] >>> 3] |= 1 << (positions[j] & 7);
    this.currentNbRecord = (this.currentNbRecord + 1) | 0;
  }

  /** How many keys were added (duplicates count each time): what the filter's counters imply. */
  get keyCount(): number {
    return (this.rows.length - 1) * this.nr + this.currentNbRecord;
  }

  /** Adds every key, in order. */
  addAll(keys: Iterable<string>): void {
    for (const key of keys) this.add(key);
  }

  /** False when the key was certainly never added; true when some row has all of its bits. */
  mightContain(key: string): boolean {
    this.materialize();
    const positions = this.hashKey(key);
    nextRow: for (const row of this.rows) {
      for (let j = 0; j < positions.length; j++) {
        if ((row[positions[j] >>> 3] & (1 << (positions[j] & 7))) === 0) continue nextRow;
      }
      return true;
    }
    return false;
  }

  /** Serialized DYNAMIC_V0 bytes (big-endian Java DataOutput), before base64. */
  serialize(): Uint8Array {
    this.materialize();
    return serializeFilter(this.header(), this.rows);
  }

  private header(): FilterHeader {
    return { nbHash: this.nbHash, vectorSize: this.vectorSize, nr: this.nr, currentNbRecord: this.currentNbRecord, rows: this.rows.length };
  }

  /** The footer value: serialize(), then base64 (standard alphabet, padded), exactly as Hudi writes it. */
  toBase64(): string {
    return encodeBase64(this.serialize());
  }

  /**
   * The same footer value as its bytes (ASCII), ready to be written. A filter resumed from stored
   * bytes re-encodes only the groups its new keys (and counters) changed, without decoding the
   * rest; once something needed every bit (`mightContain`, `serialize`, a row added), it is
   * encoded whole.
   */
  base64Bytes(): Uint8Array {
    const stored = this.stored;
    if (stored !== undefined && this.rows.length === stored.header.rows) return patchStoredFilter(stored, this.header(), this.rows);
    return encodeBase64Bytes(this.serialize());
  }
}
