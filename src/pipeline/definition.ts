/**
 * What a pipeline is, as declared in `catalog/`: a source, an optional DuckDB SQL transform over a
 * relation named `source`, declarative checks, and the target table. `definePipeline` only gives
 * the object its type; `validatePipeline` says precisely what is wrong with one.
 */
import { InvalidArgumentError } from '../errors.ts';

/**
 * Files matched by a glob: files new or changed since the ledger of loaded files kept in the
 * target's commits (path, size, mtime, fingerprint), or rows by a column.
 */
export interface FilesSource {
  readonly kind: 'files';
  /** A glob; relative paths are taken from the directory Tidemark runs in; `{warehouse}` is replaced by the warehouse path. */
  readonly path: string;
  readonly format?: 'parquet' | 'csv' | 'json';
  /** When set, every matching file is read and rows are kept by this column's value in the window. */
  readonly watermarkColumn?: string;
  /**
   * A glob that has never matched a file fails the run (`no file matches …`): a typo or an unmounted
   * share must not succeed with 0 rows every day. `true` makes it an ordinary run with no data.
   */
  readonly allowEmpty?: boolean;
}

/** A PostgreSQL table or query, rows with `watermarkColumn` in the window. */
export interface PostgresSource {
  readonly kind: 'postgres';
  readonly url: string;
  readonly table?: string;
  readonly query?: string;
  readonly watermarkColumn: string;
}

/** An upstream Tidemark table read incrementally by commit. */
export interface TableSource {
  readonly kind: 'table';
  /** A registered name, `database.name`. */
  readonly table: string;
  /**
   * The column holding the rows' data date (a DATE or timestamp). Only backfills use it: `daily-run
   * --from D1 --to D2` reads the upstream's current rows whose column falls on each day, instead of
   * the commits made that day. Normal runs stay incremental by commit, which is exact.
   */
  readonly watermarkColumn?: string;
  /**
   * Read the upstream's change feed instead of its changed records: every insert, update (its
   * postimage) and delete of the window's commits, with `_change_type`, `_commit_time` and
   * `_change_order`, deletes marked `_hoodie_is_deleted`, so that `SELECT * FROM source` into an
   * upsert target deletes downstream what was deleted upstream. Default: false (deletes are not seen).
   */
  readonly changes?: boolean;
}

/**
 * What a stream source shares (Kafka, NATS JetStream): each run reads, per partition, from the
 * checkpoint in the target's last commit to the offsets taken at the run's start (see
 * src/pipeline/sources/stream-source.ts and the README's stream section).
 */
export interface StreamSourceOptions {
  /** How message values are decoded: `json` (default; one JSON object a message, its fields become columns) or `text` (a `value` column). */
  readonly format?: 'json' | 'text';
  /** Where a pipeline's first run starts: `earliest` (default: every retained message) or `latest` (only messages produced after it). */
  readonly startingOffsets?: 'earliest' | 'latest';
  /**
   * A checkpoint the stream no longer holds (retention deleted its messages, or the topic was
   * recreated) fails the run (`fail`, the default: messages were lost). `earliest` or `latest`
   * goes on from there; the messages skipped are logged and counted in the run.
   */
  readonly onOffsetOutOfRange?: 'fail' | 'earliest' | 'latest';
  /** At most this many messages a run (spread over partitions); default: no limit. */
  readonly maxRecords?: number;
}

/** A Kafka topic. */
export interface KafkaSource extends StreamSourceOptions {
  readonly kind: 'kafka';
  /** Bootstrap brokers, `host:port` (one, or a list). */
  readonly brokers: string | ReadonlyArray<string>;
  readonly topic: string;
  /** The client id the brokers see; default `tidemark`. */
  readonly clientId?: string;
  /** TLS to the brokers; default off. */
  readonly ssl?: boolean;
  /** SASL authentication; default none. */
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string };
}

