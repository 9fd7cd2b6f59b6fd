/**
 * Rollback, as Hudi does it for copy-on-write tables (Hudi's CopyOnWriteRollbackActionExecutor; the team's format notes, shared/reference/hudi-format.md §12, outside this repository): a `rollback` instant whose
 * plan names the files an instant wrote, those files deleted, the instant's timeline entries
 * removed, and metadata recording what was done.
 *
 *   R.rollback.requested  (Avro HoodieRollbackPlan: the instant, the files to delete)
 *   R.rollback.inflight   (empty)
 *   [completed T only]    T.commit removed first: the undo is published before any file goes
 *   delete T's files      (markers in .hoodie/.temp/T, and any file named *_T.parquet)
 *   delete T.inflight, T.commit.requested
 *   R.rollback            (Avro HoodieRollbackMetadata), then .hoodie/.temp/T removed
 *
 * Every step is idempotent, so a rollback interrupted by a crash is finished by the next writer
 * from its plan (`PendingInstant.planOrDrop`). Callers hold the table's writer lock.
 */
import path from 'node:path';
import { InvalidInstantError, TableFormatError } from '../../errors.ts';
import { nextInstantTime } from '../../time/clock.ts';
import { parseBaseFileName } from '../../table/base-file.ts';
import { parseCommitMetadata } from '../../timeline/commit-metadata.ts';
import type { Instant } from '../../timeline/instant.ts';
import { decodeRollbackPlan, encodeRollbackMetadata, encodeRollbackPlan, type RollbackMetadata, type RollbackPartitionMetadata, type RollbackPlan } from '../../timeline/avro-instants.ts';
import type { TableState } from '../load/table-state.ts';
import { instantPath, markerDir } from '../layout.ts';
import { PendingInstant } from '../commit/pending-instant.ts';
import type { EngineContext } from '../context.ts';
import { emptyRecord } from '../../util/record.ts';
import { pathInTable } from '../table-paths.ts';

/** What a rollback did. */
export interface RollbackResult {
  readonly rollbackInstant: string;
  readonly rolledBack: string;
  readonly action: string;
  readonly filesDeleted: ReadonlyArray<string>;
}

const isWrite = (i: Instant): boolean => i.action === 'commit' || i.action === 'replacecommit';

/** Finishes interrupted rollbacks, then rolls back every pending write: what dead writers left. */
export async function rollbackPending(ctx: EngineContext, state: TableState): Promise<RollbackResult[]> {
  const results: RollbackResult[] = [];
  let last = state.timeline.lastInstantTime();
  for (const r of state.timeline.pending().filter((i) => i.action === 'rollback')) {
    results.push(await finishRollback(ctx, state, r));
  }
  const done = new Set(results.map((r) => r.rolledBack));
  for (const instant of state.timeline.pending().filter((i) => isWrite(i) && !done.has(i.time))) {
    const result = await rollback(ctx, state, instant, last);
    last = result.rollbackInstant;
    results.push(result);
  }
  return results;
}

/** Undoes a write instant: the latest completed one, or a pending one. */
export async function rollbackInstant(ctx: EngineContext, state: TableState, time: string): Promise<RollbackResult> {
  const target = state.timeline.instants.find((i) => i.time === time && isWrite(i));
  if (target === undefined) throw new InvalidInstantError(`table ${state.config.name} has no commit at instant ${time}`, { table: state.basePath, value: time });
  const latest = state.timeline.latestCompletedWrite();
  if (target.state === 'COMPLETED' && latest?.time !== time) {
    throw new InvalidInstantError(
      `instant ${time} of table ${state.config.name} is not the latest commit (${latest?.time}); roll back newer commits first, or restore to a savepoint`,
      { table: state.basePath, value: time },
    );
  }
  return rollback(ctx, state, target, state.timeline.lastInstantTime());
}

async function rollback(ctx: EngineContext, state: TableState, target: Instant, after: string | undefined): Promise<RollbackResult> {
  const started = performance.now();
  const files = await filesWrittenBy(ctx, state, target);
  const r = nextInstantTime(ctx.clock.now(), after);
  const plan: RollbackPlan = {
    instantToRollback: { commitTime: target.time, action: target.action },
    RollbackRequests: files.map((f) => ({ partitionPath: f.partition, fileId: '', latestBaseInstant: '', filesToBeDeleted: [f.path], logBlocksToBeDeleted: {} })),
    version: 1,
  };
  const pending = new PendingInstant(ctx.store, state.basePath, r, 'rollback');
  await pending.request(encodeRollbackPlan(plan));
  await pending.inflight();
  return execute(ctx, state, pending, plan, started);
}

/** Completes a rollback a crash interrupted, from its plan. */
async function finishRollback(ctx: EngineContext, state: TableState, r: Instant): Promise<RollbackResult> {
  const pending = new PendingInstant(ctx.store, state.basePath, r.time, 'rollback');
  const bytes = await pending.planOrDrop();
  // Died before the plan was written: nothing was deleted yet; the empty instant is dropped.
  if (bytes === undefined) return { rollbackInstant: r.time, rolledBack: '', action: '', filesDeleted: [] };
  const plan = decodeRollbackPlan(bytes, pending.file('REQUESTED'));
  await pending.resumeInflight();
  return execute(ctx, state, pending, plan, performance.now());
}

