/**
 * Parquet footers, read and rewritten without touching the data. A Parquet file ends with its
 * `FileMetaData` (Thrift compact protocol), the footer's 4-byte little-endian length and `PAR1`.
 * Column chunk offsets in the footer are absolute and point before it, so a footer can be replaced
 * by truncating the file at the footer's start and writing a new one: this is how each file of a
 * partitioned `COPY` gets its own key/value metadata (Hudi's bloom filter and min/max keys).
 *
 * Only what is needed is decoded (`thrift-compact.ts` reads and writes the protocol): the top-level
 * fields of `FileMetaData` are kept as raw bytes (any type is skipped generically); field 5,
 * `key_value_metadata` (list<KeyValue{1: key string, 2: value string}>), is decoded and re-encoded,
 * and `num_rows` and the top-level column names of `schema` are read.
 */
import { TableFormatError } from '../errors.ts';
import type { FileStore } from './file-store.ts';
import { Reader, T, Writer } from './thrift-compact.ts';

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
const KV_FIELD = 5;
const NUM_ROWS_FIELD = 3;
const SCHEMA_FIELD = 2;

/**
 * One entry of a footer's key/value metadata (`value` may be absent in Thrift). A value to write may
 * be given as its UTF-8 bytes (a bloom filter's ~1 MB of base64, encoded while DuckDB still writes);
 * values read are always text.
 */
export interface FooterKeyValue {
  readonly key: string;
  readonly value: string | Uint8Array | undefined;
}

/** An entry as read from a footer. */
export interface StoredKeyValue extends FooterKeyValue {
  readonly value: string | undefined;
}

/** An entry as read from a footer, its value as stored (UTF-8 bytes). */
export interface StoredKeyValueBytes {
  readonly key: string;
  readonly value: Uint8Array | undefined;
}

/** A top-level field of a struct: its id, type and the raw bytes of its value (empty for booleans). */
interface RawField {
  readonly id: number;
  readonly type: number;
  readonly value: Uint8Array;
}

/** A field to encode: raw bytes as read, or key/value metadata, encoded in place. */
type StructField = RawField | { readonly id: number; readonly entries: ReadonlyArray<FooterKeyValue> };

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 bytes of `s`; ASCII text (a base64 value) by Node's latin1 codec, several times faster. */
export function utf8Bytes(s: string): Uint8Array {
  return Buffer.byteLength(s, 'utf8') === s.length ? Buffer.from(s, 'latin1') : utf8.encode(s);
}

function readStructFields(meta: Uint8Array): RawField[] {
  const r = new Reader(meta);
  const fields: RawField[] = [];
  let last = 0;
  for (let h = r.fieldHeader(last); h !== undefined; h = r.fieldHeader(last)) {
    const start = r.pos;
    r.skipValue(h.type);
    fields.push({ id: h.id, type: h.type, value: meta.subarray(start, r.pos) });
    last = h.id;
  }
  if (r.pos !== meta.length) throw new TableFormatError(`malformed Parquet footer: ${meta.length - r.pos} bytes after the end of FileMetaData`);
  return fields;
}

/** The key/value entries of `list<KeyValue>`, keys decoded, values as their stored bytes. */
function decodeKeyValueBytes(value: Uint8Array): StoredKeyValueBytes[] {
  const r = new Reader(value);
  const { size, type } = r.listHeader();
  if (type !== T.STRUCT) throw new TableFormatError(`malformed Parquet footer: key_value_metadata holds type ${type}, not structs`);
  const out: StoredKeyValueBytes[] = [];
  for (let i = 0; i < size; i++) {
    let key: string | undefined;
    let val: Uint8Array | undefined;
    let last = 0;
    for (let h = r.fieldHeader(last); h !== undefined; h = r.fieldHeader(last)) {
      if (h.id === 1 && h.type === T.BINARY) key = fromUtf8.decode(r.binary());
      else if (h.id === 2 && h.type === T.BINARY) val = r.binary();
      else r.skipValue(h.type);
      last = h.id;
    }
    if (key === undefined) throw new TableFormatError('malformed Parquet footer: a KeyValue without a key');
    out.push({ key, value: val });
  }
  return out;
}