/** A NATS JetStream stream (its sequence numbers are the offsets; one partition, 0). */
export interface NatsSource extends StreamSourceOptions {
  readonly kind: 'nats';
  /** Servers, `host:port` or `nats://host:port` (one, or a list). */
  readonly servers: string | ReadonlyArray<string>;
  readonly stream: string;
  /** Only messages on this subject (wildcards allowed); default: the whole stream. */
  readonly subject?: string;
  /** Credentials; default none. */
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

export type SourceDefinition = FilesSource | PostgresSource | TableSource | KafkaSource | NatsSource;

/** Declarative data-quality checks, run on the transformed batch before anything is committed. */
export type CheckDefinition =
  | { readonly kind: 'not_null'; readonly column: string }
  | { readonly kind: 'unique'; readonly column: string | ReadonlyArray<string> }
  | { readonly kind: 'accepted_values'; readonly column: string; readonly values: ReadonlyArray<string | number | boolean> }
  | { readonly kind: 'range'; readonly column: string; readonly min?: number | string; readonly max?: number | string }
  | { readonly kind: 'min_rows'; readonly count: number }
  | { readonly kind: 'sql'; readonly name?: string; readonly predicate: string };

/** The table a pipeline writes. */
export interface TargetDefinition {
  /** A registered name, `database.name`; created under the warehouse on first run when not registered. */
  readonly table: string;
  readonly recordKey: ReadonlyArray<string>;
  readonly precombine?: string;
  readonly partitionBy?: ReadonlyArray<string>;
  readonly hiveStyle?: boolean;
  /**
   * `upsert` (default): one row per record key, the latest version. `scd2`: a history table that
   * keeps every version with its validity interval, as a dbt snapshot does (see `scd2.ts`).
   */
  readonly mode?: 'upsert' | 'scd2';
  /**
   * `partition` (default, Hudi's non-global index): a record key is unique within its partition.
   * `global`: unique across partitions; a record whose partition value changed moves (its old copy
   * is deleted in the same commit). See src/engine/global-index.ts.
   */
  readonly index?: 'partition' | 'global';
  /** Names of an `scd2` target's validity columns (defaults: `dbt_valid_from`, `dbt_valid_to`, `is_current`). */
  readonly scd2?: Scd2Columns;
}

/** The validity columns of a history (`scd2`) table, each optional. */
export interface Scd2Columns {
  readonly validFrom?: string;
  readonly validTo?: string;
  readonly current?: string;
}

/**
 * The default validity columns: dbt snapshot's names, so models and queries written for dbt
 * snapshots read a Tidemark history table as they are. dbt has no current flag (its current row is
 * `dbt_valid_to IS NULL`); `is_current` is added for readers that want a plain filter.
 */
export const SCD2_COLUMNS: Required<Scd2Columns> = { validFrom: 'dbt_valid_from', validTo: 'dbt_valid_to', current: 'is_current' };

/** A target's validity column names, defaults filled in. */
export function scd2Columns(target: TargetDefinition): Required<Scd2Columns> {
  return { ...SCD2_COLUMNS, ...Object.fromEntries(Object.entries(target.scd2 ?? {}).filter(([, v]) => v !== undefined)) };
}

/** How often a pipeline is due: `daily` (default) or `hourly`, or on every `daily-run`. */
export type Schedule = 'daily' | 'hourly' | 'always';

/** A duration in days, hours and minutes. */
export interface Lookback {
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
}

/** A pipeline as declared in `catalog/`. */
export interface PipelineDefinition {
  readonly name: string;
  readonly description?: string;
  readonly source: SourceDefinition;
  readonly transform?: string;
  readonly checks?: ReadonlyArray<CheckDefinition>;
  readonly target: TargetDefinition;
  readonly schedule?: Schedule;
  /** Late data: each window starts this much before the last successful window ended. */
  readonly lookback?: Lookback;
}

/** Types a pipeline definition (an identity function). */
export function definePipeline<const T extends PipelineDefinition>(definition: T): T {
  return definition;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a definition's shape; `origin` (its file) is named in errors. */
export function validatePipeline(value: unknown, origin: string): PipelineDefinition {
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`pipeline in ${origin}: ${message}`, { file: origin });
  };
  if (typeof value !== 'object' || value === null) return fail('the default export is not an object (use definePipeline({...}))');
  const d = value as Partial<PipelineDefinition>;
  if (typeof d.name !== 'string' || !NAME.test(d.name)) fail(`name ${JSON.stringify(d.name)} must be letters, digits and _`);
  const s = d.source as Partial<SourceDefinition> | undefined;
  if (s === undefined || typeof s !== 'object') return fail('has no source');
  if (s.kind === 'files') {
    if (typeof s.path !== 'string' || s.path === '') fail('files source needs a path (a glob)');
    if (s.format !== undefined && !['parquet', 'csv', 'json'].includes(s.format)) fail(`files source format "${s.format}" is not parquet, csv or json`);
    if (s.allowEmpty !== undefined && typeof s.allowEmpty !== 'boolean') fail(`files source allowEmpty must be true or false, not ${JSON.stringify(s.allowEmpty)}`);
    if (s.watermarkColumn !== undefined && (typeof s.watermarkColumn !== 'string' || s.watermarkColumn === '')) fail('files source watermarkColumn must be a column name');
  } else if (s.kind === 'postgres') {
    if (typeof s.url !== 'string') fail('postgres source needs a url');
    if ((s.table === undefined) === (s.query === undefined)) fail('postgres source needs exactly one of table or query');
    if (typeof s.watermarkColumn !== 'string') fail('postgres source needs a watermarkColumn');
  } else if (s.kind === 'table') {
    if (typeof s.table !== 'string' || !TABLE_NAME.test(s.table)) fail(`table source "${String(s.table)}" must be a name like sales.orders`);
    if (s.watermarkColumn !== undefined && (typeof s.watermarkColumn !== 'string' || s.watermarkColumn === '')) fail('table source watermarkColumn must be a column name');
    if (s.changes !== undefined && typeof s.changes !== 'boolean') fail(`table source changes must be true or false, not ${JSON.stringify(s.changes)}`);
  } else if (s.kind === 'kafka' || s.kind === 'nats') {
    validateStream(s, fail);
  } else {
    fail(`source kind ${JSON.stringify((s as { kind?: unknown }).kind)} is not files, postgres, table, kafka or nats`);
  }
  const t = d.target as Partial<TargetDefinition> | undefined;
  if (t === undefined || typeof t.table !== 'string' || !TABLE_NAME.test(t.table)) fail('target.table must be a name like sales.orders');
  if (!Array.isArray(t!.recordKey) || t!.recordKey.length === 0) fail('target.recordKey must list at least one column');
  if (t!.mode !== undefined && t!.mode !== 'upsert' && t!.mode !== 'scd2') fail(`target.mode ${JSON.stringify(t!.mode)} is not upsert or scd2`);
  if (t!.index !== undefined && t!.index !== 'partition' && t!.index !== 'global') fail(`target.index ${JSON.stringify(t!.index)} is not partition or global`);
  if (t!.index === 'global' && t!.mode === 'scd2') fail("target.index 'global' applies to upsert targets; a history (scd2) table keeps versions by key and valid_from");
  if (t!.scd2 !== undefined) {
    if (t!.mode !== 'scd2') fail('target.scd2 names validity columns, so it needs target.mode: \'scd2\'');
    for (const c of Object.values(t!.scd2)) if (c !== undefined && (typeof c !== 'string' || !NAME.test(c))) fail(`target.scd2 column ${JSON.stringify(c)} must be letters, digits and _`);
  }
  if (t!.mode === 'scd2') {
    const named = Object.values(scd2Columns(t as TargetDefinition));
    if (new Set(named).size !== named.length) fail(`target.scd2 names one column twice (${named.join(', ')})`);
    const clash = named.find((c) => t!.recordKey!.includes(c) || c === t!.precombine);
    if (clash !== undefined) fail(`target.scd2 validity column ${clash} is also the record key or precombine field`);
  }
  if (d.schedule !== undefined && !['daily', 'hourly', 'always'].includes(d.schedule)) fail(`schedule "${d.schedule}" is not daily, hourly or always`);
  for (const c of d.checks ?? []) {
    if (!['not_null', 'unique', 'accepted_values', 'range', 'min_rows', 'sql'].includes((c as { kind: string }).kind)) {
      fail(`check kind ${JSON.stringify((c as { kind: unknown }).kind)} is unknown`);
    }
  }
  return d as PipelineDefinition;
}

