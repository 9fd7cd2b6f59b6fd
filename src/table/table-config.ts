/**
 * A table's configuration as stored in `.hoodie/hoodie.properties`, with Hudi's key names. Parsing
 * validates what Tidemark relies on; formatting writes what Hudi 0.14/0.15 writers write, checksum last.
 */
import { InvalidArgumentError, TableFormatError, UnsupportedTableVersionError } from '../errors.ts';
import { formatProperties, parseProperties, tableChecksum } from './properties.ts';

/** Hudi's defaults for file sizing (`hoodie.parquet.small.file.limit`, `hoodie.parquet.max.file.size`). */
export const DEFAULT_SMALL_FILE_LIMIT = 104_857_600;
export const DEFAULT_MAX_FILE_SIZE = 125_829_120;
/** Hudi's default for the commits the cleaner keeps (`hoodie.cleaner.commits.retained`). */
export const DEFAULT_COMMITS_RETAINED = 10;
/** Hudi's archival bounds (`hoodie.keep.min.commits`, `hoodie.keep.max.commits`). */
export const DEFAULT_KEEP_MIN_COMMITS = 20;
export const DEFAULT_KEEP_MAX_COMMITS = 30;
/**
 * Parquet codecs Tidemark writes (`hoodie.parquet.compression.codec`), as DuckDB's COPY spells them.
 * The default is snappy, Spark's and DuckDB's default and the fastest to write; on the bench data its
 * files are ~5% larger than zstd's at level -3. Hudi's own default is gzip.
 */
export { COMPRESSION_CODECS, type CompressionCodec } from './codecs.ts';
import { COMPRESSION_CODECS, type CompressionCodec } from './codecs.ts';
export const DEFAULT_COMPRESSION_CODEC: CompressionCodec = 'snappy';

/** Hudi's fallback record size estimate before any commit says better (`hoodie.copyonwrite.record.size.estimate`). */
export const DEFAULT_RECORD_SIZE_ESTIMATE = 1024;

const KEYGEN_CLASSES = {
  simple: 'org.apache.hudi.keygen.SimpleKeyGenerator',
  complex: 'org.apache.hudi.keygen.ComplexKeyGenerator',
  nonpartitioned: 'org.apache.hudi.keygen.NonpartitionedKeyGenerator',
  timestamp: 'org.apache.hudi.keygen.TimestampBasedKeyGenerator',
} as const;
export type KeyGenerator = keyof typeof KEYGEN_CLASSES | 'other';

/** The configuration of one table. */
export interface TableConfig {
  readonly name: string;
  readonly database: string;
  readonly tableType: 'COPY_ON_WRITE' | 'MERGE_ON_READ';
  readonly version: number;
  readonly recordKeyFields: ReadonlyArray<string>;
  readonly precombineField: string | undefined;
  readonly partitionFields: ReadonlyArray<string>;
  readonly hiveStylePartitioning: boolean;
  readonly urlEncodePartitions: boolean;
  readonly keyGenerator: KeyGenerator;
  readonly populateMetaFields: boolean;
  /** Avro schema JSON of the data columns at creation (`hoodie.table.create.schema`). */
  readonly createSchema: string | undefined;
  readonly smallFileLimit: number;
  readonly maxFileSize: number;
  /**
   * Codec of the files written (`hoodie.parquet.compression.codec`, lower case), as the table says;
   * a writer refuses one outside COMPRESSION_CODECS (`writableCodec`), a reader reads any.
   */
  readonly compressionCodec: string;
  /** Clean after every write (`hoodie.clean.automatic`; off unless the table says so). */
  readonly cleanAutomatic: boolean;
  /** Commits the cleaner retains (`hoodie.cleaner.commits.retained`, Hudi's default 10). */
  readonly commitsRetained: number;
  /** Archive old instants when the active timeline has more than `keepMaxCommits` completed writes, down to `keepMinCommits` (`hoodie.keep.max.commits` 30, `hoodie.keep.min.commits` 20). */
  readonly keepMinCommits: number;
  readonly keepMaxCommits: number;
  /** Every property as read, so keys Tidemark does not model survive a rewrite. */
  readonly properties: ReadonlyMap<string, string>;
}

