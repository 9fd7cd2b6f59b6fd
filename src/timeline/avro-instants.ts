/**
 * Typed codecs for Hudi's Avro timeline payloads: rollback, clean, savepoint, restore and requested
 * replacecommit instants. Each payload is a complete Avro Object Container File (magic `Obj\x01`,
 * writer schema in the `avro.schema` header, null codec, one record), built and parsed in memory.
 * Writing embeds Hudi's own schema text (see avro-schemas.ts), so Hudi reads our files as its own;
 * reading resolves the file's embedded writer schema into ours, by field name, so files from other
 * Hudi versions (fields added or missing with defaults) read too.
 */
import avro from 'avsc';
import { ownKeysMaps } from './avro-map.ts';
import { AvroShape } from './avro-bounds.ts';
import { InvalidArgumentError, TableFormatError, messageOf } from '../errors.ts';
import { toPlain } from './bytes.ts';
import {
  CLEAN_METADATA_SCHEMA,
  CLEANER_PLAN_SCHEMA,
  REQUESTED_REPLACE_METADATA_SCHEMA,
  RESTORE_METADATA_SCHEMA,
  RESTORE_PLAN_SCHEMA,
  ROLLBACK_METADATA_SCHEMA,
  ROLLBACK_PLAN_SCHEMA,
  SAVEPOINT_METADATA_SCHEMA,
  type ActionInstant,
  type AvroSchemaJson,
  type CleanFileInfo,
  type CleanPartitionMetadata,
  type ClusteringPlan,
  type InstantInfo,
  type List,
  type RollbackPartitionMetadata,
  type RollbackRequest,
  type SavepointPartitionMetadata,
  type StringMap,
} from './avro-schemas.ts';

export type {
  ActionInstant,
  CleanFileInfo,
  CleanPartitionMetadata,
  ClusteringGroup,
  ClusteringPlan,
  ClusteringStrategy,
  InstantInfo,
  RollbackPartitionMetadata,
  RollbackRequest,
  SavepointPartitionMetadata,
  SliceInfo,
} from './avro-schemas.ts';

/** HoodieRollbackPlan, the content of `T.rollback.requested`. */
export interface RollbackPlan {
  readonly instantToRollback: InstantInfo | null;
  readonly RollbackRequests: List<RollbackRequest> | null;
  readonly version: number | null;
}

/** HoodieRollbackMetadata, the content of `T.rollback`. */
export interface RollbackMetadata {
  readonly startRollbackTime: string;
  readonly timeTakenInMillis: number;
  readonly totalFilesDeleted: number;
  readonly commitsRollback: List<string>;
  readonly partitionMetadata: StringMap<RollbackPartitionMetadata>;
  readonly version: number | null;
  readonly instantsRollback: List<InstantInfo>;
}

/** HoodieCleanerPlan, the content of `T.clean.requested`. */
export interface CleanerPlan {
  readonly earliestInstantToRetain: ActionInstant | null;
  readonly lastCompletedCommitTimestamp: string;
  readonly policy: string;
  /** Deprecated by Hudi (plan version 1); null in version-2 plans. */
  readonly filesToBeDeletedPerPartition: StringMap<List<string>> | null;
  readonly version: number | null;
  readonly filePathsToBeDeletedPerPartition: StringMap<List<CleanFileInfo>> | null;
  readonly partitionsToBeDeleted: List<string> | null;
  readonly extraMetadata: StringMap<string> | null;
}

/** HoodieCleanMetadata, the content of `T.clean`. */
export interface CleanMetadata {
  readonly startCleanTime: string;
  readonly timeTakenInMillis: number;
  readonly totalFilesDeleted: number;
  readonly earliestCommitToRetain: string;
  readonly lastCompletedCommitTimestamp: string;
  readonly partitionMetadata: StringMap<CleanPartitionMetadata>;
  readonly version: number | null;
  readonly bootstrapPartitionMetadata: StringMap<CleanPartitionMetadata> | null;
  readonly extraMetadata: StringMap<string> | null;
}

/** HoodieSavepointMetadata, the content of `T.savepoint`. */
export interface SavepointMetadata {
  readonly savepointedBy: string;
  readonly savepointedAt: number;
  readonly comments: string;
  readonly partitionMetadata: StringMap<SavepointPartitionMetadata>;
  readonly version: number | null;
}

/** HoodieRestorePlan, the content of `T.restore.requested`. */
export interface RestorePlan {
  readonly instantsToRollback: List<InstantInfo>;
  readonly version: number | null;
  readonly savepointToRestoreTimestamp: string | null;
}

