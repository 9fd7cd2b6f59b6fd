/**
 * How a table service (rollback, clean, savepoint, restore) runs: under the table's writer lock,
 * after clearing what dead writers left (`recovery.ts`). Once the service is done (its instant
 * published), a failure releasing the lock is only a warning.
 */
import path from 'node:path';
import { type EngineContext, Warnings } from '../context.ts';
import { type TableState, loadTable } from '../load/table-state.ts';
import { recoverDeadWriters } from './recovery.ts';
import { withTableLock } from './table-lock.ts';

/**
 * Runs a table service under the writer lock, after clearing what dead writers left. Once the
 * service is done (its instant published), a failure releasing the lock is only a warning.
 */
export async function runTableService<T>(ctx: EngineContext, basePath: string, fn: (state: TableState) => Promise<T>): Promise<T> {
  const base = path.resolve(basePath);
  const done: { result?: { value: T } } = {};
  try {
    await withTableLock(
      ctx.store,
      base,
      async () => {
        const state = await recoverDeadWriters(ctx, await loadTable(ctx.store, base));
        done.result = { value: await fn(state) };
      },
      ctx.lockTimeoutMs,
    );
  } catch (error) {
    if (done.result === undefined) throw error;
    new Warnings(ctx.onWarning).add(`the table service on ${base} succeeded, but releasing its writer lock failed`, error);
  }
  return done.result!.value;
}