/** What a caller chooses when creating a table. */
export interface NewTableOptions {
  readonly name: string;
  readonly database?: string;
  readonly recordKeyFields: ReadonlyArray<string>;
  readonly precombineField?: string | undefined;
  readonly partitionFields?: ReadonlyArray<string>;
  readonly hiveStylePartitioning?: boolean;
  readonly urlEncodePartitions?: boolean;
  readonly smallFileLimit?: number;
  readonly maxFileSize?: number;
  /** Codec of the Parquet files written (default snappy). */
  readonly compressionCodec?: CompressionCodec;
  readonly createSchema?: string;
  /** Clean after every write, keeping `commitsRetained` commits readable. */
  readonly cleanAutomatic?: boolean;
  readonly commitsRetained?: number;
  readonly keepMinCommits?: number;
  readonly keepMaxCommits?: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Validates creation options and fills Hudi's defaults. */
export function newTableConfig(options: NewTableOptions): TableConfig {
  const partitionFields = options.partitionFields ?? [];
  const fields = [...options.recordKeyFields, ...partitionFields, ...(options.precombineField ? [options.precombineField] : [])];
  if (!NAME.test(options.name)) {
    throw new InvalidArgumentError(`table name "${options.name}" must be letters, digits and _ (not starting with a digit)`, { value: options.name });
  }
  if (options.recordKeyFields.length === 0) throw new InvalidArgumentError('a table needs at least one record key field', { table: options.name });
  for (const f of fields) {
    if (f.trim() === '' || f !== f.trim()) throw new InvalidArgumentError(`field name "${f}" is empty or has surrounding spaces`, { table: options.name, value: f });
  }
  if (options.compressionCodec !== undefined && !(COMPRESSION_CODECS as readonly string[]).includes(options.compressionCodec)) {
    throw new InvalidArgumentError(`compression codec "${String(options.compressionCodec)}" is not one of ${COMPRESSION_CODECS.join(', ')}`, {
      table: options.name,
      value: String(options.compressionCodec),
    });
  }
  const keyGenerator: KeyGenerator =
    partitionFields.length === 0 ? 'nonpartitioned' : options.recordKeyFields.length > 1 || partitionFields.length > 1 ? 'complex' : 'simple';
  return {
    name: options.name,
    database: options.database ?? 'default',
    tableType: 'COPY_ON_WRITE',
    version: 6,
    recordKeyFields: [...options.recordKeyFields],
    precombineField: options.precombineField,
    partitionFields: [...partitionFields],
    hiveStylePartitioning: options.hiveStylePartitioning ?? false,
    urlEncodePartitions: options.urlEncodePartitions ?? true,
    keyGenerator,
    populateMetaFields: true,
    createSchema: options.createSchema,
    smallFileLimit: options.smallFileLimit ?? DEFAULT_SMALL_FILE_LIMIT,
    maxFileSize: options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    compressionCodec: options.compressionCodec ?? DEFAULT_COMPRESSION_CODEC,
    cleanAutomatic: options.cleanAutomatic ?? false,
    commitsRetained: options.commitsRetained ?? DEFAULT_COMMITS_RETAINED,
    keepMinCommits: options.keepMinCommits ?? DEFAULT_KEEP_MIN_COMMITS,
    keepMaxCommits: options.keepMaxCommits ?? DEFAULT_KEEP_MAX_COMMITS,
    properties: new Map(),
  };
}

/** Parses `hoodie.properties`; `file` names it in errors. Rejects versions other than 6 (and 5). */
export function parseTableConfig(text: string, file: string): TableConfig {
  const props = parseProperties(text);
  const get = (key: string): string | undefined => props.get(key);
  const name = get('hoodie.table.name');
  if (name === undefined || name === '') throw new TableFormatError(`${file} has no hoodie.table.name`, { file });
  const version = Number(get('hoodie.table.version') ?? '0');
  if (version >= 8 || get('hoodie.timeline.layout.version') === '2') {
    throw new UnsupportedTableVersionError(
      `table "${name}" is Hudi table version ${version} (timeline layout ${get('hoodie.timeline.layout.version') ?? '?'}); Tidemark reads and writes version 6 only for now`,
      { table: name, file, value: version },
    );
  }
  if (version < 5) throw new UnsupportedTableVersionError(`table "${name}" is Hudi table version ${version}; Tidemark supports version 6`, { table: name, file, value: version });
  const tableType = get('hoodie.table.type') ?? 'COPY_ON_WRITE';
  if (tableType !== 'COPY_ON_WRITE' && tableType !== 'MERGE_ON_READ') {
    throw new TableFormatError(`${file}: unknown hoodie.table.type "${tableType}"`, { table: name, file, value: tableType });
  }
  const list = (key: string): string[] => (get(key) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const keygenClass = get('hoodie.table.keygenerator.class') ?? '';
  const keyGenerator = (Object.entries(KEYGEN_CLASSES).find(([, cls]) => cls === keygenClass)?.[0] ?? 'other') as KeyGenerator;
  const num = (key: string, fallback: number): number => {
    const raw = get(key);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n)) throw new TableFormatError(`${file}: ${key}=${raw} is not a number`, { table: name, file, value: raw });
    return n;
  };
  const expected = tableChecksum(get('hoodie.database.name') ?? '', name);
  const checksum = get('hoodie.table.checksum');
  if (checksum !== undefined && checksum !== expected) {
    throw new TableFormatError(`${file}: hoodie.table.checksum ${checksum} does not match ${expected} (file corrupt or edited by hand)`, {
      table: name,
      file,
      value: checksum,
    });
  }
  return {
    name,
    database: get('hoodie.database.name') ?? '',
    tableType,
    version,
    recordKeyFields: list('hoodie.table.recordkey.fields'),
    precombineField: get('hoodie.table.precombine.field') || undefined,
    partitionFields: list('hoodie.table.partition.fields'),
    hiveStylePartitioning: get('hoodie.datasource.write.hive_style_partitioning') === 'true',
    urlEncodePartitions: get('hoodie.datasource.write.partitionpath.urlencode') === 'true',
    keyGenerator,
    populateMetaFields: get('hoodie.populate.meta.fields') !== 'false',
    createSchema: get('hoodie.table.create.schema'),
    smallFileLimit: num('hoodie.parquet.small.file.limit', DEFAULT_SMALL_FILE_LIMIT),
    maxFileSize: num('hoodie.parquet.max.file.size', DEFAULT_MAX_FILE_SIZE),
    compressionCodec: (get('hoodie.parquet.compression.codec') ?? DEFAULT_COMPRESSION_CODEC).trim().toLowerCase(),
    cleanAutomatic: get('hoodie.clean.automatic') === 'true',
    commitsRetained: num('hoodie.cleaner.commits.retained', DEFAULT_COMMITS_RETAINED),
    keepMinCommits: num('hoodie.keep.min.commits', DEFAULT_KEEP_MIN_COMMITS),
    keepMaxCommits: num('hoodie.keep.max.commits', DEFAULT_KEEP_MAX_COMMITS),
    properties: props,
  };
}