/** HoodieRestoreMetadata, the content of `T.restore`. */
export interface RestoreMetadata {
  readonly startRestoreTime: string;
  readonly timeTakenInMillis: number;
  readonly instantsToRollback: List<string>;
  /** Rolled-back instant → the rollback metadata of each rollback run for it. */
  readonly hoodieRestoreMetadata: StringMap<List<RollbackMetadata | null>>;
  readonly version: number | null;
  readonly restoreInstantInfo: List<InstantInfo>;
}

/** HoodieRequestedReplaceMetadata, the content of `T.replacecommit.requested`. */
export interface RequestedReplaceMetadata {
  readonly operationType: string | null;
  /** Only for clustering; null for insert_overwrite(_table) and delete_partition. */
  readonly clusteringPlan: ClusteringPlan | null;
  readonly extraMetadata: StringMap<string> | null;
  readonly version: number | null;
}

/** Options of the encoders. */
export interface EncodeOptions {
  /** The 16-byte sync marker (random by default, as in Hudi); fix it for reproducible bytes. */
  readonly sync?: Uint8Array;
}

/** The header of an Avro container file. */
export interface ContainerHeader {
  /** The writer schema, exactly as embedded. */
  readonly schema: string;
  /** `avro.codec`, "null" when absent (Hudi omits it). */
  readonly codec: string;
  readonly meta: StringMap<Uint8Array>;
  readonly sync: Uint8Array;
  /** Offset of the first data block. */
  readonly dataOffset: number;
}

const MAGIC = Buffer.from('Obj\x01', 'latin1');
const HEADER_SCHEMA = {
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
};
const HEADER_TYPE = avro.Type.forSchema(HEADER_SCHEMA as avro.Schema);
const HEADER_SHAPE = new AvroShape(HEADER_SCHEMA);
const LONG_TYPE = avro.Type.forSchema('long');
/** Parses a JSON schema with avsc: unions unwrapped, a fresh name registry (avsc keeps it in the options). */
const typeOf = (schema: unknown, mode: 'write' | 'read'): avro.Type =>
  avro.Type.forSchema(avscCompatible(schema, mode) as avro.Schema, { wrapUnions: false, typeHook: ownKeysMaps });

/**
 * A copy of a schema that avsc accepts. Hudi declares some union fields with a null default that
 * does not match the union's first branch (`["string","null"]`, default null), which avsc rejects.
 * For writing, that default is dropped (defaults never change the encoding); for reading, `null` is
 * moved to the front of the union so a file without the field still resolves to null.
 */
function avscCompatible(schema: unknown, mode: 'write' | 'read'): unknown {
  if (Array.isArray(schema)) return schema.map((s) => avscCompatible(s, mode));
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = avscCompatible(value, mode);
  const type = copy.type;
  if ('name' in copy && 'default' in copy && copy.default === null && Array.isArray(type) && type[0] !== 'null') {
    if (mode === 'write' || !type.includes('null')) delete copy.default;
    else copy.type = ['null', ...type.filter((t) => t !== 'null')];
  }
  return copy;
}


const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Reads the header of an Avro container file; throws TableFormatError naming `file`. */
export function readContainerHeader(bytes: Uint8Array, file: string): ContainerHeader {
  const buf = asBuffer(bytes);
  if (buf.length === 0) throw new TableFormatError(`Avro instant file ${file} is empty`, { file });
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) {
    throw new TableFormatError(`${file} is not an Avro container file (no Obj\\x01 magic)`, { file });
  }
  let decoded: { value: { meta: Record<string, Buffer>; sync: Buffer }; offset: number };
  try {
    HEADER_SHAPE.check(buf, 0, buf.length, 'header'); // avsc would loop on a corrupt map count
    decoded = HEADER_TYPE.decode(buf, 0);
  } catch (error) {
    throw new TableFormatError(`Avro container ${file} has a corrupt header: ${messageOf(error)}`, { file, cause: error });
  }
  if (decoded.offset < 0) throw new TableFormatError(`Avro container ${file} is truncated in its header`, { file });
  const { meta, sync } = decoded.value;
  const schema = meta['avro.schema'];
  if (schema === undefined) throw new TableFormatError(`Avro container ${file} has no avro.schema`, { file });
  const codec = meta['avro.codec']?.toString('utf8') ?? 'null';
  return { schema: schema.toString('utf8'), codec, meta, sync, dataOffset: decoded.offset };
}

