/**
 * What a pipeline is, as declared in `catalog/`: a source, an optional DuckDB SQL transform over a
 * relation named `source`, declarative checks, and the target table. `definePipeline` only gives
 * the object its type; `validatePipeline` says precisely what is wrong with one.
 */
import { InvalidArgumentError } from '../errors.ts';

/** Files matched by a glob: new or changed files by modification time, or rows by a column. */
export interface FilesSource {
  readonly kind: 'files';
  /** A glob; relative paths are taken from the directory Tidemark runs in; `{warehouse}` is replaced by the warehouse path. */
  readonly path: string;
  readonly format?: 'parquet' | 'csv' | 'json';
  /** When set, every matching file is read and rows are kept by this column's value in the window. */
  readonly watermarkColumn?: string;
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
}

export type SourceDefinition = FilesSource | PostgresSource | TableSource;

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
  } else if (s.kind === 'postgres') {
    if (typeof s.url !== 'string') fail('postgres source needs a url');
    if ((s.table === undefined) === (s.query === undefined)) fail('postgres source needs exactly one of table or query');
    if (typeof s.watermarkColumn !== 'string') fail('postgres source needs a watermarkColumn');
  } else if (s.kind === 'table') {
    if (typeof s.table !== 'string' || !TABLE_NAME.test(s.table)) fail(`table source "${String(s.table)}" must be a name like sales.orders`);
  } else {
    fail(`source kind ${JSON.stringify((s as { kind?: unknown }).kind)} is not files, postgres or table`);
  }
  const t = d.target as Partial<TargetDefinition> | undefined;
  if (t === undefined || typeof t.table !== 'string' || !TABLE_NAME.test(t.table)) fail('target.table must be a name like sales.orders');
  if (!Array.isArray(t!.recordKey) || t!.recordKey.length === 0) fail('target.recordKey must list at least one column');
  if (d.schedule !== undefined && !['daily', 'hourly', 'always'].includes(d.schedule)) fail(`schedule "${d.schedule}" is not daily, hourly or always`);
  for (const c of d.checks ?? []) {
    if (!['not_null', 'unique', 'accepted_values', 'range', 'min_rows', 'sql'].includes((c as { kind: string }).kind)) {
      fail(`check kind ${JSON.stringify((c as { kind: unknown }).kind)} is unknown`);
    }
  }
  return d as PipelineDefinition;
}

/** `database.name` split in two. */
export function splitTableName(name: string): { database: string; name: string } {
  const [database, table] = name.split('.') as [string, string];
  return { database, name: table };
}