/** Writes `list<KeyValue>` (the value of field 5, without its header). */
function writeKeyValues(w: Writer, entries: ReadonlyArray<FooterKeyValue>): void {
  if (entries.length < 15) w.byte((entries.length << 4) | T.STRUCT);
  else {
    w.byte(0xf0 | T.STRUCT);
    w.varint(entries.length);
  }
  for (const e of entries) {
    w.fieldHeader(1, T.BINARY, 0);
    w.binary(utf8Bytes(e.key));
    if (e.value !== undefined) {
      w.fieldHeader(2, T.BINARY, 1);
      w.binary(typeof e.value === 'string' ? utf8Bytes(e.value) : e.value);
    }
    w.byte(T.STOP);
  }
}

/** A struct of these fields (raw, or key/value metadata written in place). */
function encodeStruct(fields: ReadonlyArray<StructField>): Writer {
  const w = new Writer();
  let last = 0;
  for (const f of fields) {
    if ('entries' in f) {
      w.fieldHeader(f.id, T.LIST, last);
      writeKeyValues(w, f.entries);
    } else {
      w.fieldHeader(f.id, f.type, last);
      w.bytes(f.value);
    }
    last = f.id;
  }
  w.byte(T.STOP);
  return w;
}

/** The key/value metadata of a `FileMetaData` (empty when it has none). */
export function footerKeyValues(meta: Uint8Array): StoredKeyValue[] {
  return footerKeyValueBytes(meta).map((e) => ({ key: e.key, value: e.value === undefined ? undefined : fromUtf8.decode(e.value) }));
}

/**
 * `footerKeyValues` with each value as its stored bytes (views into `meta`), not decoded: a bloom
 * filter's ~1 MB of base64 is decoded faster from its bytes than through a UTF-8 string.
 */
export function footerKeyValueBytes(meta: Uint8Array): StoredKeyValueBytes[] {
  const field = readStructFields(meta).find((f) => f.id === KV_FIELD);
  return field === undefined ? [] : decodeKeyValueBytes(field.value);
}

/**
 * The top-level column names of a `FileMetaData` (its `schema`, field 2: a depth-first list of
 * SchemaElement{4: name, 5: num_children} whose first element is the root), in file order.
 */
export function footerColumnNames(meta: Uint8Array): string[] {
  const field = readStructFields(meta).find((f) => f.id === SCHEMA_FIELD);
  if (field === undefined || field.type !== T.LIST) throw new TableFormatError('malformed Parquet footer: no schema');
  const r = new Reader(field.value);
  const { size, type } = r.listHeader();
  if (type !== T.STRUCT || size === 0) throw new TableFormatError('malformed Parquet footer: the schema is not a list of elements');
  const elements: Array<{ name: string; children: number }> = [];
  for (let i = 0; i < size; i++) {
    let name: string | undefined;
    let children = 0;
    let last = 0;
    for (let h = r.fieldHeader(last); h !== undefined; h = r.fieldHeader(last)) {
      if (h.id === 4 && h.type === T.BINARY) name = fromUtf8.decode(r.binary());
      else if (h.id === 5 && h.type === T.I32) children = r.zigzag();
      else r.skipValue(h.type);
      last = h.id;
    }
    if (name === undefined || children < 0) throw new TableFormatError(`malformed Parquet footer: schema element ${i} has no name or a negative child count`);
    elements.push({ name, children });
  }
  // The root's children are the columns; each one's own descendants follow it and are skipped.
  const names: string[] = [];
  let at = 1;
  for (let c = 0; c < elements[0]!.children; c++) {
    names.push(elements[at]?.name ?? '');
    for (let pending = 1; pending > 0; pending--) {
      const e = elements[at++];
      if (e === undefined) throw new TableFormatError('malformed Parquet footer: the schema ends inside a group');
      pending += e.children;
    }
  }
  if (at !== elements.length) throw new TableFormatError(`malformed Parquet footer: ${elements.length - at} schema elements outside the root`);
  return names;
}

/** `num_rows` of a `FileMetaData`. */
export function footerNumRows(meta: Uint8Array): number {
  const field = readStructFields(meta).find((f) => f.id === NUM_ROWS_FIELD);
  if (field === undefined) throw new TableFormatError('malformed Parquet footer: no num_rows');
  return new Reader(field.value).zigzag();
}

/**
 * The `FileMetaData` with `entries` set: an existing key is given the new value in place, new keys
 * are appended in the order given. Every other field is copied byte for byte.
 */
