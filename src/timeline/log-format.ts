/**
 * Hudi's log format (HoodieLogFormat, log format version 1, as written by Hudi 0.14/0.15): the
 * container of MOR log files (`.<fileId>_<instant>.log.<n>_<token>`) and of the v6 archived
 * timeline (`.hoodie/archived/.commits_.archive.<n>_<token>`). Pure functions over bytes.
 *
 * A file is a sequence of blocks; all integers are big-endian (Java's DataOutputStream):
 *
 *   "#HUDI#"                      6-byte magic
 *   blockSize         int64       bytes after this field, to the end of the block (total − 14)
 *   formatVersion     int32       1 (0 is the pre-header legacy form, not supported)
 *   blockType         int32       ordinal of BLOCK_TYPES
 *   header            metadata    count int32, then per entry: key ordinal int32, length int32, UTF-8
 *   contentLength     int64
 *   content           bytes       per block type, below
 *   footer            metadata    (Hudi writes it empty: count 0)
 *   reversePointer    int64       bytes from the magic to the end of the footer (total − 8); Java
 *                                 readers compare it with blockSize to detect torn blocks
 *
 * Content: avro_data = version int32 (3), record count int32, then per record its length int32 and
 * the Avro binary datum in the header's SCHEMA; delete = version int32 (3), length int32, one Avro
 * HoodieDeleteRecordList datum; command = empty (header COMMAND_BLOCK_TYPE "0" = rollback of
 * TARGET_INSTANT_TIME); parquet/hfile/cdc = opaque bytes (kept, not decoded).
 */
import avro from 'avsc';
import { AvroShape } from './avro-bounds.ts';
import { ownKeysMaps } from './avro-map.ts';
import { InvalidArgumentError, TableFormatError, messageOf } from '../errors.ts';
import { concat, int32, int64, toPlain } from './bytes.ts';

/** Header/footer keys by ordinal (HoodieLogBlock.HeaderMetadataType; only append, never reorder). */
export const HEADER_KEYS = [
  'INSTANT_TIME',
  'TARGET_INSTANT_TIME',
  'SCHEMA',
  'COMMAND_BLOCK_TYPE',
  'COMPACTED_BLOCK_TIMES',
  'RECORD_POSITIONS',
  'BLOCK_IDENTIFIER',
  'IS_PARTIAL',
  'BASE_FILE_INSTANT_TIME_OF_RECORD_POSITIONS',
] as const;
export type HeaderKey = (typeof HEADER_KEYS)[number];
/** A header or footer; insertion order is the order on disk (Java's is HashMap order). */
export type LogMetadata = ReadonlyMap<HeaderKey, string>;

/** Block types by ordinal (HoodieLogBlock.HoodieLogBlockType). */
export const BLOCK_TYPES = ['command', 'delete', 'corrupt', 'avro_data', 'hfile_data', 'parquet_data', 'cdc_data'] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];

/** The magic that starts every block. */
export const LOG_MAGIC: Uint8Array = new TextEncoder().encode('#HUDI#');
/** The log format version Hudi 0.x and 1.x write. */
export const LOG_FORMAT_VERSION = 1;
/** The content version of data and delete blocks (HoodieLogBlock.version). */
export const LOG_BLOCK_VERSION = 3;

/** An Avro data block: records in the writer schema `schema` (also the header's SCHEMA). */
export interface AvroDataBlock {
  readonly type: 'avro_data';
  readonly header: LogMetadata;
  readonly footer: LogMetadata;
  readonly schema: string;
  /** Decoded with avsc: records as plain objects, bytes as Buffers, ambiguous unions wrapped. */
  readonly records: ReadonlyArray<unknown>;
}

/** One key a delete block deletes. */
export interface DeleteRecord {
  readonly recordKey: string | null;
  readonly partitionPath: string | null;
  /** The ordering value, unwrapped from Hudi's `*Wrapper` records; null for none. */
  readonly orderingVal: unknown;
}

/** A delete block. Encoding writes `content` verbatim (Tidemark never writes deletes). */
export interface DeleteBlock {
  readonly type: 'delete';
  readonly header: LogMetadata;
  readonly footer: LogMetadata;
  readonly content: Uint8Array;
  /** Undefined for content versions 1 and 2 (Java-serialized keys, which only the JVM reads). */
  readonly deletes: ReadonlyArray<DeleteRecord> | undefined;
}

/** A command block (only ROLLBACK_BLOCK exists): no content, everything is in the header. */
export interface CommandBlock {
  readonly type: 'command';
  readonly header: LogMetadata;
  readonly footer: LogMetadata;
}

/** Parquet, HFile and CDC data blocks (and on-disk "corrupt" blocks): content kept as bytes. */
export interface OpaqueBlock {
  readonly type: 'parquet_data' | 'hfile_data' | 'cdc_data' | 'corrupt';
  readonly header: LogMetadata;
  readonly footer: LogMetadata;
  readonly content: Uint8Array;
}

