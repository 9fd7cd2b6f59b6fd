/**
 * The cleaner, Hudi's KEEP_LATEST_COMMITS policy (Hudi's CleanPlanner; format notes §11, shared/reference/hudi-format.md, outside this repository): keep what a reader needs at any
 * of the last N completed commits. With C completed writes and C > N, the earliest commit to retain
 * is the N-th newest; per file group the latest slice and the newest slice older than that commit
 * stay, older slices go; file groups replaced before it go entirely. Slices a savepoint can see
 * are never deleted.
 *
 *   C.clean.requested (Avro HoodieCleanerPlan) → C.clean.inflight → files deleted → C.clean
 *   (Avro HoodieCleanMetadata, written atomically), walked by `PendingInstant`. A crash is finished
 *   from the plan.
 */
import path from 'node:path';
import { InvalidArgumentError, InvalidInstantError } from '../../errors.ts';
import { normalizeInstant } from '../../time/normalize-instant.ts';
import { nextInstantTime } from '../../time/clock.ts';
import type { BaseFile } from '../../table/base-file.ts';
import { fileGroupKey, fileSlicesAsOf } from '../../table/file-slice.ts';
import { type CleanerPlan, type CleanPartitionMetadata, decodeCleanerPlan, decodeCleanMetadata, encodeCleanerPlan, encodeCleanMetadata } from '../../timeline/avro-instants.ts';
import type { Instant } from '../../timeline/instant.ts';
import type { TableState } from '../load/table-state.ts';
import { instantPath } from '../layout.ts';
import { PendingInstant } from '../commit/pending-instant.ts';
import type { EngineContext } from '../context.ts';
import { emptyRecord } from '../../util/record.ts';
import { pathInTable } from '../table-paths.ts';

/** What a clean did; `cleanInstant` is undefined when there was nothing to clean. */
export interface CleanResult {
  readonly cleanInstant: string | undefined;
  readonly earliestCommitToRetain: string | undefined;
  readonly filesDeleted: ReadonlyArray<string>;
}

