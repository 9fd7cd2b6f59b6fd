/**
 * The bytes of Hudi's DYNAMIC_V0 bloom filter (hudi-format.md §7): a dynamic header, then rows, each
 * a Hadoop filter header and its bit vector, big-endian as Java's DataOutput writes them; in a
 * footer, base64. Reading, writing and patching that layout; the filter itself (hashing, which row
 * takes a key) is `bloom-filter.ts`. Pure: no I/O.
 */
import { TableFormatError } from '../errors.ts';
import { Base64Text, decodeBase64 } from './base64.ts';

const VERSION = -1;
const MURMUR = 1; // Hadoop's hash type code for MurmurHash
const FILTER_HEADER = 13; // int32 version, int32 nbHash, int8 hashType, int32 vectorSize
const DYNAMIC_HEADER = FILTER_HEADER + 12; // + int32 nr, int32 currentNbRecord, int32 rows

/** The counters of a filter's dynamic header; `rows` is how many rows follow it. */
export interface FilterHeader {
  readonly nbHash: number;
  readonly vectorSize: number;
  readonly nr: number;
  readonly currentNbRecord: number;
  readonly rows: number;
}

/** A row's bit vector, empty: bit i is byte i>>3, mask 1<<(i&7) (the serialized order). */
export const newRow = (vectorSize: number): Uint8Array => new Uint8Array(rowBytes(vectorSize));
const rowBytes = (vectorSize: number): number => (vectorSize + 7) >>> 3;
const stride = (vectorSize: number): number => FILTER_HEADER + rowBytes(vectorSize);
const sizeOf = (h: FilterHeader): number => DYNAMIC_HEADER + h.rows * stride(h.vectorSize);
const rowAt = (h: FilterHeader, r: number): number => DYNAMIC_HEADER + r * stride(h.vectorSize) + FILTER_HEADER;

function readHeader(bytes: Uint8Array): { header: FilterHeader; version: number; hashType: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = { nbHash: view.getInt32(4), vectorSize: view.getInt32(9), nr: view.getInt32(13), currentNbRecord: view.getInt32(17), rows: view.getInt32(21) };
  return { header, version: view.getInt32(0), hashType: view.getInt8(8) };
}

/** The dynamic header (which the first row's header begins with) into out[0, 25). */
function writeHeader(out: Uint8Array, h: FilterHeader): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setInt32(0, VERSION);
  view.setInt32(4, h.nbHash);
  view.setInt8(8, MURMUR);
  view.setInt32(9, h.vectorSize);
  view.setInt32(13, h.nr);
  view.setInt32(17, h.currentNbRecord);
  view.setInt32(21, h.rows);
}

/**
 * Decodes a footer value (its text, or its bytes as stored): the header and every row's bits
 * (copies; bits past a row's end cleared: readers ignore them). Throws a TableFormatError naming
 * what is malformed.
 */
export function decodeFilter(encoded: string | Uint8Array): { header: FilterHeader; rows: Uint8Array[] } {
  const fail = (problem: string): never => {
    throw new TableFormatError(`bloom filter: ${problem}`);
  };
  const bytes = decodeBase64(encoded, 'bloom filter');
  if (bytes.length < DYNAMIC_HEADER) fail(`truncated header (${bytes.length} bytes)`);
  const { header, version, hashType } = readHeader(bytes);
  const { nbHash, vectorSize, rows: count } = header;
  if (version !== VERSION) fail(`unsupported version ${version} (expected -1)`);
  if (hashType !== MURMUR) fail(`unsupported hash type ${hashType} (expected 1, murmur)`);
  if (nbHash <= 0 || vectorSize <= 0) fail(`bad nbHash ${nbHash} or vector size ${vectorSize}`);
  if (count <= 0) fail(`bad row count ${count}`);
  if (bytes.length !== sizeOf(header)) fail(`${bytes.length} bytes, but ${count} rows of ${vectorSize} bits need ${sizeOf(header)}`);
  const n = rowBytes(vectorSize);
  const rows: Uint8Array[] = [];
  for (let r = 0; r < count; r++) {
    const at = rowAt(header, r);
    if (bytes.subarray(at - FILTER_HEADER, at).some((b, i) => b !== bytes[i])) fail(`row ${r} header differs from the top one`);
    const bits = bytes.slice(at, at + n);
    if ((vectorSize & 7) !== 0) bits[n - 1] &= (1 << (vectorSize & 7)) - 1;
    rows.push(bits);
  }
  return { header, rows };
}

