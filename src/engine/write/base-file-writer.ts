/**
 * Writing the new file slices of one commit with one partitioned `COPY` (not one per file group):
 * every target file group's rows (stored rows no record replaces, with their commit time and
 * seqno; updated records; inserts; deleted rows dropped) in one pipeline, partitioned by file group
 * into a scratch directory inside the commit's marker directory. (A commit of one or two files uses
 * a plain COPY per file instead, which compresses faster; one of hundreds of files, several COPYs.)
 * Each file is then given Hudi's footer keys (min/max record key, DYNAMIC_V0 bloom filter),
 * computed while DuckDB writes, by rewriting only its Parquet footer (`parquet-footer.ts`), and
 * renamed to its Hudi name. Meta columns come first; the codec is the table's (snappy by default).
 *
 * Rows inside a file are in no particular order (stored rows come first, but nothing depends on
 * it). `_hoodie_commit_seqno` of a written record is `<instant>_<task>_<n>`, unique within the
 * file: n is the stored row's position for an update (one incoming record may update several
 * stored copies of a key), the stored file's row count plus the input row number for an insert.
 */
import path from 'node:path';
import { TableFormatError } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlString } from '../../storage/duckdb/sql.ts';
import type { FileStore } from '../../storage/file-store.ts';
import { type FooterKeyValue, setParquetKeyValues } from '../../storage/parquet-footer.ts';
import { type Schema } from '../../table/schema.ts';
import type { CompressionCodec } from '../../table/table-config.ts';
import { type FileKeys, collectKeys, emptyKeys, footerEntries, keysOfFiles, readStoredFooter } from './footer-keys.ts';
import type { TargetGroup, WritePlan } from './write-plan.ts';
import { mapConcurrent } from '../../util/concurrency.ts';
import { pathInTable } from '../table-paths.ts';
import { rowsSql, storedColumns, storedRows } from './new-file-rows.ts';
import { WC } from './working-columns.ts';

