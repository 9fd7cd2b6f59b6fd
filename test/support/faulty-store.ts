/**
 * A `LocalFileStore` that fails on purpose: armed with `failAt = K`, the K-th file operation from
 * then on throws an I/O error (code `EIO`) without doing anything; every other operation runs as
 * usual (or, with `failAfterWriting`, a matching atomic write fails once it is done, as a failed
 * directory fsync would). The injected error is the test's input; the engine under test is real.
 */
import type { FileEntry } from '../../src/storage/file-store.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';

export class FaultyStore extends LocalFileStore {
  /** Operations since `arm`. */
  ops = 0;
  /** The operation that failed, once one has. */
  failed: string | undefined;
  private failAt: number | undefined;
  /** When set, a `writeAtomic` of a matching path fails after it has written (the file is in place). */
  failAfterWriting: RegExp | undefined;

  /** Counts from zero again; the `failAt`-th operation fails (none when undefined). */
  arm(failAt: number | undefined): void {
    this.ops = 0;
    this.failed = undefined;
    this.failAt = failAt;
  }

  private tick(op: string, file: string): void {
    this.ops += 1;
    if (this.ops === this.failAt) this.fail(op, file);
  }

  private fail(op: string, file: string): never {
    this.failed = `${op} ${file}`;
    throw Object.assign(new Error(`EIO: i/o error, ${op} '${file}' (injected)`), { code: 'EIO' });
  }

  override async exists(file: string): Promise<boolean> {
    this.tick('exists', file);
    return super.exists(file);
  }
  override async readText(file: string): Promise<string> {
    this.tick('readText', file);
    return super.readText(file);
  }
  override async writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
    this.tick('writeAtomic', file);
    await super.writeAtomic(file, content);
    if (this.failAfterWriting?.test(file) === true) this.fail('writeAtomic (after writing)', file);
  }
  override async append(file: string, content: string): Promise<void> {
    this.tick('append', file);
    return super.append(file, content);
  }
  override async createExclusive(file: string, content: string | Uint8Array): Promise<void> {
    this.tick('createExclusive', file);
    return super.createExclusive(file, content);
  }
  override async list(dir: string): Promise<FileEntry[]> {
    this.tick('list', dir);
    return super.list(dir);
  }
  override async listNames(dir: string): Promise<string[]> {
    this.tick('listNames', dir);
    return super.listNames(dir);
  }
  override async size(file: string): Promise<number> {
    this.tick('size', file);
    return super.size(file);
  }
  override async stat(file: string): Promise<{ size: number; modifiedMs: number } | undefined> {
    this.tick('stat', file);
    return super.stat(file);
  }
  override async readBytes(file: string, offset: number, length: number): Promise<Uint8Array> {
    this.tick('readBytes', file);
    return super.readBytes(file, offset, length);
  }
  override async replaceTail(file: string, offset: number, content: ReadonlyArray<Uint8Array>): Promise<void> {
    this.tick('replaceTail', file);
    return super.replaceTail(file, offset, content);
  }
  override async rename(from: string, to: string): Promise<void> {
    this.tick('rename', `${from} -> ${to}`);
    return super.rename(from, to);
  }
  override async mkdirs(dir: string): Promise<void> {
    this.tick('mkdirs', dir);
    return super.mkdirs(dir);
  }
  override async remove(file: string): Promise<void> {
    this.tick('remove', file);
    return super.remove(file);
  }
}
