/**
 * Standard, padded base64 (RFC 4648), strict on decoding: the codec of Hudi's bloom filters in
 * Parquet footers. Errors name `what` was being decoded.
 */
import { TableFormatError } from '../errors.ts';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));
const B64_VALUES = new Int8Array(128).fill(-1);
const ascii = new TextDecoder();
for (let i = 0; i < 64; i++) B64_VALUES[B64_CODES[i]] = i;

// Node's Buffer codec is native and ~5x faster on these ~430 KB values; the JavaScript codecs below
// are the definition (and the fallback elsewhere). Both give standard, padded base64.
type NodeBuffer = Uint8Array & { toString(encoding: string): string };
const NativeBuffer = (
  globalThis as {
    Buffer?: {
      from(data: ArrayBufferView | string, encoding?: string): NodeBuffer;
      from(data: ArrayBufferLike, byteOffset: number, length: number): NodeBuffer;
      allocUnsafeSlow(size: number): NodeBuffer;
    };
  }
).Buffer;

export function encodeBase64(bytes: Uint8Array): string {
  if (NativeBuffer !== undefined) return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return ascii.decode(encodeBase64Bytes(bytes));
}

/** `encodeBase64` as ASCII bytes. */
export function encodeBase64Bytes(bytes: Uint8Array): Uint8Array {
  if (NativeBuffer !== undefined) return NativeBuffer.from(NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), 'latin1');
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  for (let i = 0, o = 0; i < n; i += 3, o += 4) {
    const v = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0) | (i + 2 < n ? bytes[i + 2] : 0);
    out[o] = B64_CODES[v >>> 18];
    out[o + 1] = B64_CODES[(v >>> 12) & 63];
    out[o + 2] = i + 1 < n ? B64_CODES[(v >>> 6) & 63] : 61; // '='
    out[o + 3] = i + 2 < n ? B64_CODES[v & 63] : 61;
  }
  return out;
}

/** Bytes as a string of the same char codes (Latin-1): how base64 stored as bytes is decoded. */
function latin1(bytes: Uint8Array): string {
  if (NativeBuffer !== undefined) return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

// Every byte's value as a base64 digit, -1 for anything else (Latin-1 and beyond too).
const DIGIT = new Int32Array(256).fill(-1);
for (let i = 0; i < 64; i++) DIGIT[B64_CODES[i]] = i;

/**
 * Base64 stored as ASCII bytes, decoded four characters at a time: from bytes this is faster than
 * making a ~1 MB string for Node's decoder. Undefined when the text is not valid base64, so the
 * strict decoder below names the problem.
 */
function decodeAsciiBase64(t: Uint8Array): Uint8Array | undefined {
  const n = t.length;
  let end = n;
  while (end > 0 && n - end < 2 && t[end - 1] === 61) end--;
  if (end % 4 === 1 || (end < n && n % 4 !== 0)) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  const full = end & ~3;
  let bad = 0;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const [a, b, c, d] = [DIGIT[t[i]], DIGIT[t[i + 1]], DIGIT[t[i + 2]], DIGIT[t[i + 3]]];
    bad |= a | b | c | d;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = v >>> 16;
    out[o + 1] = v >>> 8;
    out[o + 2] = v;
    o += 3;
  }
  if (end > full) {
    // 2 or 3 characters: 1 or 2 bytes (the last character's unused low bits are ignored).
    const [a, b, c] = [DIGIT[t[full]], DIGIT[t[full + 1]], end - full === 3 ? DIGIT[t[full + 2]] : 0];
    bad |= a | b | c;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >>> 16;
    if (end - full === 3) out[o] = v >>> 8;
  }
  return bad < 0 ? undefined : out;
}

/**
 * Strict decoder: standard alphabet only, at most two '=' and only at the end (padding optional).
 * `encoded` is the text, or its bytes as stored (ASCII; any other byte is an invalid character).
 */