/** Encoder and decoder of one payload kind. */
class ContainerCodec<T> {
  private readonly json: string;
  private writerType: avro.Type | undefined;
  private readerType: avro.Type | undefined;
  /** By writer schema: avsc's resolver to the reader type, and the bounds-checking shape. */
  private readonly writers = new Map<string, { readonly resolver: avro.Resolver; readonly shape: AvroShape }>();

  constructor(
    private readonly label: string,
    schema: AvroSchemaJson,
  ) {
    this.json = JSON.stringify(schema);
  }

  readonly encode = (value: T, options: EncodeOptions = {}): Uint8Array => {
    this.writerType ??= typeOf(JSON.parse(this.json), 'write');
    const problems: string[] = [];
    const hook = (path: string[], v: unknown): void => void problems.push(`${path.join('.') || '(root)'}=${String(v)}`);
    if (!this.writerType.isValid(value, { errorHook: hook })) {
      throw new InvalidArgumentError(`invalid ${this.label}: bad value at ${problems.join(', ')}`, { value });
    }
    const sync = options.sync ?? crypto.getRandomValues(new Uint8Array(16));
    if (sync.length !== 16) throw new InvalidArgumentError(`Avro sync marker must be 16 bytes, got ${sync.length}`);
    const body = this.writerType.toBuffer(value);
    const header = HEADER_TYPE.toBuffer({
      magic: MAGIC,
      meta: { 'avro.schema': Buffer.from(this.json, 'utf8') },
      sync: asBuffer(sync),
    });
    const out = Buffer.concat([header, LONG_TYPE.toBuffer(1), LONG_TYPE.toBuffer(body.length), body, asBuffer(sync)]);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };

  readonly decode = (bytes: Uint8Array, file: string): T => {
    const fail = (message: string, cause?: unknown): TableFormatError =>
      new TableFormatError(`${this.label} ${file}: ${message}`, cause === undefined ? { file } : { file, cause });
    try {
      return this.read(bytes, file, fail);
    } catch (error) {
      if (error instanceof TableFormatError) throw error;
      throw fail(`corrupt Avro data: ${messageOf(error)}`, error);
    }
  };

  private read(bytes: Uint8Array, file: string, fail: (message: string, cause?: unknown) => TableFormatError): T {
    const header = readContainerHeader(bytes, file);
    if (header.codec !== 'null') throw fail(`unsupported Avro codec "${header.codec}" (Hudi writes null)`);
    const { resolver, shape } = this.writerFor(header.schema, fail);
    const reader = this.readerType as avro.Type;
    const buf = asBuffer(bytes);
    let pos = header.dataOffset;
    let first: { value: unknown } | undefined;
    while (pos < buf.length) {
      const count = LONG_TYPE.decode(buf, pos);
      const size = count.offset < 0 ? count : LONG_TYPE.decode(buf, count.offset);
      if (size.offset < 0) throw fail('truncated block header');
      const [records, length] = [count.value as number, size.value as number];
      const blockEnd = size.offset + length;
      // Every record of these schemas takes at least one byte.
      if (records < 0 || length < 0 || records > length || blockEnd + 16 > buf.length) {
        throw fail(`truncated or corrupt data block at byte ${pos}`);
      }
      const block = buf.subarray(0, blockEnd);
      // Walked first: avsc would loop on a corrupt item count (see avro-bounds.ts). Where the records
      // end is checked once, after avsc has read them.
      let q = size.offset;
      for (let i = 0; i < records; i++) {
        try {
          q = shape.check(block, q, blockEnd, `record ${i} of the block at byte ${pos}`);
        } catch (error) {
          throw fail(messageOf(error), error);
        }
      }
      let p = size.offset;
      for (let i = 0; i < records; i++) {
        const record = reader.decode(block, p, resolver);
        if (record.offset < 0) throw fail(`record ${i} overruns its block at byte ${pos}`);
        first ??= { value: record.value };
        p = record.offset;
      }
      if (p !== blockEnd) throw fail(`block at byte ${pos} has ${blockEnd - p} bytes after its records`);
      if (!buf.subarray(blockEnd, blockEnd + 16).equals(asBuffer(header.sync))) {
        throw fail(`bad sync marker at byte ${blockEnd}`);
      }
      pos = blockEnd + 16;
    }
    if (first === undefined) throw fail('holds no record');
    return toPlain(first.value) as T;
  }

