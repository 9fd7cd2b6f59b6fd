/**
 * Apache Hudi's DYNAMIC_V0 bloom filter, the value of the `org.apache.hudi.bloomfilter` parquet footer
 * key, reproduced bit for bit (layout, hashing and row growth: hudi-format.md §7). Pure: no I/O.
 */
import { InvalidArgumentError, InvalidInputError, TableFormatError } from '../errors.ts';

/** Sizing of a dynamic filter: keys per row, target false-positive rate, keys before rows stop growing. */
export interface BloomFilterOptions {
  readonly numEntries: number;
  readonly fpp: number;
  readonly maxEntries: number;
}

/** Hudi's defaults: `hoodie.index.bloom.num_entries`, `.fpp`, `hoodie.bloom.index.filter.dynamic.max.entries`. */
export const DEFAULT_BLOOM_OPTIONS: BloomFilterOptions = { numEntries: 60_000, fpp: 1e-9, maxEntries: 100_000 };

/** The footer value of `hoodie_bloom_filter_type_code` for this filter. */
export const BLOOM_TYPE_CODE = 'DYNAMIC_V0';

const M = 0x5bd1e995;
const VERSION = -1;
const MURMUR = 1; // Hadoop's hash type code for MurmurHash
const FILTER_HEADER = 13; // int32 version, int32 nbHash, int8 hashType, int32 vectorSize
const DYNAMIC_HEADER = FILTER_HEADER + 12; // + int32 nr, int32 currentNbRecord, int32 rows
const INT32_MAX = 0x7fffffff;
const newRow = (vectorSize: number): Uint8Array => new Uint8Array((vectorSize + 7) >>> 3);

// One 4-byte little-endian block, mixed. It does not depend on the seed, so a key's blocks are
// mixed once and reused by all nbHash rounds (each round only folds them into h).
function mixBlock(b: Uint8Array, p: number): number {
  let k = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
  k = Math.imul(k, M);
  return Math.imul(k ^ (k >>> 24), M);
}

// Hadoop reads the 1-3 tail bytes counting back from the END of the key (so for 2 or 3 tail bytes the
// order is reversed compared with reference MurmurHash2), and sign-extends them like Java bytes.
function tailBits(b: Uint8Array, len: number): number {
  const left = len & 3;
  let t = 0;
  if (left >= 3) t ^= (b[len - 3] << 24) >> 8;
  if (left >= 2) t ^= (b[len - 2] << 24) >> 16;
  if (left >= 1) t ^= (b[len - 1] << 24) >> 24;
  return t;
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
  if ((length & 3) !== 0) h = Math.imul(h ^ tailBits(bytes, length), M);
  return finish(h);
}

// Scratch shared by every filter (JS is single-threaded): a key's UTF-8 bytes and its mixed blocks,
// so adding millions of keys allocates nothing per key or per hash.
const encoder = new TextEncoder();
let keyBytes = new Uint8Array(1024);
let keyBlocks = new Int32Array(256);
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

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));
const B64_VALUES = new Int8Array(128).fill(-1);
const ascii = new TextDecoder();
for (let i = 0; i < 64; i++) B64_VALUES[B64_CODES[i]] = i;

function encodeBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  for (let i = 0, o = 0; i < n; i += 3, o += 4) {
    const v = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0) | (i + 2 < n ? bytes[i + 2] : 0);
    out[o] = B64_CODES[v >>> 18];
    out[o + 1] = B64_CODES[(v >>> 12) & 63];
    out[o + 2] = i + 1 < n ? B64_CODES[(v >>> 6) & 63] : 61; // '='
    out[o + 3] = i + 2 < n ? B64_CODES[v & 63] : 61;
  }
  return ascii.decode(out);
}