/**
 * The header of the filter stored as `encoded` (base64 as ASCII bytes), its bits left undecoded in
 * `text`: only the headers are decoded, and every character is checked. Undefined unless the text
 * is exactly what this writer writes (canonical base64, rows consistent, no bits past a row's end);
 * `decodeFilter` then reads it, or names what is wrong with it.
 */
export function storedFilter(encoded: Uint8Array): { header: FilterHeader; text: Base64Text } | undefined {
  if (encoded.length < 36) return undefined;
  let head: Uint8Array;
  try {
    head = decodeBase64(encoded.subarray(0, 36), 'bloom filter'); // 27 bytes: the dynamic header and more
  } catch {
    return undefined;
  }
  const { header, version, hashType } = readHeader(head);
  const { nbHash, vectorSize, rows: count } = header;
  if (version !== VERSION || hashType !== MURMUR || nbHash <= 0 || vectorSize <= 0 || count <= 0) return undefined;
  const text = Base64Text.of(encoded, sizeOf(header));
  if (text === undefined) return undefined;
  const stray = (vectorSize & 7) === 0 ? 0 : 0xff & ~((1 << (vectorSize & 7)) - 1);
  for (let r = 0; r < count; r++) {
    const at = rowAt(header, r);
    if (text.read(at - FILTER_HEADER, at).some((b, i) => b !== head[i])) return undefined;
    if (stray !== 0 && (text.read(at + rowBytes(vectorSize) - 1, at + rowBytes(vectorSize))[0]! & stray) !== 0) return undefined;
  }
  return { header, text };
}

/** The stored rows decoded, each ORed with `added[r]` (empty: nothing added). */
export function decodeStoredRows(stored: { header: FilterHeader; text: Base64Text }, added: ReadonlyArray<Uint8Array>): Uint8Array[] {
  const bytes = decodeBase64(stored.text.text, 'bloom filter');
  const n = rowBytes(stored.header.vectorSize);
  return added.slice(0, stored.header.rows).map((extra, r) => {
    const at = rowAt(stored.header, r);
    const row = bytes.slice(at, at + n);
    if (extra.length > 0) for (let i = 0; i < n; i++) row[i] |= extra[i]!;
    return row;
  });
}

/** The filter's bytes (before base64). */
export function serializeFilter(header: FilterHeader, rows: ReadonlyArray<Uint8Array>): Uint8Array {
  const out = new Uint8Array(sizeOf(header));
  writeHeader(out, header);
  rows.forEach((row, r) => {
    const at = rowAt(header, r);
    out.copyWithin(at - FILTER_HEADER, 0, FILTER_HEADER); // each row repeats the filter header
    out.set(row, at);
  });
  return out;
}

/**
 * The footer value of a stored filter (`stored`, as many rows as before) with a new header and the
 * bits of `added[r]` (empty: none) set in row r: a copy of the stored text with only the groups that changed
 * re-encoded.
 */
export function patchStoredFilter(stored: { text: Base64Text }, header: FilterHeader, added: ReadonlyArray<Uint8Array>): Uint8Array {
  const out = stored.text.copy();
  const top = new Uint8Array(DYNAMIC_HEADER);
  writeHeader(top, header);
  out.write(0, top);
  added.forEach((row, r) => out.or(rowAt(header, r), row));
  return out.text;
}
