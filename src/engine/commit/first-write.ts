/**
 * A write that creates its table and fails leaves nothing behind: under the writer lock, whatever
 * the write added to the base path and to `.hoodie/` (properties, timeline, partition folders) is
 * removed before the error is raised; the lock's file and folder go with the lock (`writeTable`).
 */
import path from 'node:path';
import { StorageError, messageOf } from '../../errors.ts';
import type { FileStore } from '../../storage/file-store.ts';
import { metaDir, metaFilePath, propertiesPath } from '../layout.ts';

/** A completed write instant's file name: once one exists the table is real and is never removed. */
const COMPLETED_WRITE = /^\d{14,}\.(commit|replacecommit)$/;

/**
 * Runs `fn` (a write, under the table's writer lock). If there was no table when it started and it
 * fails before any commit is published, removes every entry it added to the base path and `.hoodie/`.
 */
export async function undoingNewTable<T>(store: FileStore, basePath: string, fn: () => Promise<T>): Promise<T> {
  const meta = metaDir(basePath);
  if (await store.exists(propertiesPath(basePath))) return fn();
  const before = new Set(await store.listNames(basePath));
  const metaBefore = new Set(await store.listNames(meta));
  try {
    return await fn();
  } catch (error) {
    const metaNow = await store.listNames(meta);
    if (metaNow.some((name) => COMPLETED_WRITE.test(name))) throw error;
    try {
      for (const name of metaNow) if (!metaBefore.has(name)) await store.remove(metaFilePath(basePath, name));
      for (const name of await store.listNames(basePath)) if (!before.has(name)) await store.remove(path.join(basePath, name));
    } catch (cleanup) {
      throw new StorageError(`${messageOf(error)} (and removing what the failed first write created in ${basePath} failed: ${messageOf(cleanup)})`, {
        table: basePath,
        cause: error,
      });
    }
    throw error;
  }
}
