/**
 * The file-system port. Paths are absolute; the engine composes them. Adapters must make
 * `writeAtomic` all-or-nothing (readers never see a partial file) and `createExclusive` fail when
 * the file exists, which is how two writers racing for the same instant find out.
 */

/** One directory entry. */
export interface FileEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly size: number;
  readonly modifiedMs: number;
}

/** File operations the engine needs. */
export interface FileStore {
  exists(path: string): Promise<boolean>;
  readText(path: string): Promise<string>;
  /** Writes through a temporary file and a rename, after fsync. */
  writeAtomic(path: string, content: string | Uint8Array): Promise<void>;
  /** Appends to a file, creating it when absent (no atomicity: for scratch files). */
  append(path: string, content: string): Promise<void>;
  /** Creates a new file; fails with `FileExistsError` if it exists. */
  createExclusive(path: string, content: string | Uint8Array): Promise<void>;
  /** Entries of a directory; empty when it does not exist. */
  list(dir: string): Promise<FileEntry[]>;
  /** Names in a directory, without stat'ing them (cheap); empty when it does not exist. */
  listNames(dir: string): Promise<string[]>;
  size(path: string): Promise<number>;
  /** Size and modification time; undefined when the file does not exist. */
  stat(path: string): Promise<{ size: number; modifiedMs: number } | undefined>;
  /** Up to `length` bytes from `offset` (fewer at the end of the file). */
  readBytes(path: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Overwrites the file from `offset` on with `content` (its arrays one after another) and cuts it
   * there: the file ends up as its first `offset` bytes followed by `content` (used to replace a
   * Parquet footer in place).
   */
  replaceTail(path: string, offset: number, content: ReadonlyArray<Uint8Array>): Promise<void>;
  /** Moves a file, replacing `to` if it exists and creating its directory (one rename on one volume). */
  rename(from: string, to: string): Promise<void>;
  mkdirs(dir: string): Promise<void>;
  /** Removes a file or a directory tree; no error when absent. */
  remove(path: string): Promise<void>;
}
