/**
 * One writer per table at a time: a lock file in `.hoodie/` naming the writer (pid, start time, boot;
 * see `storage/pid-lock.ts` for how a dead writer's lock is taken over). Writers wait for it (readers
 * never take it). Holding it from the choice of the instant to its publication makes
 * commit order completion order, and makes any pending instant found under it a dead writer's,
 * which is what lets the next writer roll it back safely.
 */
import path from 'node:path';
import { CommitConflictError } from '../../errors.ts';
import type { FileStore } from '../../storage/file-store.ts';
import { tryPidLock } from '../../storage/pid-lock.ts';
import { tableLockPath } from '../layout.ts';

/** How long a writer waits for another to finish, by default. */
export const DEFAULT_LOCK_TIMEOUT_MS = 120_000;

/** Runs `fn` holding the table's writer lock; `CommitConflictError` (retryable) after `timeoutMs`. */
export async function withTableLock<T>(store: FileStore, basePath: string, fn: () => Promise<T>, timeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Promise<T> {
  const lockPath = tableLockPath(basePath);
  await store.mkdirs(path.dirname(lockPath));
  const deadline = Date.now() + timeoutMs;
  let wait = 10;
  for (;;) {
    const lock = tryPidLock(lockPath);
    if (lock.acquired) {
      try {
        return await fn();
      } finally {
        lock.release();
      }
    }
    if (Date.now() >= deadline) {
      throw new CommitConflictError(`table ${basePath} is being written by process ${lock.holder}; waited ${Math.round(timeoutMs / 1000)} s (retry later)`, {
        table: basePath,
        file: lockPath,
        value: lock.holder,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 200);
  }
}
