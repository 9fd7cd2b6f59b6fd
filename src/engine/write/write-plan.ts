/**
 * Planning a write inside DuckDB: which stored copy each incoming record meets, what happens to it
 * (insert, update, delete, skipped as older), and which file group each change lands in. Locating
 * reads only the record key, ordering and row position of the touched partitions' latest files.
 * Inserts (and bulk_insert) never look up and never copy the batch: they stream from its view.
 */
import { randomUUID } from 'node:crypto';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlIdent } from '../../storage/duckdb/sql.ts';
import { type BaseFile, newFileId } from '../../table/base-file.ts';
import { assignInserts, averageRecordSize } from '../../table/insert-buckets.ts';
import { assignInsertRows } from './insert-assignment.ts';
import type { TableConfig } from '../../table/table-config.ts';
import type { Schema } from '../../table/schema.ts';
import type { BatchProfile } from './conform.ts';
import { type TableState, visibleSlices } from '../load/table-state.ts';
import path from 'node:path';
import { emptyRecord } from '../../util/record.ts';
import type { FileStore } from '../../storage/file-store.ts';
import { type StoredFooter, readStoredFooter } from './footer-keys.ts';

export { WRITE_OPERATIONS, type WriteOperation } from './operations.ts';
import type { WriteOperation } from './operations.ts';
import { WC } from './working-columns.ts';
import { classify, markUnchanged } from './classify.ts';

/** One file group the write produces a new slice of. */
export interface TargetGroup {
  /** Index used for the group in the plan's SQL tables (`__tm_fg`). */
  readonly index: number;
  readonly partitionPath: string;
  readonly fileId: string;
  /** The slice being rewritten; undefined for a new file group. */
  readonly previous: BaseFile | undefined;
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
}

/** What a write does to records, by kind (each a count of records). */
export interface RecordCounts {
  /** Records with a new key, inserted. */
  readonly inserted: number;
  /** Stored records replaced by the incoming version. */
  readonly updated: number;
  /** Stored records deleted. */
  readonly deleted: number;
  /** Incoming records older (by ordering value) than the stored version, which wins. */
  readonly skippedAsOlder: number;
  /** Deletes of keys the table does not hold. */
  readonly notFound: number;
  /** Updates dropped because the stored version is identical (with `dropUnchanged`). */
  readonly unchanged: number;
}

/**
 * The outcome of planning. `changes` (a table, for upserts and deletes) holds every incoming record
 * with its stored position; `inserts` is a relation (SQL) of the inserted records with their target
 * file group in `__tm_fg`. The file writer reads both.
 */
export interface WritePlan extends RecordCounts {
  readonly groups: ReadonlyArray<TargetGroup>;
  /** File groups an overwrite replaces, by partition (empty for other operations). */
  readonly replaced: Readonly<Record<string, ReadonlyArray<string>>>;
  /**
   * Table of the classified records (`__tm_row`, `__tm_rk`, `__tm_kind`, `__tm_fg`, `__tm_pos`; their
   * columns are in `batch` by `__tm_row`); undefined without a lookup.
   */
  readonly changes: string | undefined;
  /** The (precombined) batch the plan's records come from. */
  readonly batch: string;
  /**
   * Relation of the inserted records: the batch's columns plus `__tm_fg` (what the writer reads
   * when there is no `changes`; with it, the writer joins `insertKeys` and the updates to the batch).
   */
  readonly inserts: string;
  /** The same records' `__tm_row`, `__tm_rk`, `__tm_pp` and `__tm_fg` only. */
  readonly insertKeys: string;
  /**
   * Table of the stored copies of the batch's keys in the partitions the batch touches (`rk`: the
   * record key, or the integer key column; `pp`: the partition path); undefined when nothing was
   * looked up.
   */
  readonly storedMatches: string | undefined;
  /** The partitions whose stored keys were looked up (`storedMatches` covers them). */
  readonly lookedUp: ReadonlySet<string>;
  /**
   * The footers (rows, columns, stored keys: bloom filter and min/max) of the files a lookup read,
   * by absolute path, being read while DuckDB classified (see `readStoredFooter`; undefined: not
   * readable, so the writer asks DuckDB and rebuilds the keys).
   */
  readonly storedFooters: ReadonlyMap<string, Promise<StoredFooter | undefined>>;
}

interface PlanArgs {
  readonly duck: DuckSession;
  /** Where the stored files' footers are read. */
  readonly store: FileStore;
  readonly state: TableState | undefined;
  readonly config: TableConfig;
  readonly operation: WriteOperation;
  /** The conformed batch (see `conformBatch`) and what its one pass found. */
  readonly batch: string;
  readonly profile: BatchProfile;
  /** Prefix for the plan's table names. */
  readonly prefix: string;
  /** Drops updates whose ordering value and every column equal the stored version. */
  readonly dropUnchanged?: boolean;
  /** The data columns (for `dropUnchanged`). */
  readonly columns?: ReadonlyArray<string>;
  /** The table's schema as this write resolves it (to find an integer record key). */
  readonly schema?: Schema;
}