/** One block of a log file. */
export type LogBlock = AvroDataBlock | DeleteBlock | CommandBlock | OpaqueBlock;
/** A block as decoded, with where it starts in the file. */
export type DecodedLogBlock = LogBlock & { readonly offset: number; readonly length: number };

/**
 * Longs read exactly: avsc's own long type goes wrong past ±2^52. Safe integers come back as
 * numbers, anything larger as a bigint; both are accepted when encoding.
 */
const EXACT_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): number | bigint => {
    const v = buf.readBigInt64LE();
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  },
  toBuffer: (n: number | bigint): Buffer => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown): number | bigint => (typeof v === 'bigint' ? v : Number(v)),
  toJSON: (n: number | bigint): number => Number(n),
  isValid: (n: unknown): boolean => (typeof n === 'number' && Number.isSafeInteger(n)) || (typeof n === 'bigint' && BigInt.asIntN(64, n) === n),
  compare: (a: number | bigint, b: number | bigint): number => (a < b ? -1 : a > b ? 1 : 0),
});
/** avsc options; the registry collects named types, so each parse gets a fresh one. */
const parseOptions = (): Partial<avro.ForSchemaOptions> => ({ wrapUnions: 'auto', registry: { long: EXACT_LONG }, typeHook: ownKeysMaps });

const MAX_TYPES = 32;
const types = new Map<string, { readonly type: avro.Type; readonly shape: AvroShape }>();

/**
 * The avsc type of a writer schema, and its bounds-checking shape (`avro-bounds.ts`). Field defaults
 * are dropped first: they never change the binary encoding, and Hudi writes some that avsc rejects (a
 * null default on `["string","null"]`).
 */
function typeFor(schema: string): { readonly type: avro.Type; readonly shape: AvroShape } {
  let found = types.get(schema);
  if (found === undefined) {
    const parsed: unknown = JSON.parse(schema);
    found = { type: avro.Type.forSchema(withoutDefaults(parsed) as avro.Schema, parseOptions()), shape: new AvroShape(parsed) };
    if (types.size >= MAX_TYPES) types.clear();
    types.set(schema, found);
  }
  return found;
}

function withoutDefaults(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDefaults);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) if (key !== 'default') out[key] = withoutDefaults(value);
  return out;
}


const NS = 'org.apache.hudi.avro.model.';
/** The ordering-value wrappers of HoodieMetadata.avsc, in union order (logical types read as their base type). */
const WRAPPERS = [['Boolean', 'boolean'], ['Int', 'int'], ['Long', 'long'], ['Float', 'float'], ['Double', 'double'], ['Bytes', 'bytes'], ['String', 'string'], ['Date', 'int'], ['Decimal', 'bytes'], ['TimeMicros', 'long'], ['TimestampMicros', 'long']];
/** HoodieDeleteRecordList, the content of delete blocks of content version 3. */
const DELETE_LIST_SCHEMA = {
  type: 'record',
  name: `${NS}HoodieDeleteRecordList`,
  fields: [
    {
      name: 'deleteRecordList',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: `${NS}HoodieDeleteRecord`,
          fields: [
            { name: 'recordKey', type: ['null', 'string'] },
            { name: 'partitionPath', type: ['null', 'string'] },
            { name: 'orderingVal', type: ['null', ...WRAPPERS.map(([n, t]) => ({ type: 'record', name: `${NS}${n}Wrapper`, fields: [{ name: 'value', type: t }] }))] },
          ],
        },
      },
    },
  ],
};
const DELETE_LIST = avro.Type.forSchema(DELETE_LIST_SCHEMA as unknown as avro.Schema, parseOptions());
const DELETE_LIST_SHAPE = new AvroShape(DELETE_LIST_SCHEMA);

