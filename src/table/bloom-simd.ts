/**
 * The bloom filter's bulk hashing in WebAssembly SIMD (bloom-murmur.wat): the nbHash rounds of one
 * key are a chain of dependent multiplications, but keys are independent, so 8 keys are hashed at
 * once in two i32x4 vectors. The filter picks the row of each run of keys (it depends on their place)
 * and has wasm set their bits in it, or, when consecutive keys go to different rows, takes their
 * bit positions. Bit for bit the pure-JS path of bloom-filter.ts,
 * which stays the reference and the fallback when WebAssembly SIMD is unavailable.
 */
import { decodeBase64 } from './base64.ts';
import { BLOOM_MURMUR_WASM } from './bloom-murmur-wasm.ts';

// The WebAssembly API as used here (the project's TypeScript libs, ES2023 without DOM, do not declare it).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

interface MurmurExports {
  readonly memory: WasmMemory;
  readonly hash: (
    keys: number, starts: number, ends: number, groups: number,
    nbHash: number, v: number, m: number, scratch: number, out: number, row: number,
  ) => void;
}

/** Keys per call into wasm when positions are handed out: bounds their buffer (2048 × 30 × 4 bytes = 240 KiB). */
const CHUNK = 2048;
const PAGE = 65536;
const SCRATCH = 64; // byte offset of the scratch area (128 bytes, then 32 per block of the longest key)

let exportsOrNull: MurmurExports | null | undefined; // undefined: not tried yet; null: unavailable
let enabled = true;

function murmur(): MurmurExports | null {
  if (exportsOrNull !== undefined) return exportsOrNull;
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) throw new Error('no WebAssembly');
    const module = new wasm.Module(decodeBase64(BLOOM_MURMUR_WASM, 'bloom filter wasm'));
    exportsOrNull = new wasm.Instance(module, {}).exports as MurmurExports;
  } catch {
    exportsOrNull = null; // no WebAssembly, or no SIMD: the JS path hashes instead
  }
  return exportsOrNull;
}

/** For tests only: false forces the pure-JS path (the reference), true restores the default. */
export function setBloomSimd(on: boolean): void {
  enabled = on;
}

/** Whether addUtf8Keys hashes with WebAssembly SIMD (available and not switched off). */
export function bloomSimdActive(): boolean {
  return enabled && murmur() !== null;
}

/**
 * Receives the bit positions of `n` consecutive keys: key k's (0 ≤ k < n) round j is
 * `positions[((k >>> 3) * nbHash + j) * 8 + (k & 7)]`. The array is a view of wasm memory, valid
 * only during the call.
 */
export type PositionsSink = (positions: Int32Array, n: number) => void;

/** A blob's keys copied into wasm memory, ready to hash. */
export interface SimdBatch {
  /**
   * How many keys (from 0 on) it can hash: all, or fewer when a key is empty: it stops before the
   * pair of keys holding the first empty one, as the JS path (which throws there) checks a pair of
   * keys before adding either.
   */
  readonly count: number;
  /** Sets the bits of keys [first, first + n) in `row` (a bit vector: bit b is byte b >> 3, mask 1 << (b & 7)). */
  setBits(first: number, n: number, row: Uint8Array): void;
  /** Hands the bit positions of keys [first, first + n) to `sink`, a chunk at a time, in key order. */
  positions(first: number, n: number, sink: PositionsSink): void;
}

/**
 * Copies keys `bytes[starts[k], ends[k])`, k < count, into wasm memory for hashing. Undefined when
 * it cannot: WebAssembly SIMD unavailable or switched off, a key outside `bytes`, or the first key
 * pair holding an empty key (the JS path then hashes, and throws).
 */
export function simdBatch(
  bytes: Uint8Array, starts: Int32Array, ends: Int32Array, count: number, nbHash: number, vectorSize: number,
): SimdBatch | undefined {
  if (!enabled || count <= 0) return undefined;
  const wasm = murmur();
  if (wasm === null) return undefined;
  let lo = bytes.length;
  let hi = 0;
  let maxLen = 0;
  let good = count;
  for (let k = 0; k < count; k++) {
    const s = starts[k]!;
    const e = ends[k]!;
    if (e <= s) {
      good = k & ~1;
      break;
    }
    if (s < 0 || e > bytes.length) return undefined;
    if (s < lo) lo = s;
    if (e > hi) hi = e;
    if (e - s > maxLen) maxLen = e - s;
  }
  if (good === 0) return undefined;

  // Layout: scratch | starts | ends | positions (or set-mode scratch) | row | 16 bytes (wasm updates
  // the row an i32 at a time, so it may rewrite up to 3 bytes past it) | key bytes. All 4-aligned.
  const chunk = Math.min(CHUNK, (good + 7) & ~7);
  const rowBytes = (vectorSize + 7) >>> 3;
  const startsAt = SCRATCH + 128 + 32 * (maxLen >>> 2) + 32;
  const endsAt = startsAt + good * 4 + 32;
  const outAt = endsAt + good * 4 + 32;
  const rowAt = outAt + chunk * nbHash * 4;
  const keysAt = rowAt + rowBytes + 16;
  const needed = keysAt + (hi - lo) + 16;
  const memory = wasm.memory;
  if (memory.buffer.byteLength < needed) {
    try {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    } catch {
      return undefined; // past what wasm memory can hold (huge filters or blobs): the JS path hashes
    }
  }
  const buffer = memory.buffer;
  new Uint8Array(buffer, keysAt, hi - lo).set(bytes.subarray(lo, hi));
  new Int32Array(buffer, startsAt, good).set(starts.subarray(0, good));
  new Int32Array(buffer, endsAt, good).set(ends.subarray(0, good));
  const wasmRow = new Uint8Array(buffer, rowAt, rowBytes);
  const positions = new Int32Array(buffer, outAt, chunk * nbHash);
  // m = floor(2^32 / v), at most 2^32 - 1 (passed as its int32 bit pattern).
  const m = Math.min(Math.floor(0x100000000 / vectorSize), 0xffffffff) | 0;
  const hash = (first: number, n: number, row: number): void =>
    wasm.hash(keysAt - lo, startsAt + first * 4, endsAt + first * 4, n, nbHash, vectorSize, m, SCRATCH, outAt, row);
  return {
    count: good,
    setBits(first, n, row) {
      if (row.length !== rowBytes || first < 0 || n < 0 || first + n > good) throw new RangeError('bad simd batch range');
      wasmRow.set(row);
      hash(first, n, rowAt);
      row.set(wasmRow);
    },
    positions(first, n, sink) {
      if (first < 0 || n < 0 || first + n > good) throw new RangeError('bad simd batch range');
      for (let at = first; at < first + n; at += chunk) {
        const size = Math.min(chunk, first + n - at);
        hash(at, size, 0);
        sink(positions, size);
      }
    },
  };
}
