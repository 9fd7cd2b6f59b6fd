/**
 * What a writer does first, under the table's writer lock: finish or undo whatever a dead process
 * left on the timeline. Any pending instant found under the lock is a dead writer's, so: pending
 * rollbacks, cleans and restores are finished from their plans, pending writes are rolled back,
 * an unfinished savepoint is dropped, and marker directories and atomic writes' temporary files of
 * instants no longer pending go.
 */
import path from 'node:path';
import { atomicTempTarget } from '../storage/local-file-store.ts';
import { instantFileName } from '../timeline/instant.ts';
import { finishClean } from './clean.ts';
import { rollbackPending } from './rollback.ts';
import { finishRestore } from './savepoint.ts';
import { type TableState, loadTable, metaDir } from './table-state.ts';
import { tableLockPath } from './table-lock.ts';
import type { EngineContext } from './write.ts';

/** Clears what dead writers left; returns the table as it is afterwards. */
export async function recoverDeadWriters(ctx: EngineContext, state: TableState): Promise<TableState> {
  const pending = state.timeline.pending();
  const meta = metaDir(state.basePath);
  for (const instant of pending) {
    if (instant.action === 'clean') await finishClean(ctx, state, instant);
    else if (instant.action === 'restore') await finishRestore(ctx, state, instant.time);
    else if (instant.action === 'savepoint') await ctx.store.remove(path.join(meta, instantFileName(instant)));
  }
  if (pending.some((i) => i.action === 'commit' || i.action === 'replacecommit' || i.action === 'rollback')) await rollbackPending(ctx, state);
  const after = pending.length === 0 ? state : await loadTable(ctx.store, state.basePath);
  const stillPending = new Set(after.timeline.pending().map((i) => i.time));
  const temp = path.join(meta, '.temp');
  for (const entry of await ctx.store.list(temp)) {
    if (entry.isDirectory && /^\d{14,}$/.test(entry.name) && !stillPending.has(entry.name)) await ctx.store.remove(path.join(temp, entry.name));
  }
  await removeDeadTempFiles(ctx, state.basePath, stillPending);
  return after;
}

/**
 * Temporary files of atomic writes (`.<name>.<uuid>.tmp`, the store's own pattern) that a killed
 * writer left in `.hoodie/` and `.hoodie/archived/`: removed when their instant is not pending and
 * they are older than the writer lock this process holds (so no live writer's file is touched).
 */
async function removeDeadTempFiles(ctx: EngineContext, basePath: string, pending: ReadonlySet<string>): Promise<void> {
  const lockedAt = (await ctx.store.stat(tableLockPath(basePath)))?.modifiedMs ?? Number.POSITIVE_INFINITY;
  for (const dir of [metaDir(basePath), path.join(metaDir(basePath), 'archived')]) {
    for (const entry of await ctx.store.list(dir)) {
      const target = entry.isDirectory ? undefined : atomicTempTarget(entry.name);
      if (target === undefined || entry.modifiedMs > lockedAt) continue;
      const instant = /^(\d{14,})\./.exec(target)?.[1];
      if (instant === undefined || !pending.has(instant)) await ctx.store.remove(path.join(dir, entry.name));
    }
  }
}
