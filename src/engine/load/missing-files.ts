/**
 * A base file the timeline names but the storage no longer holds (deleted by hand, lost with a disk,
 * copied partially) breaks every read and write that needs it, with DuckDB's bare "no such file".
 * When a read or write fails, `explainMissingBaseFile` checks the files it needed and, when one is
 * gone, turns the failure into a `TableFormatError` that names the file, the table and the commit
 * that wrote it, and says how to recover. Checking only after a failure costs nothing on the happy
 * path.
 */
import path from 'node:path';
import { TableFormatError } from '../../errors.ts';
import type { FileStore } from '../../storage/file-store.ts';
import type { BaseFile } from '../../table/base-file.ts';
import type { TableState } from './table-state.ts';

/** The first of `files` (relative to the table) that does not exist, or undefined. */
async function firstMissing(store: FileStore, basePath: string, files: ReadonlyArray<BaseFile>): Promise<BaseFile | undefined> {
  const found = await Promise.all(files.map((f) => store.exists(path.join(basePath, f.path))));
  const i = found.indexOf(false);
  return i < 0 ? undefined : files[i];
}

/**
 * `error` (a failed read or write of `state`'s table that needed `files`) when no file is missing;
 * otherwise a `TableFormatError` naming the missing file and its commit, with `error` as its cause.
 */
export async function explainMissingBaseFile(
  store: FileStore,
  state: TableState,
  files: ReadonlyArray<BaseFile>,
  doing: string,
  error: unknown,
): Promise<unknown> {
  let missing: BaseFile | undefined;
  try {
    missing = await firstMissing(store, state.basePath, files);
  } catch {
    return error; // the storage itself fails: the original error says more
  }
  if (missing === undefined) return error;
  const file = path.join(state.basePath, missing.path);
  return new TableFormatError(
    `base file ${file} of table ${state.config.name} (${state.basePath}), written by commit ${missing.instant}, is missing, so ${doing} cannot proceed. ` +
      `Put the file back, or restore the table to a savepoint older than ${missing.instant} (tidemark restore).`,
    { table: state.basePath, file, value: missing.instant, cause: error },
  );
}
