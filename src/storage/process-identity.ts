/**
 * Which process holds a lock, precisely enough to survive pid reuse: its pid and, on Linux, its start
 * time (field 22 of `/proc/<pid>/stat`, clock ticks since boot) and the boot id. A pid that is alive
 * but started at another time, or a record from another boot, names a process that is gone.
 * Elsewhere only the pid is known, and a recycled pid still looks alive.
 */
import { readFileSync } from 'node:fs';
import { StorageError, messageOf } from '../errors.ts';

/** A process as a lock file records it. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot (Linux). */
  readonly start?: number;
  /** `/proc/sys/kernel/random/boot_id` (Linux). */
  readonly boot?: string;
}

let own: ProcessIdentity | undefined;

/** This process. */
export function ownIdentity(): ProcessIdentity {
  if (own !== undefined) return own;
  const stat = procStat(process.pid);
  const boot = readProc('/proc/sys/kernel/random/boot_id')?.trim();
  own = stat === undefined || boot === undefined ? { pid: process.pid } : { pid: process.pid, start: stat.start, boot };
  return own;
}

/** Whether `holder` is still running: its pid is alive (not a zombie) and, where recorded, started when it says. */
export function isRunning(holder: ProcessIdentity): boolean {
  if (!isAlive(holder.pid)) return false;
  const me = ownIdentity();
  if (holder.boot !== undefined && me.boot !== undefined && holder.boot !== me.boot) return false;
  if (me.boot === undefined) return true; // not Linux: the pid is all we can check
  const stat = procStat(holder.pid);
  if (stat === undefined) return isAlive(holder.pid); // hidden by /proc's mount options, or exited just now
  if (stat.state === 'Z') return false;
  return holder.start === undefined || holder.start === stat.start;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** State and start time of a process from `/proc/<pid>/stat`; undefined without a readable /proc. */
function procStat(pid: number): { readonly state: string; readonly start: number } | undefined {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // `pid (comm) state ...`: comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]); // field 22; fields[0] is field 3
  if (fields[0] === undefined || !Number.isSafeInteger(start)) {
    throw new StorageError(`could not parse /proc/${pid}/stat: ${JSON.stringify(text.slice(0, 200))}`, { file: `/proc/${pid}/stat` });
  }
  return { state: fields[0], start };
}

function readProc(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR') return undefined;
    throw new StorageError(`could not read ${file}: ${messageOf(error)}`, { file, cause: error });
  }
}
