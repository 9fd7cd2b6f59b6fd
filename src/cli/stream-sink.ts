/**
 * Where streamed output goes: stdout (through `CliIo`) or the file named by `--output`. A file is
 * written under a temporary name beside it and renamed into place only when the export completed, so
 * a failed or interrupted export never leaves a truncated file under the name asked for.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { InvalidArgumentError, StorageError, messageOf } from '../errors.ts';
import type { CliIo } from './main.ts';

/** Output written chunk by chunk. */
export interface Sink {
  /** Writes a chunk; resolves to false once the reader has gone (nothing more should be written). */
  write(chunk: string | Uint8Array): Promise<boolean>;
  /** Completes the output (a file is renamed into place). */
  finish(): Promise<void>;
  /** Abandons the output (a file's partial text is removed). */
  abort(): Promise<void>;
}

/** Writes `text` through `io`, waiting for it when `io` can stream; false once the reader has gone. */
export async function writeText(io: CliIo, text: string): Promise<boolean> {
  if (text === '') return true;
  if (io.write !== undefined) return io.write(text);
  io.stdout(text);
  return true;
}

/** A sink to stdout: `io.write` when it has one, else `io.stdout` with bytes decoded as UTF-8. */
export function stdoutSink(io: CliIo): Sink {
  const write = io.write;
  if (write !== undefined) return { write, finish: async () => undefined, abort: async () => undefined };
  // A multi-byte character may be split between chunks: the decoder keeps its first bytes for the next.
  const decoder = new StringDecoder('utf8');
  return {
    write: async (chunk) => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (text !== '') io.stdout(text);
      return true;
    },
    finish: async () => {
      const rest = decoder.end();
      if (rest !== '') io.stdout(rest);
    },
    abort: async () => undefined,
  };
}

/** A file to be written under a temporary name and renamed to `file` once complete. */
export interface OutputFile {
  /** Where to write until `commit`. */
  readonly temp: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** Reserves `file`'s temporary name beside it (same directory, so the rename is atomic). */
export function outputFile(file: string): OutputFile {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    throw new InvalidArgumentError(`cannot write --output ${file}: ${messageOf(error)}`, { file, cause: error });
  }
  if (!stat.isDirectory()) throw new InvalidArgumentError(`cannot write --output ${file}: ${dir} is not a directory`, { file });
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) throw new InvalidArgumentError(`cannot write --output ${file}: it is a directory`, { file });
  const temp = path.join(dir, `.${path.basename(target)}.tidemark-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  return {
    temp,
    async commit() {
      try {
        await fs.promises.rename(temp, target);
      } catch (error) {
        await fs.promises.rm(temp, { force: true });
        throw new StorageError(`cannot write --output ${file}: ${messageOf(error)}`, { file, cause: error });
      }
    },
    async discard() {
      await fs.promises.rm(temp, { force: true });
    },
  };
}

/** A sink to `file` (written under a temporary name, renamed on `finish`, removed on `abort`). */
export async function fileSink(file: string): Promise<Sink> {
  const out = outputFile(file);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(out.temp, 'wx', 0o666);
  } catch (error) {
    throw new InvalidArgumentError(`cannot write --output ${file}: ${messageOf(error)}`, { file, cause: error });
  }
  let open = true;
  const close = async (): Promise<void> => {
    if (!open) return;
    open = false;
    await handle.close();
  };
  return {
    async write(chunk) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      try {
        for (let offset = 0; offset < bytes.byteLength; ) offset += (await handle.write(bytes, offset)).bytesWritten;
      } catch (error) {
        throw new StorageError(`writing --output ${file} failed: ${messageOf(error)}`, { file, cause: error });
      }
      return true;
    },
    async finish() {
      await close();
      await out.commit();
    },
    async abort() {
      await close().catch(() => undefined); // the export's own error is the one to report
      await out.discard();
    },
  };
}
