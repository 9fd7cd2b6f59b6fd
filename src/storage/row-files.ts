/**
 * The temporary JSON-lines copy of rows given in code (DuckDB reads rows from a file). Files are
 * private to the user (mode 0600, created exclusively) and named with the writer's pid,
 * `tidemark-rows-<pid>-<uuid>.jsonl`, so one left by a killed writer is removed when the next
 * engine opens (`Tidemark.open`: its pid is no longer alive). Scratch of this process, not a table's
 * data, so it is written here directly rather than through the `FileStore` port.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import os from 'node:os';
import path from 'node:path';

const NAME = /^tidemark-rows-(\d+)-[0-9a-f-]{36}\.jsonl$/;

/** True unless `pid` is certainly dead (a process of another user counts as alive). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Removes this user's row files whose writer is dead; returns their paths. */
export async function sweepDeadRowFiles(dir: string = os.tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fs.readdir(dir)) {
    const m = NAME.exec(name);
    if (m === null || Number(m[1]) === process.pid || isAlive(Number(m[1]))) continue;
    const file = path.join(dir, name);
    try {
      const st = await fs.lstat(file);
      if (!st.isFile() || (process.getuid !== undefined && st.uid !== process.getuid())) continue;
      await fs.unlink(file);
      removed.push(file);
    } catch (error) {
      // Another process swept it first.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}

/** Writes `text` to a new private row file and returns its path (the caller removes it: `removeRowFile`). */
export async function writeRowFile(text: string): Promise<string> {
  const file = path.join(os.tmpdir(), `tidemark-rows-${process.pid}-${randomUUID()}.jsonl`);
  await fs.writeFile(file, text, { mode: 0o600, flag: 'wx' });
  return file;
}

/** Removes a row file `writeRowFile` made. */
export async function removeRowFile(file: string): Promise<void> {
  await fs.unlink(file);
}

/** The lines of a row file, one at a time (for scanning a large one without holding it). */
export async function* rowFileLines(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  try {
    yield* lines;
  } finally {
    lines.close();
  }
}
