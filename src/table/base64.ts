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
    Buffer?: { from(data: ArrayBufferView | string, encoding?: string): NodeBuffer; from(data: ArrayBufferLike, byteOffset: number, length: number): NodeBuffer };
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

// Strict decoder: standard alphabet only, at most two '=' and only at the end (padding optional).
export function decodeBase64(text: string, what: string): Uint8Array {
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