/** Up to this many candidate files, an upsert reads their footers while it classifies. */
const PREFETCHED_FOOTERS = 64;

type Group = { index: number; partitionPath: string; fileId: string; previous: BaseFile | undefined };
type Counts = { insert: number; update: number; delete: number; older: number; absent: number };

/** Deduplicates the batch, locates stored keys, classifies and assigns every change. */
export async function planWrite(args: PlanArgs): Promise<WritePlan> {
  const { duck, config, operation, prefix, profile } = args;
  const ord = config.precombineField === undefined ? undefined : sqlIdent(config.precombineField);
  // Within a batch the largest ordering value wins; on ties (or with no ordering field) the later
  // record. The conform pass counted distinct keys per partition: without duplicates there is
  // nothing to precombine, and the batch is not copied.
  let source = args.batch;
  if (profile.mayHaveDuplicates) {
    const order = operation === 'delete' || ord === undefined ? `${WC.row} DESC` : `${ord} DESC, ${WC.row} DESC`;
    source = `${prefix}dedup`;
    await duck.run(`CREATE TABLE ${source} AS SELECT * FROM ${args.batch} QUALIFY row_number() OVER (PARTITION BY ${WC.pp}, ${WC.rk} ORDER BY ${order}) = 1`);
  }

  const slices = args.state === undefined ? [] : visibleSlices(args.state);
  const groupsByKey = new Map<string, Group>();
  const groupList: Group[] = [];
  const addGroup = (partitionPath: string, fileId: string, previous: BaseFile | undefined): number => {
    const key = `${partitionPath}\u0000${fileId}`;
    const seen = groupsByKey.get(key);
    if (seen !== undefined) return seen.index;
    const g = { index: groupList.length, partitionPath, fileId, previous };
    groupsByKey.set(key, g);
    groupList.push(g);
    return g.index;
  };

  const totals: Counts = { insert: 0, update: 0, delete: 0, older: 0, absent: 0 };
  const perGroup = new Map<number, { updates: number; deletes: number }>();
  const insertsPerPartition = new Map<string, number>();
  let changes: string | undefined;
  let insertRows: string;
  let insertKeyRows: string;
  let unchanged = 0;
  let storedMatches: string | undefined;
  let lookedUp: ReadonlySet<string> = new Set();
  const storedFooters = new Map<string, Promise<StoredFooter | undefined>>();
  if (operation === 'upsert' || operation === 'delete') {
    const touched = new Set(profile.partitions.map((p) => p.partitionPath));
    const candidates = slices.filter((s) => touched.has(s.partitionPath));
    for (const s of candidates) addGroup(s.partitionPath, s.fileId, s.baseFile);
    const files = candidates.map((s) => path.join(args.state!.basePath, s.baseFile.path)); // index = `__tm_fg`
    // JavaScript is idle while DuckDB classifies: the candidates' footers (their bloom filters, which
    // an upsert's rewrite extends; ~1 MB each, so for a bounded number of files) are read meanwhile.
    // A footer that cannot be read only means a rebuild (reading the file for the rewrite reports it).
    if (operation === 'upsert' && files.length <= PREFETCHED_FOOTERS) {
      for (const file of files) storedFooters.set(file, readStoredFooter(args.store, file).catch(() => undefined));
    }
    changes = `${prefix}changes`;
    storedMatches = await classify(duck, args, source, changes, candidates, files, ord);
    lookedUp = touched;
    // The ordering value is compared like every other column (it is one, unless the caller left it out).
    const compared = [...new Set([...(args.columns ?? []), ...(config.precombineField === undefined ? [] : [config.precombineField])])];
    unchanged = args.dropUnchanged && candidates.length > 0 ? await markUnchanged(duck, changes, source, prefix, files, compared) : 0;
    const counts = await duck.rows(`SELECT ${WC.kind} AS kind, ${WC.fg} AS fg, ${WC.pp} AS pp, count(*) AS n FROM ${changes} GROUP BY ALL`);
    for (const r of counts) {
      const n = Number(r.n);
      const k = String(r.kind) as keyof Counts | 'ignored' | 'unchanged';
      if (k === 'ignored' || k === 'unchanged') continue;
      totals[k] += n;
      if (k === 'insert') insertsPerPartition.set(String(r.pp), (insertsPerPartition.get(String(r.pp)) ?? 0) + n);
      if (k === 'update' || k === 'delete') {
        const g = perGroup.get(Number(r.fg)) ?? { updates: 0, deletes: 0 };
        if (k === 'update') g.updates += n;
        else g.deletes += n;
        perGroup.set(Number(r.fg), g);
      }
    }
    insertRows = `SELECT * FROM ${source} WHERE ${WC.row} IN (SELECT ${WC.row} FROM ${changes} WHERE ${WC.kind} = 'insert')`;
    // The classified records hold their keys: the bloom filters need not read the batch again.
    insertKeyRows = `SELECT ${WC.row}, ${WC.rk}, ${WC.pp} FROM ${changes} WHERE ${WC.kind} = 'insert'`;
  } else {
    // Inserts do not look stored keys up: every record not marked as a delete is an insert.
    const perPartition =
      source === args.batch
        ? profile.partitions.map((p) => ({ pp: p.partitionPath, n: p.rows - p.deletes }))
        : (await duck.rows(`SELECT ${WC.pp} AS pp, count(*) FILTER (WHERE NOT ${WC.del}) AS n FROM ${source} GROUP BY ALL`)).map((r) => ({ pp: String(r.pp), n: Number(r.n) }));
    for (const { pp, n } of perPartition) {
      if (n === 0) continue;
      totals.insert += n;
      insertsPerPartition.set(pp, (insertsPerPartition.get(pp) ?? 0) + n);
    }
    insertRows = `SELECT * FROM ${source} WHERE NOT ${WC.del}`;
    insertKeyRows = `SELECT ${WC.row}, ${WC.rk}, ${WC.pp} FROM ${source} WHERE NOT ${WC.del}`;
  }

  // Inserts: small file groups of the partition first (not for bulk_insert), then new file groups.
  const avgRecordSize = args.state === undefined ? averageRecordSize([], config.smallFileLimit) : averageRecordSize(commitTotals(args.state), config.smallFileLimit);
  const fresh = operation === 'bulk_insert' || operation === 'insert_overwrite_table';
  const rules = { smallFileLimit: fresh ? 0 : config.smallFileLimit, maxFileSize: config.maxFileSize, avgRecordSize };
  const partitions = [...insertsPerPartition].sort(([a], [b]) => (a < b ? -1 : 1)).map(([pp, n]) => ({ pp, n }));
  const sizedOf = (pp: string): Array<{ fileId: string; size: number }> =>
    slices.filter((s) => s.partitionPath === pp).map((s) => ({ fileId: s.fileId, size: s.baseFile.size ?? 0 }));
  const {
    relation: inserts,
    keys: insertKeys,
    perGroup: insertsPerGroup,
  } = await assignInsertRows(
    duck,
    prefix,
    insertRows,
    insertKeyRows,
    partitions,
    (pp, n) => assignInserts(n, sizedOf(pp), rules),
    (pp, bucket) => {
      const prev = bucket.fileId === undefined ? undefined : slices.find((s) => s.partitionPath === pp && s.fileId === bucket.fileId)?.baseFile;
      return addGroup(pp, bucket.fileId ?? newFileId(randomUUID()), prev);
    },
    Math.max(1, Math.floor(config.maxFileSize / Math.max(1, avgRecordSize))),
  );

  const groups: TargetGroup[] = groupList
    .map((g) => ({
      ...g,
      inserts: insertsPerGroup.get(g.index) ?? 0,
      updates: perGroup.get(g.index)?.updates ?? 0,
      deletes: perGroup.get(g.index)?.deletes ?? 0,
    }))
    .filter((g) => g.inserts + g.updates + g.deletes > 0);
  return {
    groups,
    inserted: totals.insert,
    updated: totals.update,
    deleted: totals.delete,
    skippedAsOlder: totals.older,
    notFound: totals.absent,
    unchanged,
    replaced: operation === 'insert_overwrite_table' ? replacedGroups(slices) : {},
    changes,
    batch: source,
    inserts,
    insertKeys,
    storedMatches,
    lookedUp,
    storedFooters,
  };
}

/** Every live file group, by partition: what an overwrite of the whole table replaces. */
function replacedGroups(slices: ReadonlyArray<{ partitionPath: string; fileId: string }>): Record<string, string[]> {
  const out: Record<string, string[]> = emptyRecord();
  for (const s of slices) (out[s.partitionPath] ??= []).push(s.fileId);
  return out;
}

/** Bytes and records written by each completed write, newest first. */
function commitTotals(state: TableState): Array<{ totalWriteBytes: number; totalRecords: number }> {
  return state.timeline
    .completedWrites()
    .map((i) => state.commits.get(i.time))
    .filter((m) => m !== undefined)
    .reverse()
    .map((m) => {
      let totalWriteBytes = 0;
      let totalRecords = 0;
      for (const stats of Object.values(m.partitionToWriteStats)) {
        for (const s of stats) {
          totalWriteBytes += s.totalWriteBytes;
          totalRecords += s.numWrites;
        }
      }
      return { totalWriteBytes, totalRecords };
    });
}
