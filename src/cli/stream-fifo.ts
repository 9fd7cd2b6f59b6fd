/**
 * An export's text written by DuckDB itself and forwarded to a sink. DuckDB's `COPY … TO` writes in
 * parallel and in order, as fast as its own CSV export; here it writes into a named pipe (a FIFO in a
 * private temporary directory) whose other end this module reads and hands to the sink. That is the
 * backpressure: while the sink waits (a slow reader), the pipe fills and DuckDB's writer blocks, so
 * memory stays bounded whatever the result's size. When the sink's reader has gone, the pipe is
 * closed: DuckDB's next write fails (EPIPE; Node ignores SIGPIPE) and the COPY is interrupted.
 *
 * Named pipes need `mkfifo` (Linux, macOS); without it `makeFifo` returns undefined and the caller
 * streams rows through JavaScript instead.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StorageError, messageOf } from '../errors.ts';
import type { DuckSession } from '../storage/duckdb/session.ts';
import type { Sink } from './stream-sink.ts';

/** A named pipe in a private directory; `remove` deletes both. */
export interface Fifo {
  readonly path: string;
  remove(): void;
}

/** How long to keep trying to release a reader whose writer never came (see `releaseReader`). */
const RELEASE_MS = 5000;
/** Bytes read from the pipe at a time (a pipe holds 64 KiB; more is read when more is there). */
const READ_BYTES = 1 << 20;

/** Makes a named pipe only this user can open, or undefined when the system cannot. */
export function makeFifo(): Fifo | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-export-'));
  const remove = (): void => {
    process.removeListener('exit', remove);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // A process ended by `process.exit` mid-export still removes it.
  process.once('exit', remove);
  const fifo = path.join(dir, 'rows');
  try {
    execFileSync('mkfifo', ['-m', '600', fifo], { stdio: 'ignore' });
    return { path: fifo, remove };
  } catch {
    // No mkfifo (Windows, a minimal container): the caller streams through JavaScript instead.
    remove();
    return undefined;
  }
}

/**
 * Runs the COPY `copySql(fifo)` and forwards what it writes to `sink`. Resolves to true when the COPY
 * completed and everything reached the sink, to false when the sink's reader went away first (the
 * COPY is then stopped); rejects with the COPY's error when it failed.
 */
export async function copyThroughFifo(duck: DuckSession, fifo: Fifo, copySql: (target: string) => string, sink: Sink): Promise<boolean> {
  const stop = new AbortController();
  let opened = false;
  let settled = false;
  // Opening a FIFO's read end blocks (in a libuv thread) until a writer opens the other end: DuckDB, once the COPY starts.
  const opening = fs.promises.open(fifo.path, 'r').finally(() => {
    opened = true;
  });
  let copyError: unknown;
  const copied = duck
    .runCancellable(copySql(fifo.path), stop.signal)
    .catch(async (error: unknown) => {
      copyError = error;
      // Failed before opening the pipe (not seen once the query prepared, but the read would wait forever).
      await pulse(fifo.path, fs.constants.O_WRONLY, () => opened);
    })
    .finally(() => {
      settled = true;
    });
  let readerGone = false;
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await Promise.race([opening, copied.then(() => opening)]);
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      if (!(await sink.write(buffer.subarray(0, bytesRead)))) {
        readerGone = true;
        break;
      }
    }
  } catch (error) {
    stop.abort(error);
    // DuckDB may be waiting to open the pipe for a reader that failed: give it one, briefly.
    if (handle === undefined) await pulse(fifo.path, fs.constants.O_RDONLY, () => settled);
    throw error;
  } finally {
    if (readerGone) stop.abort();
    // Closing the read end makes DuckDB's next write fail, if it is still writing.
    await handle?.close();
    await copied;
  }
  if (readerGone) return false;
  if (copyError !== undefined) throw copyError;
  return true;
}

/**
 * Releases the other end of the pipe when this end will never come: opening it without blocking
 * (`flags` | O_NONBLOCK) and closing it at once wakes a peer waiting in `open`, which then sees an
 * empty pipe (a reader) or a broken one (a writer). A writer's non-blocking open fails with ENXIO
 * until the reader's open has reached the system: try again, every 5 ms, until `done`.
 */
async function pulse(fifo: string, flags: number, done: () => boolean): Promise<void> {
  const until = Date.now() + RELEASE_MS;
  let last: unknown;
  while (!done()) {
    try {
      fs.closeSync(fs.openSync(fifo, flags | fs.constants.O_NONBLOCK));
      if (flags === fs.constants.O_WRONLY) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new StorageError(`the export's pipe ${fifo} could not be released${last === undefined ? '' : `: ${messageOf(last)}`}`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