/** Checks a `kafka` or `nats` source. */
function validateStream(s: Partial<KafkaSource> | Partial<NatsSource>, fail: (message: string) => never): void {
  const hosts = (v: unknown): boolean => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0 && v.every((h) => typeof h === 'string' && h !== ''));
  if (s.kind === 'kafka') {
    if (!hosts(s.brokers)) fail('kafka source needs brokers ("host:port", or a list)');
    if (typeof s.topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(s.topic)) fail(`kafka source topic ${JSON.stringify(s.topic)} is not a Kafka topic name (letters, digits, ., _ and -)`);
    if (s.sasl !== undefined && !['plain', 'scram-sha-256', 'scram-sha-512'].includes(s.sasl.mechanism)) fail(`kafka source sasl.mechanism ${JSON.stringify(s.sasl.mechanism)} is not plain, scram-sha-256 or scram-sha-512`);
  } else {
    const n = s as Partial<NatsSource>;
    if (!hosts(n.servers)) fail('nats source needs servers ("host:port", or a list)');
    if (typeof n.stream !== 'string' || !/^[^\s.*>,]+$/.test(n.stream)) fail(`nats source stream ${JSON.stringify(n.stream)} is not a JetStream stream name`);
    if (n.subject !== undefined && (typeof n.subject !== 'string' || n.subject === '')) fail('nats source subject must be a subject (wildcards allowed)');
  }
  const what = `${s.kind} source`;
  if (s.format !== undefined && s.format !== 'json' && s.format !== 'text') fail(`${what} format ${JSON.stringify(s.format)} is not json or text`);
  if (s.startingOffsets !== undefined && s.startingOffsets !== 'earliest' && s.startingOffsets !== 'latest') fail(`${what} startingOffsets ${JSON.stringify(s.startingOffsets)} is not earliest or latest`);
  if (s.onOffsetOutOfRange !== undefined && !['fail', 'earliest', 'latest'].includes(s.onOffsetOutOfRange)) fail(`${what} onOffsetOutOfRange ${JSON.stringify(s.onOffsetOutOfRange)} is not fail, earliest or latest`);
  if (s.maxRecords !== undefined && (!Number.isSafeInteger(s.maxRecords) || s.maxRecords < 1)) fail(`${what} maxRecords ${JSON.stringify(s.maxRecords)} is not a whole number ≥ 1`);
}

/** `database.name` split in two. */
export function splitTableName(name: string): { database: string; name: string } {
  const [database, table] = name.split('.') as [string, string];
  return { database, name: table };
}
