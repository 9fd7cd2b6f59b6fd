/**
 * Process locks on one machine: a file created exclusively that holds the owner's pid. The embedded
 * metastore uses one per warehouse, the engine one per table for writers.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { StorageError, messageOf } from '../errors.ts';

/** The outcome of trying a lock: held (with its release), or the pid that holds it. */
export type PidLock = { readonly acquired: true; readonly release: () => void } | { readonly acquired: false; readonly holder: number };

/**
 * Creates `lockPath` exclusively (O_EXCL) holding this pid. A file whose pid is alive means another
 * process holds the lock; a dead pid is a crashed process's leftover and is taken over. Known
 * limits: two processes taking over the same stale file at the same instant can both succeed, and a
 * recycled pid makes a stale file look alive (delete it by hand then). One machine only.
 */
export function tryPidLock(lockPath: string): PidLock {
  const own = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, `${own}\n`);
      } finally {
        closeSync(fd);
      }
      return {
        acquired: true,
        release: () => {
          // Only remove the file if it is still ours (a takeover may have replaced a file we left).
          if (readHolder(lockPath) === own) unlinkQuietly(lockPath);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) {
        throw new StorageError(`could not create the lock file ${lockPath}: ${messageOf(error)}`, { file: lockPath, cause: error });
      }
    }
    const holder = readHolderPatiently(lockPath);
    if (holder === undefined) continue; // removed meanwhile: try again
    const pid = Number(holder);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return { acquired: false, holder: pid };
    unlinkQuietly(lockPath); // stale: its process is gone
  }
}

/** The lock file's content, waiting briefly if it is empty (its creator may be between open and write). */
function readHolderPatiently(lockPath: string): string | undefined {
  for (let i = 0; i < 10; i++) {
    const holder = readHolder(lockPath);
    if (holder !== '') return holder;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return ''; // still empty: a creator that died before writing; treated as stale
}

function readHolder(lockPath: string): string | undefined {
  try {
    return readFileSync(lockPath, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError(`could not read the lock file ${lockPath}: ${messageOf(error)}`, { file: lockPath, cause: error });
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StorageError(`could not remove the lock file ${file}: ${messageOf(error)}`, { file, cause: error });
    }
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
