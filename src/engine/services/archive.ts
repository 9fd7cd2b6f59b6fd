/**
 * Timeline archiving, as Hudi 0.14/0.15 does it for table version 6 (HoodieTimelineArchiver):
 * once the active timeline holds more than `maxCommits` completed writes, the oldest ones move to
 * the archived timeline until `minCommits` stay, so `.hoodie/` (listed by every reader) stays small.
 *
 *   1. choose: the oldest completed writes, stopping before the earliest pending instant (and
 *      keeping the last completed write before it, so the pending instant's files never look
 *      older than the active timeline), before the first savepoint, before the cleaner's earliest
 *      retained commit, and — on a table never cleaned — before the first replacecommit (its
 *      replaced files are still on disk). Completed cleans and rollbacks older than the newest
 *      archived write go too, except the latest clean (its metadata says what was cleaned).
 *      Savepoints and restores stay active (a restore has no HoodieArchivedMetaEntry field).
 *   2. append one Avro data block of HoodieArchivedMetaEntry records, one per instant file
 *      (requested, inflight, completed), to `.hoodie/archived/.commits_.archive.<n>_1-0-1`: the
 *      file is rewritten whole through a temporary file, fsync and rename, so it is never torn;
 *      past `rolloverBytes` a new version `<n+1>` is started.
 *   3. only then delete the archived instants' files from `.hoodie/`: requested and inflight files
 *      first, then the completed ones oldest first, so a concurrent reader never sees an archived
 *      instant as pending nor a hole in the middle of the timeline.
 *
 * A crash between 2 and 3 leaves instants both archived and active. Readers take the active copy
 * (`readArchivedTimeline` callers should let active instants win), and the next run does not append
 * them twice: entries already in the archive are only deleted from `.hoodie/`.
 * Callers hold the table's writer lock.
 */
import { InvalidArgumentError } from '../../errors.ts';
import { formatInstantTime } from '../../time/clock.ts';
import { DateTime } from 'luxon';
import { ARCHIVED_META_ENTRY_SCHEMA_JSON, type ArchivedMetaEntry, toArchivedEntry } from '../../timeline/archived-entry.ts';
import { type Instant, compareInstants, parseInstantFileName } from '../../timeline/instant.ts';
import { encodeLogBlocks } from '../../timeline/log-format.ts';
import { earliestReadableInstant } from './clean.ts';
import { archiveFiles, readAll, readArchivedTimeline } from '../load/archived-timeline.ts';
import type { TableState } from '../load/table-state.ts';
import { archiveDir, archiveFilePath, archiveFolder, markerDir, metaDir, metaFilePath } from '../layout.ts';
import type { EngineContext } from '../context.ts';

/** Hudi's `hoodie.keep.min.commits` default. */
export const DEFAULT_MIN_COMMITS = 20;
/** Hudi's `hoodie.keep.max.commits` default. */
export const DEFAULT_MAX_COMMITS = 30;
/** Start a new archive file once the latest one is this large (Hudi rolls log files at 512 MiB; ours are rewritten whole). */
export const DEFAULT_ROLLOVER_BYTES = 8 * 1024 * 1024;

/** Options of `archiveTimeline`. */
export interface ArchiveOptions {
  readonly minCommits?: number;
  readonly maxCommits?: number;
  readonly rolloverBytes?: number;
}

/** What an archiving run did. */
export interface ArchiveResult {
  /** Times of the instants moved off the active timeline (writes, cleans, rollbacks), oldest first. */
  readonly archived: string[];
  /** The archive file appended to; undefined when nothing was appended. */
  readonly file: string | undefined;
}

function checkOptions(options: ArchiveOptions): { min: number; max: number; rollover: number } {
  const min = options.minCommits ?? DEFAULT_MIN_COMMITS;
  const max = options.maxCommits ?? DEFAULT_MAX_COMMITS;
  const rollover = options.rolloverBytes ?? DEFAULT_ROLLOVER_BYTES;
  if (!Number.isInteger(min) || min < 1) throw new InvalidArgumentError(`minCommits must be a whole number ≥ 1, not ${min}`, { value: min });
  // Hudi refuses max ≤ min (HoodieArchivalConfig), which would archive on every commit.
  if (!Number.isInteger(max) || max <= min) throw new InvalidArgumentError(`maxCommits (${max}) must be a whole number greater than minCommits (${min})`, { value: max });
  if (!Number.isInteger(rollover) || rollover < 1) throw new InvalidArgumentError(`rolloverBytes must be a whole number ≥ 1, not ${rollover}`, { value: rollover });
  return { min, max, rollover };
}