async function execute(ctx: EngineContext, state: TableState, pending: PendingInstant<'rollback'>, plan: RollbackPlan, started: number): Promise<RollbackResult> {
  const r = pending.instant;
  const target = plan.instantToRollback;
  if (target === null) throw new TableFormatError(`rollback ${r} of ${state.basePath} names no instant`, { table: state.basePath, value: r });
  const files = (plan.RollbackRequests ?? []).flatMap((req) => req.filesToBeDeleted.map((f) => ({ partition: req.partitionPath, path: f })));
  const metadata = await undoInstant(ctx, state, { time: target.commitTime, action: target.action as Instant['action'] }, files, r, started);
  await pending.publish(encodeRollbackMetadata(metadata));
  return { rollbackInstant: r, rolledBack: target.commitTime, action: target.action, filesDeleted: files.map((f) => f.path) };
}

/**
 * Undoes one write instant: unpublishes it (if completed), deletes its files and its timeline
 * entries and markers. Returns the rollback metadata (restore embeds it; rollback publishes it).
 */
export async function undoInstant(
  ctx: EngineContext,
  state: TableState,
  target: Pick<Instant, 'time' | 'action'>,
  files: ReadonlyArray<{ partition: string; path: string }>,
  by: string,
  started: number,
): Promise<RollbackMetadata> {
  const undone = new PendingInstant(ctx.store, state.basePath, target.time, target.action);
  // Every file is checked before anything goes: a plan naming a path outside the table is refused.
  const inTable = files.map((f) => pathInTable(state.basePath, f.path, { data: true, table: state.config.name, file: `the rollback of ${target.time}` }));
  // Unpublish first: once the completed file is gone, no reader follows the files deleted next.
  await undone.remove('COMPLETED');
  const byPartition = new Map<string, string[]>();
  for (const [i, f] of files.entries()) {
    await ctx.store.remove(inTable[i]!);
    byPartition.set(f.partition, [...(byPartition.get(f.partition) ?? []), f.path]);
  }
  await undone.remove('INFLIGHT', 'REQUESTED');
  await ctx.store.remove(undone.markerDir());
  const partitionMetadata: Record<string, RollbackPartitionMetadata> = emptyRecord();
  for (const [p, list] of byPartition) {
    // Copy-on-write has no log files; Hudi's Java writer records empty maps for them.
    partitionMetadata[p] = { partitionPath: p, successDeleteFiles: list, failedDeleteFiles: [], rollbackLogFiles: {}, logFilesFromFailedCommit: {} };
  }
  return {
    startRollbackTime: by,
    timeTakenInMillis: Math.round(performance.now() - started),
    totalFilesDeleted: files.length,
    commitsRollback: [target.time],
    partitionMetadata,
    version: 1,
    instantsRollback: [{ commitTime: target.time, action: target.action }],
  };
}

/** The data files an instant wrote: its markers, its commit's write stats, and any file named with its time. */
export async function filesWrittenBy(ctx: EngineContext, state: TableState, target: Pick<Instant, 'time' | 'action'>): Promise<Array<{ partition: string; path: string }>> {
  const found = new Map<string, string>();
  const check = { data: true, table: state.config.name };
  const add = (partition: string, rel: string, file?: string): void =>
    void found.set(pathInTable(state.basePath, rel, { ...check, ...(file === undefined ? {} : { file }) }), partition);
  const markerRoot = markerDir(state.basePath, target.time);
  for (const rel of await walk(ctx, markerRoot, '')) {
    const m = /^(.*)\.marker\.[A-Z]+$/.exec(rel);
    if (m !== null) add(path.dirname(m[1]!) === '.' ? '' : path.dirname(m[1]!), m[1]!);
  }
  const partitions = new Set<string>(['', ...state.files.map((f) => f.partitionPath)]);
  for (const state_ of ['INFLIGHT', 'COMPLETED'] as const) {
    const file = instantPath(state.basePath, { ...target, state: state_ });
    if (!(await ctx.store.exists(file))) continue;
    const text = await ctx.store.readText(file);
    if (text.trim() === '') continue;
    const metadata = parseCommitMetadata(text, file);
    for (const [partition, stats] of Object.entries(metadata.partitionToWriteStats)) {
      pathInTable(state.basePath, partition, { ...check, dir: true, file });
      partitions.add(partition);
      for (const s of stats) if (s.path !== null) add(partition, s.path, file);
    }
  }
  for (const partition of partitions) {
    for (const entry of await ctx.store.list(pathInTable(state.basePath, partition, { ...check, dir: true }))) {
      const base = entry.isDirectory ? undefined : parseBaseFileName(entry.name, partition);
      if (base?.instant === target.time) add(partition, base.path);
    }
  }
  return [...found].map(([p, partition]) => ({ partition, path: p })).sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function walk(ctx: EngineContext, root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await ctx.store.list(path.join(root, rel))) {
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory) out.push(...(await walk(ctx, root, child)));
    else out.push(child);
  }
  return out;
}
