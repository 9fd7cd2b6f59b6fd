/**
 * Streamed writes to a file descriptor (the process's stdout), for `CliIo.write`. Each write resolves
 * once the bytes are in the pipe or file, so a slow reader holds an export back instead of output
 * piling up in memory; a reader that went away (EPIPE: `tidemark read t | head -2`) makes it resolve
 * to false, and nothing more is written. It writes to the descriptor rather than through
 * `process.stdout` so that a closed pipe is an answer here, not an 'error' event: bin/tidemark.mjs
 * answers that event with `process.exit`, which, with DuckDB's threads still writing an export, hangs.
 * (On Linux `process.stdout` writes pipes, files and terminals synchronously, so its earlier output
 * is already out when this writes.)
 */
import fs from 'node:fs';
import { StorageError, messageOf } from '../errors.ts';

/** A writer to `fd` resolving to false once the reader has gone (EPIPE). */
export function fdWriter(fd: number): (chunk: string | Uint8Array) => Promise<boolean> {
  let closed = false;
  return async (chunk) => {
    if (closed) return false;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let offset = 0;
    while (offset < bytes.byteLength) {
      try {
        offset += await writeSome(fd, bytes, offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          closed = true;
          return false;
        }
        // A descriptor inherited in non-blocking mode: wait for the reader to make room.
        if (code === 'EAGAIN') await new Promise((resolve) => setTimeout(resolve, 2));
        else throw new StorageError(`writing the output failed: ${messageOf(error)}`, { cause: error });
      }
    }
    return true;
  };
}

function writeSome(fd: number, bytes: Uint8Array, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.write(fd, bytes, offset, bytes.byteLength - offset, null, (error, written) => (error ? reject(error) : resolve(written)));
  });
}
