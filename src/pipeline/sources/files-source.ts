/**
 * Files matched by a glob. Without a watermark column, the files to load are those the ledger of
 * loaded files (`file-ledger.ts`, kept in the target's commits) does not know as they are now: new
 * paths, and files whose size or mtime changed; the window does not select them, so a file landing
 * with an old mtime still loads. With a watermark column, every file is read and rows are kept by
 * the column's value. A glob that has never matched a file fails the extract (a typo or an
 * unmounted share would otherwise succeed with 0 rows every day) unless the source says
 * `allowEmpty`. A failed later step can ask which file and row a value came from (`locate`).
 */
import path from 'node:path';
import { InvalidInputError, messageOf } from '../../errors.ts';
import { type InputFormat, csvColumnsOfFiles, formatOf, readFilesSql } from '../../engine/write/input.ts';
import { csvTypesOption, settleCsvColumns } from '../../engine/write/input-types.ts';
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';
import type { CheckpointLookup, CheckpointedSource } from './checkpointed.ts';
import type { FilesSource } from '../definition.ts';
import { type Window, windowPredicate } from '../window.ts';
import { LEDGER_KEY, type Ledger, decodeLedger, encodeLedger, scanFiles } from './file-ledger.ts';
import type { Source, SourceContext } from './source.ts';

/** A `files` source. */
export class FilesSourceReader implements Source, CheckpointedSource {
  /**
   * What the last `extract` read: its files, their format, its row filter (SQL, or ''), and the CSV
   * columns read as text and typed by the engine's rules (`input-types.ts`), as `write` types them.
   */
  private read:
    | { readonly files: ReadonlyArray<string>; readonly format: InputFormat; readonly filter: string; readonly settle: ReadonlyMap<string, string> }
    | undefined;

  /** How to find the previous checkpoint (given by the run; none: no ledger, as on a first run). */
  private lookup: CheckpointLookup = async () => undefined;
  /** The ledger to record with the commit, after an extract that loaded files by the ledger. */
  private next: Ledger | undefined;

  constructor(private readonly def: FilesSource, private readonly ctx: SourceContext) {}

  resume(lookup: CheckpointLookup): void {
    this.lookup = lookup;
  }

  checkpoint(): Readonly<Record<string, string>> {
    if (this.next === undefined) return {};
    return { [LEDGER_KEY]: encodeLedger(this.next), 'tidemark.files_ledger_files': String(this.next.size) };
  }

  /** The ledger of the target's latest commit of this pipeline that has one. */
  private async previousLedger(): Promise<Ledger | undefined> {
    const found = await this.lookup(LEDGER_KEY);
    return found === undefined ? undefined : decodeLedger(found.value, found.instant ?? found.from);
  }

  /**
   * Whether some file matched this glob once: the pipeline recorded a ledger (files without a
   * watermark column) or committed at all (with one, as only matched files give rows).
   */
  private async matchedBefore(ledger: Ledger | undefined): Promise<boolean> {
    if (ledger !== undefined) return true;
    return this.def.watermarkColumn !== undefined && (await this.lookup('tidemark.run_id')) !== undefined;
  }

  async windowEnd(now: Date): Promise<Date> {
    return now;
  }

  private pattern(): string {
    const p = this.def.path.replaceAll('{warehouse}', this.ctx.warehouse);
    return path.resolve(p);
  }