/** Bounds-checked big-endian reads over one file, failing with the file and offset named. */
class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(message: string, cause?: unknown): TableFormatError {
    return new TableFormatError(`log file ${this.file}: ${message}`, cause === undefined ? { file: this.file } : { file: this.file, cause });
  }
  need(n: number, what: string, end = this.bytes.length): void {
    if (n < 0 || this.pos + n > end) throw this.fail(`truncated: ${what} at byte ${this.pos} needs ${n} bytes, ${Math.max(0, end - this.pos)} remain`);
  }
  int(what: string, end?: number): number {
    this.need(4, what, end);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  long(what: string, end?: number): number {
    this.need(8, what, end);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} at byte ${this.pos - 8} is ${v}, not a length`);
    return Number(v);
  }
  take(n: number, what: string, end?: number): Uint8Array {
    this.need(n, what, end);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function readMetadata(r: Reader, what: string, end: number): Map<HeaderKey, string> {
  const count = r.int(`${what} entry count`, end);
  if (count < 0) throw r.fail(`${what} at byte ${r.pos - 4} claims ${count} entries`);
  const out = new Map<HeaderKey, string>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < count; i++) {
    const ordinal = r.int(`${what} key`, end);
    const key = HEADER_KEYS[ordinal];
    if (key === undefined) throw r.fail(`${what} key ordinal ${ordinal} at byte ${r.pos - 4} is unknown`);
    const length = r.int(`${what} ${key} length`, end);
    try {
      out.set(key, utf8.decode(r.take(length, `${what} ${key}`, end)));
    } catch (error) {
      if (error instanceof TableFormatError) throw error;
      throw r.fail(`${what} ${key} is not UTF-8`, error);
    }
  }
  return out;
}

function decodeAvroContent(r: Reader, content: Uint8Array, at: number, schema: string | undefined): unknown[] {
  if (schema === undefined) throw r.fail(`Avro data block at byte ${at} has no SCHEMA header`);
  let type: avro.Type;
  let shape: AvroShape;
  try {
    ({ type, shape } = typeFor(schema));
  } catch (error) {
    throw r.fail(`Avro data block at byte ${at} has an unreadable schema: ${messageOf(error)}`, error);
  }
  const c = new Reader(content, r.file);
  const version = c.int('data block version');
  if (version < 1 || version > LOG_BLOCK_VERSION) throw r.fail(`Avro data block at byte ${at} has content version ${version}`);
  const count = c.int('record count');
  if (count < 0) throw r.fail(`Avro data block at byte ${at} claims ${count} records`);
  const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const records: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const length = c.int(`length of record ${i}`);
    c.need(length, `record ${i} of the block at byte ${at}`);
    let decoded: { value: unknown; offset: number };
    try {
      // Walked first: avsc would loop on a corrupt item count (see avro-bounds.ts).
      shape.check(buf, c.pos, c.pos + length, 'record');
      decoded = type.decode(buf.subarray(0, c.pos + length), c.pos);
    } catch (error) {
      throw r.fail(`record ${i} of the block at byte ${at} is not valid Avro: ${messageOf(error)}`, error);
    }
    if (decoded.offset !== c.pos + length) throw r.fail(`record ${i} of the block at byte ${at} does not fill its ${length} bytes`);
    records.push(toPlain(decoded.value));
    c.pos += length;
  }
  if (c.pos !== content.length) throw r.fail(`Avro data block at byte ${at} has ${content.length - c.pos} bytes after its ${count} records`);
  return records;
}

function decodeDeletes(r: Reader, content: Uint8Array, at: number): DeleteRecord[] | undefined {
  const c = new Reader(content, r.file);
  const version = c.int('delete block version');
  const length = c.int('delete list length');
  const data = c.take(length, `delete list of the block at byte ${at}`);
  if (c.pos !== content.length) throw r.fail(`delete block at byte ${at} has ${content.length - c.pos} bytes after its list`);
  if (version < LOG_BLOCK_VERSION) return undefined;
  let list: { deleteRecordList: Array<{ recordKey: string | null; partitionPath: string | null; orderingVal: unknown }> };
  try {
    DELETE_LIST_SHAPE.check(data, 0, data.length, 'delete list'); // avsc would loop on a corrupt item count
    const decoded = DELETE_LIST.decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 0);
    if (decoded.offset !== data.length) throw new Error(`${data.length - decoded.offset} bytes left over`);
    list = toPlain(decoded.value) as typeof list;
  } catch (error) {
    throw r.fail(`delete block at byte ${at} is not a HoodieDeleteRecordList: ${messageOf(error)}`, error);
  }
  return list.deleteRecordList.map((d) => {
    const wrapped = d.orderingVal as Record<string, { value: unknown }> | null;
    return { recordKey: d.recordKey, partitionPath: d.partitionPath, orderingVal: wrapped === null ? null : Object.values(wrapped)[0]!.value };
  });
}

/**
 * Decodes every block of a log file. Strict: a missing magic, a block that runs past the end of
 * the file (a torn append, which Java readers skip as a "corrupt block"), a reverse pointer that
 * disagrees with the block size, an unknown block type or header key, or a record that is not
 * valid Avro all throw `TableFormatError` naming `file` and the byte offset.
 */
export function decodeLogBlocks(bytes: Uint8Array, file: string): DecodedLogBlock[] {
  const r = new Reader(bytes, file);
  const blocks: DecodedLogBlock[] = [];
  while (r.pos < bytes.length) {
    const at = r.pos;
    const magic = r.take(Math.min(LOG_MAGIC.length, bytes.length - at), 'magic');
    if (magic.length < LOG_MAGIC.length || !magic.every((b, i) => b === LOG_MAGIC[i])) {
      throw r.fail(`no #HUDI# magic at byte ${at}${blocks.length === 0 ? ' (not a Hudi log file)' : ''}`);
    }
    const size = r.long('block size');
    const end = r.pos + size;
    if (end > bytes.length) throw r.fail(`truncated: block at byte ${at} declares ${size} bytes, only ${bytes.length - r.pos} remain`);
    const version = r.int('log format version', end);
    if (version !== LOG_FORMAT_VERSION) throw r.fail(`block at byte ${at} has log format version ${version}; only ${LOG_FORMAT_VERSION} is supported`);
    const ordinal = r.int('block type', end);
    const type = BLOCK_TYPES[ordinal];
    if (type === undefined) throw r.fail(`block at byte ${at} has unknown block type ${ordinal}`);
    const header = readMetadata(r, 'header', end);
    const contentLength = r.long('content length', end);
    const content = r.take(contentLength, `content of the block at byte ${at}`, end);
    const footer = readMetadata(r, 'footer', end);
    const total = r.long('reverse pointer', end);
    if (total !== r.pos - 8 - at) throw r.fail(`block at byte ${at}: reverse pointer ${total} disagrees with the block's ${r.pos - 8 - at} bytes`);
    if (r.pos !== end) throw r.fail(`block at byte ${at} has ${end - r.pos} unread bytes before its declared end`);
    const base = { header, footer, offset: at, length: end - at };
    if (type === 'avro_data') blocks.push({ type, ...base, schema: header.get('SCHEMA') ?? '', records: decodeAvroContent(r, content, at, header.get('SCHEMA')) });
    else if (type === 'delete') blocks.push({ type, ...base, content, deletes: decodeDeletes(r, content, at) });
    else if (type === 'command') blocks.push({ type, ...base });
    else blocks.push({ type, ...base, content });
  }
  return blocks;
}