/** Formats `hoodie.properties` for a table, keeping unknown keys it was read with; checksum last. */
export function formatTableConfig(config: TableConfig, savedAt: Date): string {
  const own = new Map<string, string>();
  const set = (k: string, v: string | undefined): void => {
    if (v !== undefined) own.set(k, v);
  };
  set('hoodie.table.name', config.name);
  set('hoodie.database.name', config.database);
  set('hoodie.table.type', config.tableType);
  set('hoodie.table.version', String(config.version));
  set('hoodie.timeline.layout.version', '1');
  set('hoodie.table.timeline.timezone', 'UTC');
  set('hoodie.table.recordkey.fields', config.recordKeyFields.join(','));
  set('hoodie.table.precombine.field', config.precombineField);
  if (config.partitionFields.length > 0) set('hoodie.table.partition.fields', config.partitionFields.join(','));
  set('hoodie.table.keygenerator.class', config.keyGenerator === 'other' ? config.properties.get('hoodie.table.keygenerator.class') : KEYGEN_CLASSES[config.keyGenerator]);
  set('hoodie.datasource.write.hive_style_partitioning', String(config.hiveStylePartitioning));
  set('hoodie.datasource.write.partitionpath.urlencode', String(config.urlEncodePartitions));
  set('hoodie.datasource.write.drop.partition.columns', 'false');
  set('hoodie.table.base.file.format', 'PARQUET');
  set('hoodie.populate.meta.fields', String(config.populateMetaFields));
  set('hoodie.archivelog.folder', 'archived');
  set('hoodie.parquet.small.file.limit', String(config.smallFileLimit));
  set('hoodie.parquet.max.file.size', String(config.maxFileSize));
  set('hoodie.parquet.compression.codec', config.compressionCodec);
  set('hoodie.clean.automatic', String(config.cleanAutomatic));
  set('hoodie.cleaner.commits.retained', String(config.commitsRetained));
  set('hoodie.keep.min.commits', String(config.keepMinCommits));
  set('hoodie.keep.max.commits', String(config.keepMaxCommits));
  set('hoodie.table.create.schema', config.createSchema);
  const entries: Array<[string, string]> = [];
  for (const [k, v] of config.properties) if (!own.has(k) && k !== 'hoodie.table.checksum') entries.push([k, v]);
  entries.push(...own);
  entries.push(['hoodie.table.checksum', tableChecksum(config.database, config.name)]);
  return formatProperties(entries, savedAt);
}

/**
 * The codec a writer uses for `config`'s files; throws, naming the value and the table, when the
 * table asks for one Tidemark cannot write (lzo, lz4 or brotli, which Hudi accepts).
 */
export function writableCodec(config: TableConfig, context: { readonly table?: string; readonly file?: string } = {}): CompressionCodec {
  const codec = COMPRESSION_CODECS.find((c) => c === config.compressionCodec);
  if (codec === undefined) {
    throw new TableFormatError(
      `table ${config.name} asks for hoodie.parquet.compression.codec=${config.compressionCodec}, which Tidemark does not write; set it to one of ${COMPRESSION_CODECS.join(', ')}`,
      { table: config.name, ...context, value: config.compressionCodec },
    );
  }
  return codec;
}