  /** The resolver from a writer schema to the reader type, and the writer schema's shape. */
  private writerFor(writerJson: string, fail: (message: string, cause?: unknown) => TableFormatError): { readonly resolver: avro.Resolver; readonly shape: AvroShape } {
    this.readerType ??= typeOf(JSON.parse(this.json), 'read');
    const cached = this.writers.get(writerJson);
    if (cached !== undefined) return cached;
    let writer: avro.Type;
    let shape: AvroShape;
    try {
      const parsed: unknown = JSON.parse(writerJson);
      writer = typeOf(parsed, 'write');
      shape = new AvroShape(parsed);
    } catch (error) {
      throw fail(`unreadable writer schema: ${messageOf(error)}`, error);
    }
    if (writer.name !== this.readerType.name) {
      throw fail(`holds ${writer.name ?? writer.typeName}, not ${this.readerType.name}`);
    }
    let resolver: avro.Resolver;
    try {
      resolver = this.readerType.createResolver(writer);
    } catch (error) {
      throw fail(`writer schema is incompatible with ${this.readerType.name}: ${messageOf(error)}`, error);
    }
    if (this.writers.size >= 16) this.writers.clear();
    this.writers.set(writerJson, { resolver, shape });
    return { resolver, shape };
  }
}

const ROLLBACK_PLAN = new ContainerCodec<RollbackPlan>('rollback plan', ROLLBACK_PLAN_SCHEMA);
const ROLLBACK_METADATA = new ContainerCodec<RollbackMetadata>('rollback metadata', ROLLBACK_METADATA_SCHEMA);
const CLEANER_PLAN = new ContainerCodec<CleanerPlan>('cleaner plan', CLEANER_PLAN_SCHEMA);
const CLEAN_METADATA = new ContainerCodec<CleanMetadata>('clean metadata', CLEAN_METADATA_SCHEMA);
const SAVEPOINT_METADATA = new ContainerCodec<SavepointMetadata>('savepoint metadata', SAVEPOINT_METADATA_SCHEMA);
const RESTORE_PLAN = new ContainerCodec<RestorePlan>('restore plan', RESTORE_PLAN_SCHEMA);
const RESTORE_METADATA = new ContainerCodec<RestoreMetadata>('restore metadata', RESTORE_METADATA_SCHEMA);
const REQUESTED_REPLACE = new ContainerCodec<RequestedReplaceMetadata>(
  'requested replace metadata',
  REQUESTED_REPLACE_METADATA_SCHEMA,
);

/** Encodes a rollback plan as the Avro container file `T.rollback.requested`. */
export const encodeRollbackPlan = ROLLBACK_PLAN.encode;
/** Decodes `T.rollback.requested`; throws TableFormatError naming `file`. */
export const decodeRollbackPlan = ROLLBACK_PLAN.decode;
/** Encodes rollback metadata as the Avro container file `T.rollback`. */
export const encodeRollbackMetadata = ROLLBACK_METADATA.encode;
/** Decodes `T.rollback`; throws TableFormatError naming `file`. */
export const decodeRollbackMetadata = ROLLBACK_METADATA.decode;
/** Encodes a cleaner plan as the Avro container file `T.clean.requested`. */
export const encodeCleanerPlan = CLEANER_PLAN.encode;
/** Decodes `T.clean.requested`; throws TableFormatError naming `file`. */
export const decodeCleanerPlan = CLEANER_PLAN.decode;
/** Encodes clean metadata as the Avro container file `T.clean`. */
export const encodeCleanMetadata = CLEAN_METADATA.encode;
/** Decodes `T.clean`; throws TableFormatError naming `file`. */
export const decodeCleanMetadata = CLEAN_METADATA.decode;
/** Encodes savepoint metadata as the Avro container file `T.savepoint`. */
export const encodeSavepointMetadata = SAVEPOINT_METADATA.encode;
/** Decodes `T.savepoint`; throws TableFormatError naming `file`. */
export const decodeSavepointMetadata = SAVEPOINT_METADATA.decode;
/** Encodes a restore plan as the Avro container file `T.restore.requested`. */
export const encodeRestorePlan = RESTORE_PLAN.encode;
/** Decodes `T.restore.requested`; throws TableFormatError naming `file`. */
export const decodeRestorePlan = RESTORE_PLAN.decode;
/** Encodes restore metadata as the Avro container file `T.restore`. */
export const encodeRestoreMetadata = RESTORE_METADATA.encode;
/** Decodes `T.restore`; throws TableFormatError naming `file`. */
export const decodeRestoreMetadata = RESTORE_METADATA.decode;
/** Encodes requested replace metadata as the Avro container file `T.replacecommit.requested`. */
export const encodeRequestedReplaceMetadata = REQUESTED_REPLACE.encode;
/** Decodes `T.replacecommit.requested`; throws TableFormatError naming `file`. */
export const decodeRequestedReplaceMetadata = REQUESTED_REPLACE.decode;