/** Files the cleaner may delete now, by partition (absolute paths), and the earliest retained commit. */
export function planClean(state: TableState, retain: number, savepoints: ReadonlyArray<string>): { earliest: string | undefined; files: Map<string, BaseFile[]> } {
  if (!Number.isInteger(retain) || retain < 1) throw new InvalidArgumentError(`commits to retain must be a whole number ≥ 1, not ${retain}`, { value: retain });
  const writes = state.timeline.completedWrites();
  if (writes.length <= retain) return { earliest: undefined, files: new Map() };
  const earliest = writes[writes.length - retain]!.time;
  const completed = new Set(writes.map((w) => w.time));
  const protectedFiles = new Set<string>();
  for (const sp of savepoints) {
    for (const s of fileSlicesAsOf(state.files, { completed, replacements: state.replacements, asOf: sp })) protectedFiles.add(s.baseFile.path);
  }
  const replacedBefore = new Set<string>();
  for (const r of state.replacements) {
    if (r.instant >= earliest) continue;
    for (const [p, ids] of Object.entries(r.partitionToReplaceFileIds)) for (const id of ids) replacedBefore.add(fileGroupKey(p, id));
  }
  const groups = new Map<string, BaseFile[]>();
  for (const f of state.files) {
    if (!completed.has(f.instant)) continue;
    const key = fileGroupKey(f.partitionPath, f.fileId);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const files = new Map<string, BaseFile[]>();
  for (const [key, slices] of groups) {
    const sorted = [...new Map(slices.map((s) => [s.path, s])).values()].sort((a, b) => (a.instant < b.instant ? 1 : -1));
    const replaced = replacedBefore.has(key);
    let keptOlder = false;
    sorted.forEach((slice, i) => {
      let keep: boolean;
      if (replaced) keep = false;
      else if (slice.instant >= earliest) keep = true;
      else if (i === 0 || !keptOlder) keep = keptOlder = true; // the slice a read as of the earliest retained commit sees
      else keep = false;
      if (!keep && !protectedFiles.has(slice.path)) files.set(slice.partitionPath, [...(files.get(slice.partitionPath) ?? []), slice]);
    });
  }
  return { earliest, files };
}

/** Cleans a table; callers hold its writer lock. */
export async function cleanTable(ctx: EngineContext, state: TableState, retain = state.config.commitsRetained): Promise<CleanResult> {
  const savepoints = state.timeline.completed('savepoint').map((i) => i.time);
  const { earliest, files } = planClean(state, retain, savepoints);
  // Only files still on disk: an earlier clean removed the rest.
  const present = new Map<string, BaseFile[]>();
  for (const [p, list] of files) {
    const kept: BaseFile[] = [];
    for (const f of list) if (await ctx.store.exists(pathInTable(state.basePath, f.path, { data: true, table: state.config.name }))) kept.push(f);
    if (kept.length > 0) present.set(p, kept);
  }
  if (earliest === undefined || present.size === 0) return { cleanInstant: undefined, earliestCommitToRetain: earliest, filesDeleted: [] };
  const c = nextInstantTime(ctx.clock.now(), state.timeline.lastInstantTime());
  const plan: CleanerPlan = {
    earliestInstantToRetain: { timestamp: earliest, action: 'commit', state: 'COMPLETED' },
    lastCompletedCommitTimestamp: state.timeline.latestCompletedWrite()!.time,
    policy: 'KEEP_LATEST_COMMITS',
    filesToBeDeletedPerPartition: null,
    version: 2,
    filePathsToBeDeletedPerPartition: Object.fromEntries(
      [...present].map(([p, list]) => [p, list.map((f) => ({ filePath: path.join(state.basePath, f.path), isBootstrapBaseFile: false }))]),
    ),
    partitionsToBeDeleted: [],
    extraMetadata: null,
  };
  const pending = new PendingInstant(ctx.store, state.basePath, c, 'clean');
  const bytes = encodeCleanerPlan(plan);
  await pending.request(bytes);
  await pending.inflight(bytes);
  return executeClean(ctx, state, pending, plan, performance.now());
}

/** Finishes a clean a crash interrupted, from its plan. */
export async function finishClean(ctx: EngineContext, state: TableState, instant: Instant): Promise<CleanResult> {
  const pending = new PendingInstant(ctx.store, state.basePath, instant.time, 'clean');
  const bytes = await pending.planOrDrop();
  if (bytes === undefined) return { cleanInstant: undefined, earliestCommitToRetain: undefined, filesDeleted: [] };
  return executeClean(ctx, state, pending, decodeCleanerPlan(bytes, pending.file('REQUESTED')), performance.now());
}

async function executeClean(ctx: EngineContext, state: TableState, pending: PendingInstant<'clean'>, plan: CleanerPlan, started: number): Promise<CleanResult> {
  const c = pending.instant;
  const partitionMetadata: Record<string, CleanPartitionMetadata> = emptyRecord();
  const deleted: string[] = [];
  // Every file is checked before anything goes: a plan naming a path outside the table is refused.
  const planFile = pending.file('REQUESTED');
  const inTable = new Map<string, string>();
  for (const infos of Object.values(plan.filePathsToBeDeletedPerPartition ?? {})) {
    for (const { filePath } of infos) if (filePath !== null) inTable.set(filePath, pathInTable(state.basePath, filePath, { data: true, table: state.config.name, file: planFile }));
  }
  for (const [p, infos] of Object.entries(plan.filePathsToBeDeletedPerPartition ?? {})) {
    const names: string[] = [];
    for (const info of infos) {
      if (info.filePath === null) continue;
      await ctx.store.remove(inTable.get(info.filePath)!);
      deleted.push(info.filePath);
      names.push(path.basename(info.filePath));
    }
    partitionMetadata[p] = { partitionPath: p, policy: plan.policy, deletePathPatterns: names, successDeleteFiles: names, failedDeleteFiles: [], isPartitionDeleted: false };
  }
  const earliest = plan.earliestInstantToRetain?.timestamp ?? '';
  await pending.publish(
    encodeCleanMetadata({
      startCleanTime: c,
      timeTakenInMillis: Math.round(performance.now() - started),
      totalFilesDeleted: deleted.length,
      earliestCommitToRetain: earliest,
      lastCompletedCommitTimestamp: plan.lastCompletedCommitTimestamp,
      partitionMetadata,
      version: 2,
      bootstrapPartitionMetadata: {},
      extraMetadata: null,
    }),
  );
  return { cleanInstant: c, earliestCommitToRetain: earliest, filesDeleted: deleted };
}

/**
 * The earliest commit a reader can still read as of: the `earliestCommitToRetain` of the latest
 * completed clean; undefined when the table was never cleaned.
 */
export async function earliestReadableInstant(ctx: Pick<EngineContext, 'store'>, state: TableState): Promise<string | undefined> {
  const cleans = state.timeline.completed('clean');
  const last = cleans[cleans.length - 1];
  if (last === undefined) return undefined;
  const file = instantPath(state.basePath, last);
  const size = (await ctx.store.stat(file))?.size ?? 0;
  return decodeCleanMetadata(await ctx.store.readBytes(file, 0, size), file).earliestCommitToRetain || undefined;
}

/**
 * Refuses a read as of an instant the cleaner has removed files of (unless it is savepointed, whose
 * files the cleaner keeps): such a read would miss data or fail on a missing file.
 */
export async function assertNotCleaned(ctx: Pick<EngineContext, 'store'>, state: TableState, options: { readonly asOf?: string; readonly until?: string }): Promise<void> {
  const requested = options.asOf ?? options.until;
  if (requested === undefined || state.timeline.completed('clean').length === 0) return;
  const at = normalizeInstant(requested, options.asOf !== undefined ? 'as-of instant' : 'until instant');
  const earliest = await earliestReadableInstant(ctx, state);
  if (earliest === undefined || at >= earliest) return;
  const savepointed = state.timeline.completed('savepoint').map((i) => i.time);
  const visibleAt = state.timeline.writesBetween(undefined, at).at(-1)?.time;
  if (visibleAt !== undefined && savepointed.includes(visibleAt)) return;
  if (visibleAt === undefined) return; // before the first commit: an empty table, nothing was cleaned
  throw new InvalidInstantError(
    `instant ${requested} of table ${state.config.name} was cleaned: commits from ${earliest} on (and savepoints) stay readable`,
    { table: state.basePath, value: requested },
  );
}
