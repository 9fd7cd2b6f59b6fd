/**
 * The archived timeline (`.hoodie/archived/.commits_.archive.<n>_1-0-1`, Hudi's log format of Avro
 * HoodieArchivedMetaEntry records): read by every table load, since archived commits still name
 * files readers need, and appended to by the archiver (`services/archive.ts`). Errors name the
 * archive file; a missing (a gap in the versions), empty or truncated archive file is a
 * `TableFormatError`.
 */
import { TableFormatError } from '../../errors.ts';
import type { FileStore } from '../../storage/file-store.ts';
import { atomicTempTarget } from '../../storage/local-file-store.ts';
import { ARCHIVED_META_ENTRY_SCHEMA_JSON, type ArchivedMetaEntry, archivedCommitMetadata, archivedInstant } from '../../timeline/archived-entry.ts';
import type { CommitMetadata } from '../../timeline/commit-metadata.ts';
import { type Instant, WRITE_ACTIONS, compareInstants } from '../../timeline/instant.ts';
import { decodeLogBlocks } from '../../timeline/log-format.ts';
import { DEFAULT_ARCHIVE_FOLDER, archiveDir, archiveFilePath, archiveFileVersion, listedPath } from '../layout.ts';

/** An instant of the archived timeline. */
export interface ArchivedInstant extends Instant {
  /** For completed writes (and inflight plans): the commit metadata, as the active file had it. */
  readonly commitMetadata: CommitMetadata | undefined;
  readonly entry: ArchivedMetaEntry;
  /** The archive file it was read from. */
  readonly file: string;
}

/** The archive files in an archive folder, oldest version first. */
export async function archiveFiles(store: FileStore, dir: string): Promise<Array<{ path: string; version: number; size: number }>> {
  const files: Array<{ path: string; version: number; size: number }> = [];
  for (const entry of await store.list(dir)) {
    // A killed writer's temporary file (`.commits_.archive.N_1-0-1.<uuid>.tmp`) is not an archive file.
    const version = entry.isDirectory || atomicTempTarget(entry.name) !== undefined ? undefined : archiveFileVersion(entry.name);
    if (version !== undefined) files.push({ path: listedPath(dir, entry.name), version, size: entry.size });
  }
  return files.sort((a, b) => a.version - b.version || (a.path < b.path ? -1 : 1));
}

/** A whole file's bytes. */
export async function readAll(store: FileStore, file: string): Promise<Uint8Array> {
  return store.readBytes(file, 0, (await store.stat(file))?.size ?? 0);
}

/**
 * The archive files of a table, checked: versions run 1, 2, … with no gap (Hudi's archiver and ours
 * start at 1 and add one at each rollover) and none is empty (both write a file with its first
 * block). A gap or an empty file means archived instants are lost: a reader would silently miss
 * the files only they name, so it is a `TableFormatError` naming the file.
 */
async function checkedArchiveFiles(store: FileStore, basePath: string, folder: string): Promise<Array<{ path: string; version: number; size: number }>> {
  const dir = archiveDir(basePath, folder);
  const files = await archiveFiles(store, dir);
  files.forEach((f, i) => {
    const expected = i === 0 ? 1 : files[i - 1]!.version + 1;
    if (f.version > expected) {
      const missing = archiveFilePath(dir, expected);
      throw new TableFormatError(`table ${basePath}: archive file ${missing} is missing (${f.path} follows it); the archived instants it held are lost`, { table: basePath, file: missing });
    }
    if (f.size === 0) throw new TableFormatError(`table ${basePath}: archive file ${f.path} is empty; the archived instants it held are lost`, { table: basePath, file: f.path });
  });
  return files;
}

/**
 * The archived timeline of a table, oldest first: every entry of every archive file (Hudi's or
 * ours), one per (time, action, state), the later copy winning. Errors name the archive file; a
 * missing (a gap in the versions), empty or truncated archive file is a `TableFormatError`.
 */
export async function readArchivedTimeline(store: FileStore, basePath: string, folder = DEFAULT_ARCHIVE_FOLDER): Promise<ArchivedInstant[]> {
  const found = new Map<string, ArchivedInstant>();
  for (const { path: file } of await checkedArchiveFiles(store, basePath, folder)) {
    for (const block of decodeLogBlocks(await readAll(store, file), file)) {
      if (block.type !== 'avro_data') continue; // Hudi's archives hold nothing else; its readers skip the rest too
      for (const record of block.records) {
        // Older writers' schemas lack later fields: read them as null.
        const entry = { ...NULL_ENTRY, ...(record as Partial<ArchivedMetaEntry>) };
        const instant = archivedInstant(entry, file);
        const commitMetadata = WRITE_ACTIONS.has(instant.action) ? archivedCommitMetadata(entry) : undefined;
        found.set(`${instant.time}.${instant.action}.${instant.state}`, { ...instant, commitMetadata, entry, file });
      }
    }
  }
  return [...found.values()].sort((a, b) => compareInstants(a, b) || (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}

const NULL_ENTRY: ArchivedMetaEntry = Object.fromEntries(
  (JSON.parse(ARCHIVED_META_ENTRY_SCHEMA_JSON) as { fields: Array<{ name: string }> }).fields.map((f) => [f.name, null]),
) as unknown as ArchivedMetaEntry;