export function withFooterKeyValues(meta: Uint8Array, entries: ReadonlyArray<FooterKeyValue>): Uint8Array {
  return encodeStruct(fieldsWithKeyValues(meta, entries)).finish();
}

/** The top-level fields of `meta`, with its key/value metadata merged with `entries` (see withFooterKeyValues). */
function fieldsWithKeyValues(meta: Uint8Array, entries: ReadonlyArray<FooterKeyValue>): StructField[] {
  const raw = readStructFields(meta);
  const at = raw.findIndex((f) => f.id === KV_FIELD);
  const merged: FooterKeyValue[] = at < 0 ? [] : decodeKeyValueBytes(raw[at]!.value);
  for (const e of entries) {
    const i = merged.findIndex((m) => m.key === e.key);
    if (i >= 0) merged[i] = e;
    else merged.push(e);
  }
  const kv = { id: KV_FIELD, entries: merged };
  const fields: StructField[] = [...raw];
  if (at >= 0) fields[at] = kv;
  else {
    const next = fields.findIndex((f) => f.id > KV_FIELD);
    fields.splice(next < 0 ? fields.length : next, 0, kv);
  }
  return fields;
}

/** Re-encodes a `FileMetaData` unchanged (for tests: a footer must round-trip byte for byte). */
export function reencodeFooter(meta: Uint8Array): Uint8Array {
  return encodeStruct(readStructFields(meta)).finish();
}

/** Where a file's footer starts and its `FileMetaData` bytes. */
export interface ParquetFooter {
  readonly start: number;
  readonly meta: Uint8Array;
}

/** Splits a whole file's tail: the footer length from the last 8 bytes, checked against `PAR1`. */
export function footerLengthOf(tail: Uint8Array, fileSize: number, file: string): number {
  const n = tail.length;
  if (n < 8 || MAGIC.some((b, i) => tail[n - 4 + i] !== b)) throw new TableFormatError(`${file} is not a Parquet file (no PAR1 at its end)`, { file });
  const length = (tail[n - 8]! | (tail[n - 7]! << 8) | (tail[n - 6]! << 16) | (tail[n - 5]! << 24)) >>> 0;
  if (length + 12 > fileSize) throw new TableFormatError(`${file}: Parquet footer length ${length} exceeds the file (${fileSize} bytes)`, { file });
  return length;
}

/** What a caller may already know of a file (from the writer's statistics): saves reads. */
export interface KnownLayout {
  readonly size: number;
  readonly footerLength?: number;
}

/**
 * Reads the footer of a Parquet file through the file store: the tail, then the footer; one read
 * when the footer's length is known (it is still checked against the tail).
 */
export async function readParquetFooter(store: FileStore, file: string, known?: KnownLayout): Promise<ParquetFooter> {
  const size = known?.size ?? (await store.size(file));
  if (known?.footerLength !== undefined && known.footerLength + 12 <= size) {
    const all = await store.readBytes(file, size - 8 - known.footerLength, known.footerLength + 8);
    if (all.length === known.footerLength + 8 && footerLengthOf(all, size, file) === known.footerLength) {
      return { start: size - 8 - known.footerLength, meta: all.subarray(0, known.footerLength) };
    }
  }
  const length = footerLengthOf(await store.readBytes(file, Math.max(0, size - 8), 8), size, file);
  const start = size - 8 - length;
  const meta = await store.readBytes(file, start, length);
  if (meta.length !== length) throw new TableFormatError(`${file}: Parquet footer cut short`, { file });
  return { start, meta };
}

/**
 * Sets key/value metadata in a Parquet file's footer in place: the file is truncated at the footer
 * and the new footer, its length and `PAR1` written after the unchanged data. Returns the new size.
 * The footer is written from its parts (a bloom filter's ~1 MB value is not copied into one array).
 */
export async function setParquetKeyValues(store: FileStore, file: string, entries: ReadonlyArray<FooterKeyValue>, known?: KnownLayout): Promise<number> {
  const { start, meta } = await readParquetFooter(store, file, known);
  const footer = encodeStruct(fieldsWithKeyValues(meta, entries));
  const length = footer.byteLength();
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, length, true);
  trailer.set(MAGIC, 4);
  await store.replaceTail(file, start, [...footer.parts(), trailer]);
  return start + length + 8;
}