/** What the file writer reports back for the commit's write stats. */
export interface WrittenFile {
  readonly group: TargetGroup;
  readonly fileName: string;
  /** Relative to the table base path. */
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

/** Everything the writer needs; `fileNames[i]` is the name of `plan.groups[i]`'s new file (task `i`). */
export interface BaseFilesArgs {
  readonly duck: DuckSession;
  readonly store: FileStore;
  readonly basePath: string;
  readonly table: string;
  readonly plan: WritePlan;
  readonly schema: Schema;
  /** The table's Parquet codec. */
  readonly codec: CompressionCodec;
  readonly instant: string;
  readonly fileNames: ReadonlyArray<string>;
  readonly prefix: string;
  /** An empty directory for the COPY's output, on the table's volume (files are renamed from it). */
  readonly scratch: string;
  /** Settles when the commit's markers exist: no file is renamed into place before. */
  readonly beforeRename: Promise<void>;
  /** Called once the writer has run its last DuckDB statement (its scratch tables may go). */
  readonly sqlDone?: () => void;
}

/**
 * COPY options of a base file in `codec` (the table's `hoodie.parquet.compression.codec`). zstd is
 * written at level -3: measured on the bench data, it writes ~8% slower than snappy (level 3, the
 * default, 40%) and its files scan as fast (level 1 or more slows scans by a third). Row groups of
 * 16k rows: DuckDB compresses a partitioned COPY's row groups in parallel as they fill, but one
 * smaller than ROW_GROUP_SIZE only at the end, one after the other; with a file group's 60-120k rows
 * in one row group, a 30-file commit wrote 1.5x slower (scans of the smaller row groups cost ~15% more).
 * No Parquet-native bloom filters (DuckDB writes one per dictionary-encoded column by default): Hudi's
 * key index is the DYNAMIC_V0 filter in the footer, parquet-mr (Spark's writer) writes none unless
 * asked, and building them took ~8% of a rewrite's CPU.
 */
function parquetOptions(codec: CompressionCodec): string {
  return `FORMAT parquet, COMPRESSION ${codec}${codec === 'zstd' ? ', COMPRESSION_LEVEL -3' : ''}, ROW_GROUP_SIZE 16384, WRITE_BLOOM_FILTER false`;
}
/**
 * How commits are cut into COPY statements. `separateCopiesUpTo`: up to this many files, each is
 * written by its own COPY (all at once): a lone file of a partitioned COPY is compressed on one
 * thread, a plain COPY's row groups on all. `groupsPerCopy`: at most this many files per
 * partitioned COPY, below DuckSession's `partitioned_write_max_open_files` (past which DuckDB would
 * start a second file for a partition). Mutable so tests can take every path with small tables.
 */
export const WRITER_LIMITS = { separateCopiesUpTo: 2, groupsPerCopy: 400 };
const FILES_AT_ONCE = 8;
const CONCURRENT_KEYS_BELOW = 100_000;
const SERIALIZE_EARLY_UP_TO = 64;

/** A file written in the scratch directory, from the COPY's statistics. */
interface Written {
  readonly file: string;
  readonly rows: number;
  readonly size: number;
  readonly footerLength?: number;
}

/** Writes every target file group's new base file and returns their stats, in `plan.groups` order. */
export async function writeBaseFiles(args: BaseFilesArgs): Promise<WrittenFile[]> {
  const { duck, store, basePath, plan, prefix } = args;
  const groups = plan.groups;
  if (groups.length === 0) return []; // an insert_overwrite_table of an empty batch replaces, writes nothing
  const rels = groups.map((g, i) => (g.partitionPath === '' ? args.fileNames[i]! : `${g.partitionPath}/${args.fileNames[i]!}`));
  const oldFiles = new Map(groups.filter((g) => g.previous !== undefined).map((g) => [g.index, path.join(basePath, g.previous!.path)]));
  // What the COPYs need to know of the stored files is read at once, off each other's path.
  const cut = copyJobs(args, oldFiles);
  for (const job of cut.jobs) job.columns.catch(() => {}); // awaited by copyFiles; no unhandled rejection meanwhile
  const stored = await storedRows(duck, args.plan.storedFooters, [...oldFiles.values()]);
  // Per file group: the stored file's row count, after which its inserts are numbered (seqno).
  const bases = new Map(groups.map((g) => [g.index, oldFiles.has(g.index) ? stored.get(oldFiles.get(g.index)!)! : 0]));
  // A COPY per file group writes its group's values as constants; one over many groups joins them.
  const groupTable = `${prefix}groups`;
  if (!cut.separate) {
    const values = groups.map((g, i) => {
      const old = oldFiles.get(g.index);
      return `(${g.index}, ${sqlString(g.partitionPath)}, ${sqlString(args.fileNames[i]!)}, ${i}, ${old === undefined ? 'NULL' : sqlString(old)}, ${bases.get(g.index)!})`;
    });
    await duck.run(`CREATE TABLE ${groupTable} AS SELECT * FROM (VALUES ${values.join(', ')}) g(fg, pp, file_name, task, path, base)`);
  }
  await store.mkdirs(args.scratch);

  // DuckDB first aggregates the new records' keys (a short parallel pass), then writes every file
  // while JavaScript hashes those keys (and resumes stored filters) on the main thread. With few new
  // records the aggregate is cheap and runs beside the COPY instead of before it.
  let ready: () => void = () => {};
  const keysReady = new Promise<void>((resolve) => (ready = resolve));
  const hashing = keysOfNewRecords(args, oldFiles, ready);
  hashing.catch(() => ready());
  const fewInserts = plan.inserted < CONCURRENT_KEYS_BELOW;
  const copying = (fewInserts ? Promise.resolve() : keysReady).then(() => copyFiles(args, groupTable, bases, cut));
  // Both must finish before anything is dropped or removed, even when one fails.
  const [copied, hashed] = await Promise.allSettled([copying, hashing]);
  if (copied.status === 'rejected') throw copied.reason;
  if (hashed.status === 'rejected') throw hashed.reason;
  const [written, entries] = [copied.value, hashed.value];

  // Files that lost keys (deletes) or whose stored filter cannot be extended: from the files.
  const rebuild = new Map(groups.filter((g) => !entries.has(g.index)).map((g) => [g.index, written.get(g.index)!.file]));
  const rebuilt = await keysOfFiles(duck, rebuild);
  for (const g of rebuild.keys()) entries.set(g, rebuilt.get(g) ?? emptyKeys());
  args.sqlDone?.();

  await args.beforeRename;
  return mapConcurrent(groups, FILES_AT_ONCE, async (g, i) => {
    const w = written.get(g.index)!;
    const e = entries.get(g.index)!;
    entries.delete(g.index); // a filter and its text are ~1.5 MB: let each go once written
    const bytes = await setParquetKeyValues(store, w.file, Array.isArray(e) ? e : footerEntries(e), w);
    await store.rename(w.file, pathInTable(basePath, rels[i]!, { data: true, table: args.table }));
    return { group: g, fileName: args.fileNames[i]!, path: rels[i]!, rows: w.rows, bytes };
  });
}

/**
 * The footer entries of every file whose keys are the new records' keys plus, for a rewritten file
 * that loses none, its stored keys (its filter resumed). Files missing from the result are rebuilt
 * from what was written. Calls `ready` once DuckDB's part is done.
 */
async function keysOfNewRecords(args: BaseFilesArgs, oldFiles: ReadonlyMap<number, string>, ready: () => void): Promise<Map<number, FileKeys | FooterKeyValue[]>> {
  const groups = args.plan.groups;
  // Stored footers are read while DuckDB plans, aggregates or writes; a file's new keys wait for its own.
  const footers = new Map(
    // Read while planning when the plan looked the files up; a footer that cannot be read only
    // means a rebuild (reading the file for the COPY reports it).
    groups
      .filter((g) => g.previous !== undefined && g.deletes === 0)
      .map((g) => {
        const file = oldFiles.get(g.index)!;
        return [g.index, args.plan.storedFooters.get(file) ?? readStoredFooter(args.store, file).catch(() => undefined)] as const;
      }),
  );
  // A stored filter is decoded when the file's first new key arrives (or when its footer is serialized).
  const resumer = async (g: number): Promise<(() => FileKeys) | undefined> => (await footers.get(g))?.keys();
  const start = async (g: number): Promise<FileKeys> => (await resumer(g))?.() ?? emptyKeys();
  const query = { from: args.plan.insertKeys, key: WC.rk, groupKey: WC.fg, sliceKey: WC.row };
  const keys = await collectKeys(args.duck, query, (g) => (footers.has(g) ? start(g) : emptyKeys()), ready);
  const out = new Map<number, FileKeys | FooterKeyValue[]>();
  // Footers are serialized (to the bytes written) now, while DuckDB may still be writing; with many
  // files, one at a time as each is patched (all at once would hold ~1 MB per file).
  const early = groups.length <= SERIALIZE_EARLY_UP_TO;
  for (const g of groups) {
    if (g.previous !== undefined && g.deletes > 0) continue; // lost keys: rebuilt from the file
    const k = keys.get(g.index) ?? (footers.has(g.index) ? await start(g.index) : emptyKeys());
    // A stored filter this writer cannot extend exactly: rebuilt from the file too.
    if (g.previous !== undefined && (await resumer(g.index)) === undefined) continue;
    out.set(g.index, early ? footerEntries(k) : k);
  }
  return out;
}

/**
 * One COPY statement: the file groups it writes (all of them, or one, or a chunk), the stored files
 * it rewrites and their columns (being read).
 */
interface CopyJob {
  readonly groups: ReadonlyArray<TargetGroup>;
  readonly old: ReadonlyArray<string>;
  readonly columns: Promise<Set<string>>;
}

/** The commit cut into COPYs: one plain COPY per file group (`separate`), or partitioned chunks. */
interface CopyCut {
  readonly separate: boolean;
  readonly jobs: ReadonlyArray<CopyJob>;
}

/** How the commit is cut into COPYs (see WRITER_LIMITS); starts reading each one's stored columns. */
function copyJobs(args: BaseFilesArgs, oldFiles: ReadonlyMap<number, string>): CopyCut {
  const all = args.plan.groups;
  const separate = all.length <= WRITER_LIMITS.separateCopiesUpTo;
  const cuts: Array<ReadonlyArray<TargetGroup>> = [];
  if (separate) for (const g of all) cuts.push([g]);
  else for (let at = 0; at < all.length; at += WRITER_LIMITS.groupsPerCopy) cuts.push(all.slice(at, at + WRITER_LIMITS.groupsPerCopy));
  const jobs = cuts.map((groups) => {
    const old = groups.flatMap((g) => (oldFiles.has(g.index) ? [oldFiles.get(g.index)!] : []));
    return { groups, old, columns: storedColumns(args, old) };
  });
  return { separate, jobs };
}

/** Writes the files into the scratch directory; returns them by file group. */
async function copyFiles(args: BaseFilesArgs, groupTable: string, bases: ReadonlyMap<number, number>, { separate, jobs }: CopyCut): Promise<Map<number, Written>> {
  const { duck, plan } = args;
  const written = new Map<number, Written>();
  const stat = (s: Record<string, unknown>): Written => ({ file: String(s.filename), rows: Number(s.count), size: Number(s.file_size_bytes), footerLength: Number(s.footer_size_bytes) });
  if (separate) {
    await Promise.all(
      jobs.map(async ({ groups: [g], old, columns }) => {
        const select = rowsSql(args, groupTable, bases, [g!], old, await columns);
        const file = path.join(args.scratch, `f${g!.index}.parquet`);
        const [s] = await duck.rows(`COPY (SELECT * EXCLUDE (${WC.fg}) FROM (${select})) TO ${sqlString(file)} (${parquetOptions(args.codec)}, RETURN_STATS true)`);
        written.set(g!.index, stat(s!));
      }),
    );
    return written;
  }
  for (const [chunk, { groups, old, columns }] of jobs.entries()) {
    const select = rowsSql(args, groupTable, bases, groups.length === plan.groups.length ? undefined : groups, old, await columns);
    const dir = path.join(args.scratch, `c${chunk}`);
    for (const s of await duck.rows(`COPY (${select}) TO ${sqlString(dir)} (${parquetOptions(args.codec)}, PARTITION_BY (${WC.fg}), RETURN_STATS true, FILENAME_PATTERN 'f')`)) {
      const m = new RegExp(String.raw`${WC.fg}=(\d+)[\\/][^\\/]+$`).exec(String(s.filename));
      if (m === null || written.has(Number(m[1]))) throw new TableFormatError(`unexpected file ${String(s.filename)} from writing table ${args.table}`, { table: args.table });
      written.set(Number(m[1]), stat(s));
    }
    // A file group left with no rows (all deleted) still gets a file: an empty slice.
    for (const g of groups) {
      if (written.has(g.index)) continue;
      const file = path.join(args.scratch, `empty_${g.index}.parquet`);
      const [s] = await duck.rows(`COPY (SELECT * EXCLUDE (${WC.fg}) FROM (${select}) WHERE false) TO ${sqlString(file)} (${parquetOptions(args.codec)}, RETURN_STATS true)`);
      written.set(g.index, stat(s!));
    }
  }
  return written;
}