const utf8 = new TextEncoder();

function metadataBytes(metadata: LogMetadata): Uint8Array[] {
  const parts: Uint8Array[] = [int32(metadata.size)];
  for (const [key, value] of metadata) {
    const ordinal = HEADER_KEYS.indexOf(key);
    if (ordinal < 0) throw new InvalidArgumentError(`unknown log block header key "${String(key)}"`, { value: key });
    const bytes = utf8.encode(value);
    parts.push(int32(ordinal), int32(bytes.length), bytes);
  }
  return parts;
}

function avroContent(block: AvroDataBlock): Uint8Array {
  let type: avro.Type;
  try {
    ({ type } = typeFor(block.schema));
  } catch (error) {
    throw new InvalidArgumentError(`Avro data block schema is unusable: ${messageOf(error)}`, { cause: error });
  }
  const parts: Uint8Array[] = [int32(LOG_BLOCK_VERSION), int32(block.records.length)];
  block.records.forEach((record, i) => {
    const problems: string[] = [];
    const hook = (p: string[], v: unknown): void => void problems.push(`${p.join('.') || '(root)'}=${String(v)}`);
    if (!type.isValid(record, { errorHook: hook })) {
      throw new InvalidArgumentError(`record ${i} does not match the block schema: bad value at ${problems.join(', ')}`, { value: record });
    }
    const datum = type.toBuffer(record);
    parts.push(int32(datum.length), datum);
  });
  return concat(parts);
}

/**
 * Encodes blocks as Hudi's writer does (log format version 1, content version 3), one after the
 * other; appending the result to an existing log file appends the blocks. An Avro data block's
 * header gets SCHEMA = `schema` (in place if present, else last). Throws `InvalidArgumentError`
 * for a record that does not match its schema.
 */
export function encodeLogBlocks(blocks: ReadonlyArray<LogBlock>): Uint8Array {
  const out: Uint8Array[] = [];
  for (const block of blocks) {
    let header = block.header;
    let content: Uint8Array;
    if (block.type === 'avro_data') {
      header = new Map(block.header).set('SCHEMA', block.schema);
      content = avroContent(block);
    } else content = block.type === 'command' ? new Uint8Array(0) : block.content;
    const ordinal = BLOCK_TYPES.indexOf(block.type);
    if (ordinal < 0) throw new InvalidArgumentError(`unknown log block type "${String((block as { type: unknown }).type)}"`);
    const body = concat([int32(LOG_FORMAT_VERSION), int32(ordinal), ...metadataBytes(header), int64(content.length), content, ...metadataBytes(block.footer)]);
    // blockSize counts everything after itself, the reverse pointer included; the pointer counts
    // everything before itself, the magic included.
    out.push(LOG_MAGIC, int64(body.length + 8), body, int64(LOG_MAGIC.length + 8 + body.length));
  }
  return concat(out);
}