  async extract(window: Window, target: string): Promise<number | undefined> {
    const duck = this.ctx.engine.duck;
    const matched = (await duck.column<string>(`SELECT file FROM glob(${sqlString(this.pattern())}) ORDER BY file`)).filter((f) => !path.basename(f).startsWith('.'));
    this.next = undefined;
    const byLedger = this.def.watermarkColumn === undefined;
    const ledger = byLedger || matched.length === 0 ? await this.previousLedger() : undefined;
    if (matched.length === 0 && !this.def.allowEmpty && !(await this.matchedBefore(ledger))) {
      throw new InvalidInputError(`no file matches ${this.pattern()} (and none ever has; if that is expected, give the source allowEmpty: true)`, { value: this.def.path });
    }
    let files = matched;
    if (byLedger) {
      // A full load (first run, full refresh) reads every file; the ledger it records replaces the old one.
      const scan = await scanFiles(this.ctx.store, matched, window.start === null ? new Map() : (ledger ?? new Map()));
      files = [...scan.fresh];
      // Recorded only with a commit, so only when there is something to load: an empty poll keeps the old ledger.
      if (files.length > 0) this.next = scan.next;
    }
    if (files.length === 0) return undefined;
    const format = this.def.format ?? formatOf(files[0]!);
    if (format === undefined) throw new InvalidInputError(`cannot tell the format of ${files[0]}; give the source a format`, { file: files[0] });
    const settle = format === 'csv' ? await csvColumnsOfFiles(duck, files) : new Map<string, string>();
    const filter = this.windowFilter(window, settle);
    this.read = { files, format, filter, settle };
    try {
      await duck.run(`CREATE TABLE ${target} AS SELECT * FROM ${readFilesSql(files, format, csvTypesOption(settle))}${filter === '' ? '' : ` WHERE ${filter}`}`);
    } catch (error) {
      const failure = readFailure(files, messageOf(error));
      throw new InvalidInputError(failure.message, { file: failure.file, cause: error });
    }
    await settleCsvColumns(duck, target, settle, { table: this.describe(), input: this.describe(), ...(files.length === 1 ? { file: files[0]! } : {}) });
    const [r] = await duck.rows(`SELECT count(*) AS n FROM ${target}`);
    return Number(r!.n);
  }

  /** The rows of the window, by the watermark column ('' without one); a column read as text is cast for the comparison. */
  private windowFilter(window: Window, settle: ReadonlyMap<string, string>): string {
    const column = this.def.watermarkColumn;
    if (column === undefined) return '';
    const value = settle.has(column) ? `CAST(${sqlIdent(column)} AS TIMESTAMPTZ)` : sqlIdent(column);
    return windowPredicate(value, window, (_, d) => `${sqlString(d.toISOString())}::TIMESTAMPTZ`);
  }

  describe(): string {
    if (this.read === undefined) return `files ${this.pattern()}`;
    const { files } = this.read;
    return files.length === 1 ? `file ${files[0]}` : `files ${files.slice(0, 3).join(', ')}${files.length > 3 ? `, … (${files.length} files)` : ''}`;
  }

  /**
   * Reads the files again with their names (only after a failure, so the extract itself stays one
   * plain read) into a scratch table, whose row ids keep the read order, file after file: a row's
   * number in its file is its row id minus the file's first. A CSV row's line adds the header
   * line, and assumes no quoted value spans lines.
   */
  async locate(target: string, predicate: string): Promise<string | undefined> {
    if (this.read === undefined) return undefined;
    const scratch = `${target}_locate`; // beside the staged source (in a run's own schema)
    const { files, format, filter, settle } = this.read;
    const duck = this.ctx.engine.duck;
    const read = readFilesSql(files, format, csvTypesOption(settle));
    const named = `${read.slice(0, -1)}, filename = '__tm_file')`; // one more option of the reader's call
    await duck.run(`DROP TABLE IF EXISTS ${scratch}; CREATE TABLE ${scratch} AS SELECT * FROM ${named}`);
    try {
      await settleCsvColumns(duck, scratch, settle, { table: this.describe(), input: this.describe() });
      const [hit] = await duck.rows(
        `SELECT __tm_file AS f, __tm_n AS n FROM (SELECT *, rowid AS __tm_at, rowid - min(rowid) OVER (PARTITION BY __tm_file) + 1 AS __tm_n FROM ${scratch})
         WHERE (${predicate})${filter === '' ? '' : ` AND ${filter}`} ORDER BY __tm_at LIMIT 1`,
      );
      if (hit === undefined) return undefined;
      const n = Number(hit.n);
      return `${String(hit.f)} row ${n}${format === 'csv' ? ` (line ${n + 1})` : ''}`;
    } finally {
      await duck.run(`DROP TABLE IF EXISTS ${scratch}`);
    }
  }
}

/**
 * The message of a failed read of source files. DuckDB names the file and line of a CSV value that
 * does not fit the column's sniffed type deep in its text; they lead the message here.
 */
function readFailure(files: ReadonlyArray<string>, message: string): { message: string; file: string } {
  const line = /CSV Error on Line: (\d+)/.exec(message)?.[1];
  const file = /^\s*file = (.+)$/m.exec(message)?.[1]?.trim();
  if (line !== undefined && file !== undefined) return { message: `cannot read source file ${file}, line ${line}: ${message}`, file };
  return { message: `cannot read source files ${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}: ${message}`, file: files[0]! };
}