export function decodeBase64(encoded: string | Uint8Array, what: string): Uint8Array {
  if (typeof encoded !== 'string') {
    const decoded = decodeAsciiBase64(encoded);
    if (decoded !== undefined) return decoded;
  }
  const text = typeof encoded === 'string' ? encoded : latin1(encoded);
  let end = text.length;
  while (end > 0 && text.length - end < 2 && text.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1 || (end < text.length && text.length % 4 !== 0)) {
    throw new TableFormatError(`${what}: base64 text has an impossible length (${text.length})`);
  }
  // Node's decoder skips characters it does not know (a shorter result) and also takes base64url's
  // '-' and '_': its result counts only at the exact length and without those two (a check far
  // cheaper than encoding back); anything else is decoded, or refused, here.
  if (NativeBuffer !== undefined) {
    const bytes = NativeBuffer.from(text, 'base64');
    if (bytes.length === Math.floor((end * 3) / 4) && text.indexOf('-') < 0 && text.indexOf('_') < 0) return bytes;
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  for (let i = 0, acc = 0, bits = 0, o = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_VALUES[c] : -1;
    if (v < 0) throw new TableFormatError(`${what}: invalid base64 character ${JSON.stringify(text[i])} at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) out[o++] = (acc >>> (bits -= 8)) & 0xff;
  }
  return out;
}

/** Writes the base64 of the 3-byte group of `bytes` starting at `at` (1-3 bytes at the end) to `out[o..o+4)`. */
function encodeGroup(bytes: Uint8Array, at: number, out: Uint8Array, o: number): void {
  const n = bytes.length;
  putGroup(out, o, (bytes[at] << 16) | (at + 1 < n ? bytes[at + 1] << 8 : 0) | (at + 2 < n ? bytes[at + 2] : 0), Math.min(3, n - at));
}

/** Writes the four characters of a group's 24 bits `v` holding `bytes` (1-3) bytes, padded, to `out[o..o+4)`. */
function putGroup(out: Uint8Array, o: number, v: number, bytes: number): void {
  out[o] = B64_CODES[v >>> 18];
  out[o + 1] = B64_CODES[(v >>> 12) & 63];
  out[o + 2] = bytes > 1 ? B64_CODES[(v >>> 6) & 63] : 61;
  out[o + 3] = bytes > 2 ? B64_CODES[v & 63] : 61;
}

/** The 24 bits of the group at text offset `o` of a canonical text ('=' reads as zero bits). */
function groupBits(t: Uint8Array, o: number): number {
  return (DIGIT[t[o]] << 18) | (DIGIT[t[o + 1]] << 12) | ((t[o + 2] === 61 ? 0 : DIGIT[t[o + 2]]) << 6) | (t[o + 3] === 61 ? 0 : DIGIT[t[o + 3]]);
}

/**
 * Canonical, padded base64 text of `size` bytes (as ASCII bytes), read and edited a 3-byte group at
 * a time without decoding the rest: a stored bloom filter of ~1 MB that takes a few hundred keys
 * changes a few thousand of its bytes, and decoding and encoding it whole cost far more.
 */
export class Base64Text {
  private constructor(
    /** The text; edits change it in place. */
    readonly text: Uint8Array,
    /** How many bytes it encodes. */
    readonly size: number,
  ) {}

  /**
   * `encoded` as the text of `size` bytes when it is exactly what `encodeBase64Bytes` writes for
   * some `size` bytes (length, alphabet, padding, no stray bits in the last character; every
   * character is checked); undefined otherwise. Edits change `encoded` itself.
   */
  static of(encoded: Uint8Array, size: number): Base64Text | undefined {
    const n = encoded.length;
    if (size <= 0 || n !== Math.ceil(size / 3) * 4) return undefined;
    let bad = 0;
    // Four characters a step (twice as fast as one: the lookups are independent).
    for (let i = 0; i < n - 4; i += 4) bad |= DIGIT[encoded[i]] | DIGIT[encoded[i + 1]] | DIGIT[encoded[i + 2]] | DIGIT[encoded[i + 3]];
    // The last group: its digits, then '=' for the bytes it lacks, and only the canonical encoding.
    const tail = size - (n / 4 - 1) * 3;
    for (let i = n - 4; i < n - 3 + tail; i++) bad |= DIGIT[encoded[i]];
    for (let i = n - 3 + tail; i < n; i++) if (encoded[i] !== 61) bad = -1;
    if (bad < 0) return undefined;
    const last = new Uint8Array(tail);
    for (let i = 0, v = groupBits(encoded, n - 4); i < tail; i++) last[i] = v >>> (16 - 8 * i);
    const again = new Uint8Array(4);
    encodeGroup(last, 0, again, 0);
    for (let i = 0; i < 4; i++) if (again[i] !== encoded[n - 4 + i]) return undefined;
    return new Base64Text(encoded, size);
  }

  /** An editable copy. */
  copy(): Base64Text {
    // Without zeroing the new memory first where Node can (the text overwrites it at once).
    const n = this.text.length;
    const fresh = NativeBuffer?.allocUnsafeSlow(n);
    const text = fresh === undefined ? new Uint8Array(n) : new Uint8Array(fresh.buffer, fresh.byteOffset, n);
    text.set(this.text);
    return new Base64Text(text, this.size);
  }

  /** The decoded bytes [from, to). */
  read(from: number, to: number): Uint8Array {
    this.check(from, to);
    const out = new Uint8Array(to - from);
    for (let p = from; p < to; p++) out[p - from] = groupBits(this.text, ((p / 3) | 0) * 4) >>> (16 - 8 * (p % 3));
    return out;
  }

  /** Replaces the bytes [at, at + bytes.length) with `bytes`. */
  write(at: number, bytes: Uint8Array): void {
    this.check(at, at + bytes.length);
    for (let i = 0; i < bytes.length; i++) this.setByte(at + i, bytes[i], false);
  }

  /** ORs `bytes` into the bytes [at, at + bytes.length); only the groups of its non-zero bytes change. */
  or(at: number, bytes: Uint8Array): void {
    this.check(at, at + bytes.length);
    let from = 0;
    if (bytes.byteOffset % 4 === 0) {
      // Mostly zeros: skipped four bytes at a time.
      const words = bytes.length >>> 2;
      const w = new Int32Array(bytes.buffer, bytes.byteOffset, words);
      for (let k = 0; k < words; k++) {
        if (w[k] === 0) continue;
        for (let i = k * 4; i < k * 4 + 4; i++) if (bytes[i] !== 0) this.setByte(at + i, bytes[i], true);
      }
      from = words * 4;
    }
    for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) this.setByte(at + i, bytes[i], true);
  }

  private setByte(p: number, value: number, or: boolean): void {
    const g = (p / 3) | 0;
    const shift = 16 - 8 * (p - g * 3);
    const v = groupBits(this.text, g * 4);
    const next = or ? v | (value << shift) : (v & ~(0xff << shift)) | (value << shift);
    if (next !== v) putGroup(this.text, g * 4, next, Math.min(3, this.size - g * 3));
  }

  private check(from: number, to: number): void {
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to <= this.size)) {
      throw new RangeError(`base64 range [${from}, ${to}) is outside the ${this.size} bytes encoded`);
    }
  }
}