/** The completed writes that may be archived now, oldest first (Hudi's getCommitInstantsToArchive). */
async function writesToArchive(ctx: Pick<EngineContext, 'store'>, state: TableState, min: number, max: number): Promise<Instant[]> {
  // Only the active timeline is archived from; `state.timeline` also holds what is archived already.
  const timeline = state.activeTimeline;
  const writes = timeline.completedWrites();
  if (writes.length <= max) return [];
  const bounds: string[] = [];
  const pending = timeline.pending()[0];
  if (pending !== undefined) {
    // Keep the last completed write before the pending instant active: were the timeline to start
    // after it, the pending instant's files would count as committed (older than the timeline).
    bounds.push(writes.filter((w) => w.time < pending.time).at(-1)?.time ?? pending.time);
  }
  const firstSavepoint = timeline.completed('savepoint')[0];
  if (firstSavepoint !== undefined) bounds.push(firstSavepoint.time);
  const earliestRetained = await earliestReadableInstant(ctx, state);
  if (earliestRetained !== undefined) bounds.push(earliestRetained);
  // Hudi's getOldestInstantToRetainForClustering: without a clean, a replacecommit's replaced file
  // groups are still on disk and only its metadata hides them from readers.
  const firstReplace = timeline.instants.find((i) => i.action === 'replacecommit');
  if (firstReplace !== undefined && timeline.completed('clean').length === 0) bounds.push(firstReplace.time);
  const bound = bounds.reduce<string | undefined>((lo, b) => (lo === undefined || b < lo ? b : lo), undefined);
  return writes.filter((w) => bound === undefined || w.time < bound).slice(0, writes.length - min);
}

/**
 * Archives the oldest completed instants of a table when it has more than `maxCommits` completed
 * writes (default 30), keeping `minCommits` (default 20) active; see the module comment for the
 * rules and the crash behaviour. Returns what was archived; the table state passed in is stale
 * afterwards.
 */
export async function archiveTimeline(ctx: Pick<EngineContext, 'store'>, state: TableState, options: ArchiveOptions = {}): Promise<ArchiveResult> {
  const { min, max, rollover } = checkOptions(options);
  const writes = await writesToArchive(ctx, state, min, max);
  if (writes.length === 0) return { archived: [], file: undefined };
  const newest = writes.at(-1)!.time;
  const latestClean = state.activeTimeline.completed('clean').at(-1)?.time;
  const others = state.activeTimeline.instants.filter(
    (i) => i.state === 'COMPLETED' && (i.action === 'clean' || i.action === 'rollback') && i.time < newest && i.time !== latestClean,
  );
  const chosen = new Set([...writes, ...others].map((i) => `${i.time}.${i.action}`));

  // Every file of the chosen instants, in every state it has on disk.
  const meta = metaDir(state.basePath);
  const files: Array<{ instant: Instant; path: string; modifiedMs: number }> = [];
  for (const entry of await ctx.store.list(meta)) {
    const instant = entry.isDirectory ? undefined : parseInstantFileName(entry.name);
    if (instant !== undefined && chosen.has(`${instant.time}.${instant.action}`)) files.push({ instant, path: metaFilePath(state.basePath, entry.name), modifiedMs: entry.modifiedMs });
  }
  files.sort((a, b) => compareInstants(a.instant, b.instant));

  const folder = archiveFolder(state.config);
  const dir = archiveDir(state.basePath, folder);
  const already = new Set((await readArchivedTimeline(ctx.store, state.basePath, folder)).map((a) => `${a.time}.${a.action}.${a.state}`));
  const records: ArchivedMetaEntry[] = [];
  for (const f of files) {
    if (already.has(`${f.instant.time}.${f.instant.action}.${f.instant.state}`)) continue; // a crashed run archived it
    const transition = formatInstantTime(DateTime.fromMillis(f.modifiedMs, { zone: 'utc' }));
    records.push(toArchivedEntry(f.instant, await readAll(ctx.store, f.path), f.path, transition));
  }

  let written: string | undefined;
  if (records.length > 0) {
    const block = encodeLogBlocks([{ type: 'avro_data', header: new Map([['SCHEMA', ARCHIVED_META_ENTRY_SCHEMA_JSON]]), footer: new Map(), schema: ARCHIVED_META_ENTRY_SCHEMA_JSON, records }]);
    const latest = (await archiveFiles(ctx.store, dir)).at(-1);
    if (latest !== undefined && latest.size < rollover) {
      const existing = await readAll(ctx.store, latest.path);
      const both = new Uint8Array(existing.length + block.length);
      both.set(existing);
      both.set(block, existing.length);
      written = latest.path;
      await ctx.store.writeAtomic(written, both);
    } else {
      written = archiveFilePath(dir, (latest?.version ?? 0) + 1);
      await ctx.store.writeAtomic(written, block);
    }
  }

  // Now that the archive is durable: pending-state files first, then completed ones oldest first.
  for (const f of files) if (f.instant.state !== 'COMPLETED') await ctx.store.remove(f.path);
  for (const f of files) if (f.instant.state === 'COMPLETED') await ctx.store.remove(f.path);
  for (const w of writes) await ctx.store.remove(markerDir(state.basePath, w.time)); // leftover markers, as Hudi's archiver deletes them
  const archived = [...new Set(files.map((f) => f.instant.time))].sort();
  return { archived, file: written };
}
