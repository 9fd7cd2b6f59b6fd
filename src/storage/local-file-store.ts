/** `FileStore` on the local file system (node:fs). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { StorageError, messageOf } from '../errors.ts';
import type { FileEntry, FileStore } from './file-store.ts';

/** Raised by `createExclusive` when the file is already there. */
export class FileExistsError extends StorageError {
  constructor(file: string) {
    super(`${file} already exists`, { file });
  }
}

/** The temporary name `writeAtomic` writes `file` under before renaming it: `.<name>.<uuid>.tmp` beside it. */
export function atomicTempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
}

const ATOMIC_TEMP = /^\.(.+)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

/** The name of the file a `writeAtomic` temporary file was for (a killed writer leaves them), or undefined for any other name. */
export function atomicTempTarget(name: string): string | undefined {
  return ATOMIC_TEMP.exec(name)?.[1];
}

function wrap(op: string, file: string, error: unknown): StorageError {
  return new StorageError(`${op} ${file} failed: ${messageOf(error)}`, { file, cause: error });
}

/** Writes the arrays one after another from `offset` (one writev, repeated after a short write). Returns their length. */
async function writeAllAt(handle: fs.FileHandle, parts: ReadonlyArray<Uint8Array>, offset: number): Promise<number> {
  const length = parts.reduce((n, p) => n + p.length, 0);
  for (let done = 0; done < length; ) {
    const { bytesWritten } = await handle.writev(after(parts, done), offset + done);
    if (bytesWritten <= 0) throw new Error(`wrote nothing at byte ${offset + done}`);
    done += bytesWritten;
  }
  return length;
}

/** The arrays without their first `skip` bytes. */
function after(parts: ReadonlyArray<Uint8Array>, skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (skip >= p.length) skip -= p.length;
    else {
      out.push(skip > 0 ? p.subarray(skip) : p);
      skip = 0;
    }
  }
  return out;
}

async function writeAndSync(file: string, content: string | Uint8Array, flag: 'w' | 'wx'): Promise<void> {
  const handle = await fs.open(file, flag);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The local file system. */
export class LocalFileStore implements FileStore {
  async exists(file: string): Promise<boolean> {
    try {
      await fs.access(file);
      return true;
    } catch {
      return false;
    }
  }

  async readText(file: string): Promise<string> {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (error) {
      throw wrap('reading', file, error);
    }
  }

  async writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
    const temp = atomicTempPath(file);
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeAndSync(temp, content, 'w');
      await fs.rename(temp, file);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw wrap('writing', file, error);
    }
  }

  async append(file: string, content: string): Promise<void> {
    try {
      await fs.appendFile(file, content);
    } catch (error) {
      throw wrap('appending to', file, error);
    }
  }

  async createExclusive(file: string, content: string | Uint8Array): Promise<void> {
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeAndSync(file, content, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(file);
      throw wrap('creating', file, error);
    }
  }

  async list(dir: string): Promise<FileEntry[]> {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw wrap('listing', dir, error);
    }
    const entries = await Promise.all(
      names.map(async (name): Promise<FileEntry | undefined> => {
        try {
          const st = await fs.stat(path.join(dir, name));
          return { name, isDirectory: st.isDirectory(), size: st.size, modifiedMs: st.mtimeMs };
        } catch (error) {
          // A file removed between readdir and stat (a concurrent cleaner) is simply gone.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw wrap('reading', path.join(dir, name), error);
        }
      }),
    );
    return entries.filter((e): e is FileEntry => e !== undefined);
  }

  async listNames(dir: string): Promise<string[]> {
    try {
      return await fs.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw wrap('listing', dir, error);
    }
  }

  async size(file: string): Promise<number> {
    try {
      return (await fs.stat(file)).size;
    } catch (error) {
      throw wrap('reading', file, error);
    }
  }

  async stat(file: string): Promise<{ size: number; modifiedMs: number } | undefined> {
    try {
      const st = await fs.stat(file);
      return { size: st.size, modifiedMs: st.mtimeMs };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw wrap('reading', file, error);
    }
  }

  async readBytes(file: string, offset: number, length: number): Promise<Uint8Array> {
    try {
      const handle = await fs.open(file, 'r');
      try {
        // Not zero-filled first (reading overwrites it): for a ~1 MB Hudi footer, zeroing fresh
        // memory cost as much as the read. What lies past a short read is not handed out.
        const buffer = Buffer.allocUnsafeSlow(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, length);
        return bytesRead === length ? bytes : bytes.slice(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw wrap('reading', file, error);
    }
  }

  async replaceTail(file: string, offset: number, content: ReadonlyArray<Uint8Array>): Promise<void> {
    try {
      const handle = await fs.open(file, 'r+');
      try {
        const length = await writeAllAt(handle, content, offset);
        await handle.truncate(offset + length);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw wrap('rewriting the end of', file, error);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(from, to);
    } catch (error) {
      throw wrap(`moving ${from} to`, to, error);
    }
  }

  async mkdirs(dir: string): Promise<void> {
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (error) {
      throw wrap('creating directory', dir, error);
    }
  }

  async remove(file: string): Promise<void> {
    try {
      await fs.rm(file, { recursive: true, force: true });
    } catch (error) {
      throw wrap('removing', file, error);
    }
  }
}