// Strict decoder: standard alphabet only, at most two '=' and only at the end (padding optional).
function decodeBase64(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.length - end < 2 && text.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1 || (end < text.length && text.length % 4 !== 0)) {
    throw new TableFormatError(`bloom filter: base64 text has an impossible length (${text.length})`);
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  for (let i = 0, acc = 0, bits = 0, o = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_VALUES[c] : -1;
    if (v < 0) throw new TableFormatError(`bloom filter: invalid base64 character ${JSON.stringify(text[i])} at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) out[o++] = (acc >>> (bits -= 8)) & 0xff;
  }
  return out;
}

/** Hudi's HoodieDynamicBoundedBloomFilter: rows of Hadoop bloom filters, one added per `numEntries` keys. */
export class DynamicBloomFilter {
  private readonly positions: Int32Array; // the last hashed key's bit positions (reused)
  private reachedMax = false;
  private roundRobin = 0;

  private constructor(
    private readonly vectorSize: number,
    private readonly nbHash: number,
    private readonly nr: number,
    private readonly maxNr: number,
    private currentNbRecord: number,
    private readonly rows: Uint8Array[],
  ) {
    this.positions = new Int32Array(nbHash);
  }

  /** An empty filter sized like Hudi's (bits = ceil(n·-ln p / ln²2), hashes = ceil(ln2·bits / n)). */
  static create(options: BloomFilterOptions = DEFAULT_BLOOM_OPTIONS): DynamicBloomFilter {
    const { numEntries, fpp, maxEntries } = options;
    for (const [name, value, min] of [['numEntries', numEntries, 1], ['maxEntries', maxEntries, 0]] as const) {
      if (!Number.isInteger(value) || value < min || value > INT32_MAX) {
        throw new InvalidArgumentError(`bloom filter ${name} must be an integer in ${min}..${INT32_MAX}, got ${value}`);
      }
    }
    if (!(fpp > 0 && fpp < 1)) throw new InvalidArgumentError(`bloom filter fpp must be in (0, 1), got ${fpp}`);
    // Same double arithmetic, in the same order, as Hudi's BloomFilterUtils.
    const log2Squared = Math.log(2) * Math.log(2);
    const vectorSize = Math.ceil(numEntries * (-Math.log(fpp) / log2Squared));
    if (vectorSize > INT32_MAX) throw new InvalidArgumentError(`bloom filter of ${vectorSize} bits is too large`);
    const nbHash = Math.ceil((Math.log(2) * vectorSize) / numEntries);
    return new DynamicBloomFilter(vectorSize, nbHash, numEntries, maxEntries, 0, [newRow(vectorSize)]);
  }

  /**
   * Parses the base64 footer value (`org.apache.hudi.bloomfilter`). Throws an Error naming the problem on
   * malformed input. maxEntries is not serialized: like Hudi, a parsed filter takes it as 0, so keys added
   * after the current row is full go round-robin over the existing rows.
   */
  static fromBase64(encoded: string): DynamicBloomFilter {
    const fail = (problem: string): never => {
      throw new TableFormatError(`bloom filter: ${problem}`);
    };
    const bytes = decodeBase64(encoded);
    if (bytes.length < DYNAMIC_HEADER) fail(`truncated header (${bytes.length} bytes)`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getInt32(0);
    const [nbHash, hashType, vectorSize] = [view.getInt32(4), view.getInt8(8), view.getInt32(9)];
    if (version !== VERSION) fail(`unsupported version ${version} (expected -1)`);
    if (hashType !== MURMUR) fail(`unsupported hash type ${hashType} (expected 1, murmur)`);
    if (nbHash <= 0 || vectorSize <= 0) fail(`bad nbHash ${nbHash} or vector size ${vectorSize}`);
    const count = view.getInt32(21);
    if (count <= 0) fail(`bad row count ${count}`);
    const rowBytes = (vectorSize + 7) >>> 3;
    const size = DYNAMIC_HEADER + count * (FILTER_HEADER + rowBytes);
    if (bytes.length !== size) fail(`${bytes.length} bytes, but ${count} rows of ${vectorSize} bits need ${size}`);
    const rows: Uint8Array[] = [];
    for (let r = 0, at = DYNAMIC_HEADER; r < count; r++, at += FILTER_HEADER + rowBytes) {
      const rowHeader = bytes.subarray(at, at + FILTER_HEADER);
      if (rowHeader.some((b, i) => b !== bytes[i])) fail(`row ${r} header differs from the top one`);
      const bits = bytes.slice(at + FILTER_HEADER, at + FILTER_HEADER + rowBytes);
      if ((vectorSize & 7) !== 0) bits[rowBytes - 1] &= (1 << (vectorSize & 7)) - 1; // bits past the end: ignored
      rows.push(bits);
    }
    return new DynamicBloomFilter(vectorSize, nbHash, view.getInt32(13), 0, view.getInt32(17), rows);
  }

  // Fills this.positions with the key's nbHash bit positions (each round seeds with the previous hash).
  private hashKey(key: string): Int32Array {
    const len = encodeKey(key);
    const blocks = len >>> 2;
    if (keyBlocks.length < blocks) keyBlocks = new Int32Array(blocks * 2);
    for (let i = 0; i < blocks; i++) keyBlocks[i] = mixBlock(keyBytes, i << 2);
    const tail = (len & 3) !== 0;
    const tailXor = tailBits(keyBytes, len);
    const out = this.positions;
    const v = this.vectorSize;
    let h = 0;
    for (let j = 0; j < out.length; j++) {
      h ^= len;
      for (let i = 0; i < blocks; i++) h = Math.imul(h, M) ^ keyBlocks[i];
      if (tail) h = Math.imul(h ^ tailXor, M);
      h = finish(h);
      // Java's Math.abs(h % vectorSize) is |h| mod vectorSize. Taking |h| (as uint32, for MIN_INT) first
      // keeps V8 on integer modulo; `h % v` on a negative h may yield -0 and falls off the fast path (2x).
      out[j] = ((h < 0 ? -h : h) >>> 0) % v;
    }
    return out;
  }

  // Hudi's row choice: fill the last row to nr keys, then add a row while rows·nr < maxNr; after that
  // (state not serialized) row 0 takes the next key and rows are then used round-robin from row 0.
  private activeRow(): Uint8Array {
    const rows = this.rows;
    if (this.reachedMax) return rows[this.roundRobin++ % rows.length];
    if (this.currentNbRecord < this.nr) return rows[rows.length - 1];
    if (Math.imul(rows.length, this.nr) < this.maxNr) {
      rows.push(newRow(this.vectorSize));
      this.currentNbRecord = 0;
      return rows[rows.length - 1];
    }
    this.reachedMax = true;
    return rows[0];
  }

  /** Adds a record key (its UTF-8 bytes, as Hudi hashes them). */
  add(key: string): void {
    const positions = this.hashKey(key);
    const row = this.activeRow();
    for (let j = 0; j < positions.length; j++) row[positions[j] >>> 3] |= 1 << (positions[j] & 7);
    this.currentNbRecord = (this.currentNbRecord + 1) | 0;
  }

  /** Adds every key, in order. */
  addAll(keys: Iterable<string>): void {
    for (const key of keys) this.add(key);
  }

  /** False when the key was certainly never added; true when some row has all of its bits. */
  mightContain(key: string): boolean {
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
    const stride = FILTER_HEADER + ((this.vectorSize + 7) >>> 3);
    const out = new Uint8Array(DYNAMIC_HEADER + this.rows.length * stride);
    const view = new DataView(out.buffer);
    view.setInt32(0, VERSION);
    view.setInt32(4, this.nbHash);
    view.setInt8(8, MURMUR);
    view.setInt32(9, this.vectorSize);
    view.setInt32(13, this.nr);
    view.setInt32(17, this.currentNbRecord);
    view.setInt32(21, this.rows.length);
    this.rows.forEach((row, r) => {
      const at = DYNAMIC_HEADER + r * stride;
      out.copyWithin(at, 0, FILTER_HEADER); // each row repeats the filter header
      out.set(row, at + FILTER_HEADER); // rows are kept in serialized bit order: bit i = byte i>>3, mask 1<<(i&7)
    });
    return out;
  }

  /** The footer value: serialize(), then base64 (standard alphabet, padded), exactly as Hudi writes it. */
  toBase64(): string {
    return encodeBase64(this.serialize());
  }
}
