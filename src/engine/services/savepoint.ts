/**
 * Savepoints and restore (Hudi's `savepoint` and `restore` actions). A savepoint pins a completed
 * commit: `T.savepoint.inflight` then `T.savepoint` (Avro HoodieSavepointMetadata listing the files
 * visible at T), and the cleaner never deletes those files. Restore brings the table back to a
 * savepoint: one `R.restore` instant (Avro plan and metadata) that undoes every later commit, newest
 * first, each undo recorded as rollback metadata inside the restore's. Both walk their states through
 * `PendingInstant`. Callers hold the writer lock.
 */
import os from 'node:os';
import { InvalidInstantError } from '../../errors.ts';
import { nextInstantTime } from '../../time/clock.ts';
import { fileSlicesAsOf } from '../../table/file-slice.ts';
import { type RestorePlan, type RollbackMetadata, decodeRestorePlan, encodeRestoreMetadata, encodeRestorePlan, encodeSavepointMetadata } from '../../timeline/avro-instants.ts';
import type { Instant } from '../../timeline/instant.ts';
import { earliestReadableInstant } from './clean.ts';
import { filesWrittenBy, undoInstant } from './rollback.ts';
import type { TableState } from '../load/table-state.ts';
import { PendingInstant } from '../commit/pending-instant.ts';
import type { EngineContext } from '../context.ts';
import { emptyRecord } from '../../util/record.ts';

/** Savepoints a completed commit. */
export async function savepoint(ctx: EngineContext, state: TableState, time: string, comment = ''): Promise<{ instant: string; files: number }> {
  if (!state.timeline.hasCompletedWrite(time)) {
    throw new InvalidInstantError(`table ${state.config.name} has no completed commit at ${time} to savepoint`, { table: state.basePath, value: time });
  }
  const earliest = await earliestReadableInstant(ctx, state);
  if (earliest !== undefined && time < earliest) {
    throw new InvalidInstantError(`instant ${time} of table ${state.config.name} was cleaned (commits from ${earliest} on are kept); it cannot be savepointed`, {
      table: state.basePath,
      value: time,
    });
  }
  const completed = new Set(state.timeline.completedWrites().map((i) => i.time));
  const slices = fileSlicesAsOf(state.files, { completed, replacements: state.replacements, asOf: time });
  const partitionMetadata: Record<string, { partitionPath: string; savepointDataFile: string[] }> = emptyRecord();
  for (const s of slices) (partitionMetadata[s.partitionPath] ??= { partitionPath: s.partitionPath, savepointDataFile: [] }).savepointDataFile.push(s.baseFile.fileName);
  const pending = new PendingInstant(ctx.store, state.basePath, time, 'savepoint');
  await pending.inflight();
  await pending.publish(
    encodeSavepointMetadata({
      savepointedBy: os.userInfo().username,
      savepointedAt: Math.floor(ctx.clock.now().toSeconds()),
      comments: comment,
      partitionMetadata,
      version: 1,
    }),
  );
  return { instant: time, files: slices.length };
}

/** Restores the table to a savepoint: every later commit undone in one `restore` instant. */
export async function restore(ctx: EngineContext, state: TableState, time: string): Promise<{ restoreInstant: string; rolledBack: string[] }> {
  if (!state.timeline.completed('savepoint').some((i) => i.time === time)) {
    throw new InvalidInstantError(`table ${state.config.name} has no savepoint at ${time}; savepoint a commit before restoring to it`, { table: state.basePath, value: time });
  }
  const later = state.timeline.completedWrites().filter((i) => i.time > time).reverse();
  const r = nextInstantTime(ctx.clock.now(), state.timeline.lastInstantTime());
  const pending = new PendingInstant(ctx.store, state.basePath, r, 'restore');
  const plan: RestorePlan = { instantsToRollback: later.map((i) => ({ commitTime: i.time, action: i.action })), version: 2, savepointToRestoreTimestamp: time };
  const planBytes = encodeRestorePlan(plan);
  await pending.request(planBytes);
  await pending.inflight(planBytes);
  return executeRestore(ctx, state, pending, plan);
}

/** Finishes a restore a crash interrupted, from its plan (undoing what is still there). */
export async function finishRestore(ctx: EngineContext, state: TableState, r: string): Promise<{ restoreInstant: string; rolledBack: string[] }> {
  const pending = new PendingInstant(ctx.store, state.basePath, r, 'restore');
  const bytes = await pending.planOrDrop();
  if (bytes === undefined) return { restoreInstant: r, rolledBack: [] };
  return executeRestore(ctx, state, pending, decodeRestorePlan(bytes, pending.file('REQUESTED')));
}

async function executeRestore(ctx: EngineContext, state: TableState, pending: PendingInstant<'restore'>, plan: RestorePlan): Promise<{ restoreInstant: string; rolledBack: string[] }> {
  const started = performance.now();
  const r = pending.instant;
  const time = plan.savepointToRestoreTimestamp ?? '';
  const later = plan.instantsToRollback.map((i) => ({ time: i.commitTime, action: i.action as Instant['action'] }));
  const undone: Record<string, RollbackMetadata[]> = emptyRecord();
  for (const instant of later) {
    undone[instant.time] = [await undoInstant(ctx, state, instant, await filesWrittenBy(ctx, state, instant), r, performance.now())];
  }
  // Savepoints of commits that no longer exist are void.
  for (const sp of state.timeline.completed('savepoint').filter((i) => time !== '' && i.time > time)) {
    await new PendingInstant(ctx.store, state.basePath, sp.time, sp.action).remove(sp.state, 'INFLIGHT');
  }
  await pending.publish(
    encodeRestoreMetadata({
      startRestoreTime: r,
      timeTakenInMillis: Math.round(performance.now() - started),
      instantsToRollback: later.map((i) => i.time),
      hoodieRestoreMetadata: undone,
      version: 1,
      restoreInstantInfo: later.map((i) => ({ commitTime: i.time, action: i.action })),
    }),
  );
  return { restoreInstant: r, rolledBack: later.map((i) => i.time) };
}
