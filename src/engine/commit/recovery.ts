/**
 * What a writer does first, under the table's writer lock: finish or undo whatever a dead process
 * left on the timeline. Any pending instant found under the lock is a dead writer's, so: pending
 * rollbacks, cleans and restores are finished from their plans, pending writes are rolled back,
 * an unfinished savepoint is dropped, and marker directories and atomic writes' temporary files of
 * instants no longer pending go.
 */
import { atomicTempTarget } from '../../storage/local-file-store.ts';
import { finishClean } from '../services/clean.ts';
import { rollbackPending } from '../services/rollback.ts';
import { finishRestore } from '../services/savepoint.ts';
import { PendingInstant } from './pending-instant.ts';
import { archiveDir, listedPath, markerDir, metaDir, tableLockPath, tempDir } from '../layout.ts';
import { type TableState, loadTable } from '../load/table-state.ts';
import type { EngineContext } from '../context.ts';

/** Clears what dead writers left; returns the table as it is afterwards. */
export async function recoverDeadWriters(ctx: EngineContext, state: TableState): Promise<TableState> {
  const pending = state.timeline.pending();
  for (const instant of pending) {
    if (instant.action === 'clean') await finishClean(ctx, state, instant);
    else if (instant.action === 'restore') await finishRestore(ctx, state, instant.time);
    else if (instant.action === 'savepoint') await new PendingInstant(ctx.store, state.basePath, instant.time, instant.action).remove(instant.state);
  }
  if (pending.some((i) => i.action === 'commit' || i.action === 'replacecommit' || i.action === 'rollback')) await rollbackPending(ctx, state);
  const after = pending.length === 0 ? state : await loadTable(ctx.store, state.basePath);
  const stillPending = new Set(after.timeline.pending().map((i) => i.time));
  for (const entry of await ctx.store.list(tempDir(state.basePath))) {
    if (entry.isDirectory && /^\d{14,}$/.test(entry.name) && !stillPending.has(entry.name)) await ctx.store.remove(markerDir(state.basePath, entry.name));
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
  for (const dir of [metaDir(basePath), archiveDir(basePath)]) {
    for (const entry of await ctx.store.list(dir)) {
      const target = entry.isDirectory ? undefined : atomicTempTarget(entry.name);
      if (target === undefined || entry.modifiedMs > lockedAt) continue;
      const instant = /^(\d{14,})\./.exec(target)?.[1];
      if (instant === undefined || !pending.has(instant)) await ctx.store.remove(listedPath(dir, entry.name));
    }
  }
}
