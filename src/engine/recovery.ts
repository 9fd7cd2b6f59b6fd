/**
 * What a writer does first, under the table's writer lock: finish or undo whatever a dead process
 * left on the timeline. Any pending instant found under the lock is a dead writer's, so: pending
 * rollbacks, cleans and restores are finished from their plans, pending writes are rolled back,
 * an unfinished savepoint is dropped, and marker directories of instants no longer pending go.
 */
import path from 'node:path';
import { instantFileName } from '../timeline/instant.ts';
import { finishClean } from './clean.ts';
import { rollbackPending } from './rollback.ts';
import { finishRestore } from './savepoint.ts';
import { type TableState, loadTable, metaDir } from './table-state.ts';
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
  return after;
}
