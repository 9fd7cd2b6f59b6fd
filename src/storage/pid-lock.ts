/**
 * Process locks on one machine: a file that exists while a process holds the lock and names it, as
 * one line of JSON `{"pid":…,"start":…,"boot":…,"id":…}` (`id` is this acquisition's random
 * generation). The embedded metastore uses one per warehouse, the engine one per table for writers.
 *
 * Acquire: write the record to a private temp file and hard-link it to the lock path; `link` fails
 * if the path exists, so the file appears whole and exactly one creator wins. A lock whose holder is
 * no longer running ({@link isRunning}: dead pid, or a live pid with another start time or boot) is
 * stale and is taken over without ever leaving the path empty:
 *
 *   1. hard-link the temp file to `<lock>.takeover.<generation>.<k>`, k = 1, 2, …: only one process
 *      can create each name; k+1 is tried only once the creator of k is seen not running;
 *   2. under that token, re-read the lock: if it is still the stale generation, rename the temp file
 *      over it (atomic), else give the token back and start again.
 *
 * Tokens of a generation are removed only after the lock path no longer holds that generation, and
 * generations are never reused, so at most one running process ever holds a token of a generation
 * while the lock still holds it: that process alone can replace the stale file. A running holder is
 * never taken over, so releasing (check it is ours, then unlink) cannot remove someone else's lock.
 * A bare pid (an older version's file) is checked by pid alone. Needs a filesystem with hard links;
 * a temp file left by a process killed while taking the lock is swept by the next takeover.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StorageError, messageOf } from '../errors.ts';
import { type ProcessIdentity, isAlive, isRunning, ownIdentity } from './process-identity.ts';

export { isAlive } from './process-identity.ts';

/** The outcome of trying a lock: held (with its release), or the pid that holds it. */
export type PidLock = { readonly acquired: true; readonly release: () => void } | { readonly acquired: false; readonly holder: number };

/** A lock file as read: its generation (the record's id, or the file's inode and mtime for other content) and its holder if it names one. */
interface LockState {
  readonly generation: string;
  readonly holder: ProcessIdentity | undefined;
}

/** How many times the lock may change under one attempt before that is an error. */
const MAX_ROUNDS = 50;

/**
 * Takes `lockPath` for this process, taking over a stale one, or says which process holds it. Never
 * waits: the caller retries.
 */
export function tryPidLock(lockPath: string): PidLock {
  const id = randomBytes(8).toString('hex');
  const temp = `${lockPath}.${process.pid}.${id}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify({ ...ownIdentity(), id })}\n`, { flag: 'wx' });
  } catch (error) {
    throw new StorageError(`could not create the lock file ${temp}: ${messageOf(error)}`, { file: temp, cause: error });
  }
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (linkExclusive(temp, lockPath)) {
        // A process killed between writing its temp file and linking it left that file behind.
        sweep(lockPath);
        return held(lockPath, id);
      }
      const current = readLock(lockPath);
      if (current === undefined) continue; // released meanwhile
      if (current.holder !== undefined && isRunning(current.holder)) return { acquired: false, holder: current.holder.pid };
      const outcome = takeOver(lockPath, current.generation, temp);
      if (outcome === 'won') return held(lockPath, id);
      if (outcome !== 'changed') return { acquired: false, holder: outcome };
    }
    throw new StorageError(`the lock file ${lockPath} kept changing during ${MAX_ROUNDS} attempts to take it`, { file: lockPath });
  } finally {
    unlinkIfExists(temp); // after a link the lock keeps the file; after a rename it is gone already
  }
}

/**
 * Takes over the stale `generation` of the lock (steps 1 and 2 above): 'won', 'changed' (the lock is
 * no longer that generation), or the pid of a running process that is taking it over.
 */
function takeOver(lockPath: string, generation: string, temp: string): 'won' | 'changed' | number {
  for (let k = 1; ; k++) {
    const token = `${lockPath}.takeover.${generation}.${k}`;
    if (linkExclusive(temp, token)) {
      let won = false;
      try {
        if (readLock(lockPath)?.generation !== generation) return 'changed';
        rename(temp, lockPath);
        won = true;
      } finally {
        if (!won) unlinkIfExists(token);
      }
      sweep(lockPath);
      return 'won';
    }
    const taker = readLock(token);
    if (taker === undefined) return 'changed'; // tokens go only once their generation has
    if (taker.holder !== undefined && isRunning(taker.holder)) return taker.holder.pid;
  }
}

/** The held lock: its release removes the file only while it is still this generation. */
function held(lockPath: string, id: string): PidLock {
  return {
    acquired: true,
    release: () => {
      if (readLock(lockPath)?.generation === id) unlinkIfExists(lockPath);
    },
  };
}

/**
 * Removes the takeover tokens (every one names a generation the lock no longer holds, as the lock is
 * this process's now) and the temp files of dead processes.
 */
function sweep(lockPath: string): void {
  const dir = path.dirname(lockPath);
  const base = path.basename(lockPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new StorageError(`could not list ${dir}: ${messageOf(error)}`, { file: dir, cause: error });
  }
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const rest = name.slice(base.length + 1);
    const temp = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(rest);
    if (rest.startsWith('takeover.') || (temp !== null && !isAlive(Number(temp[1])))) unlinkIfExists(path.join(dir, name));
  }
}

/** Creates `target` as a hard link of `source`; false if `target` exists. */
function linkExclusive(source: string, target: string): boolean {
  try {
    linkSync(source, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StorageError(`could not create the lock file ${target}: ${messageOf(error)}`, { file: target, cause: error });
  }
}

function rename(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    throw new StorageError(`could not replace the lock file ${to}: ${messageOf(error)}`, { file: to, cause: error });
  }
}

/** The lock file's generation and holder; undefined if there is none. */
function readLock(file: string): LockState | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError(`could not read the lock file ${file}: ${messageOf(error)}`, { file, cause: error });
  }
  try {
    const text = readFileSync(fd, 'utf8').trim();
    const record = parseRecord(text);
    if (record?.id !== undefined) return { generation: record.id, holder: record };
    // Not written by this code (an older version's bare pid, or damaged): the file itself is the generation.
    const stat = fstatSync(fd, { bigint: true });
    return { generation: `f${stat.ino}-${stat.mtimeNs}`, holder: record };
  } catch (error) {
    throw new StorageError(`could not read the lock file ${file}: ${messageOf(error)}`, { file, cause: error });
  } finally {
    closeSync(fd);
  }
}

/** A lock record: this code's JSON line, or an older version's bare pid; undefined for anything else (empty: its writer died). */
function parseRecord(text: string): (ProcessIdentity & { readonly id?: string }) | undefined {
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // damaged: no holder
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, start, boot, id } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  return {
    pid,
    ...(typeof start === 'number' ? { start } : {}),
    ...(typeof boot === 'string' ? { boot } : {}),
    ...(typeof id === 'string' && /^[0-9a-f]+$/.test(id) ? { id } : {}),
  };
}

function unlinkIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StorageError(`could not remove the lock file ${file}: ${messageOf(error)}`, { file, cause: error });
    }
  }
}
