/**
 * A table as loaded from storage: its config, timeline, the metadata of every completed write, and
 * the base files those writes name. Everything a read or a write plan needs, loaded once.
 */
import { StorageError, TableFormatError, TableNotFoundError } from '../../errors.ts';
import type { FileStore } from '../../storage/file-store.ts';
import { type BaseFile, parseBaseFilePath } from '../../table/base-file.ts';
import { type FileSlice, type Replacement, fileSlicesAsOf } from '../../table/file-slice.ts';
import { fromAvroSchema, type Schema } from '../../table/schema.ts';
import { type TableConfig, parseTableConfig } from '../../table/table-config.ts';
import { type CommitMetadata, parseCommitMetadata } from '../../timeline/commit-metadata.ts';
import { type Instant, WRITE_ACTIONS, parseInstantFileName } from '../../timeline/instant.ts';
import { archiveDir, archiveFolder, instantPath, metaDir, metaFilePath, propertiesPath } from '../layout.ts';
import { readArchivedTimeline } from './archived-timeline.ts';
import { pendingRestoreTarget } from './pending-restore.ts';
import { Timeline } from '../../timeline/timeline.ts';
import { mapConcurrent } from '../../util/concurrency.ts';

/** Commit files read at once while loading a table. */
const COMMIT_READS_AT_ONCE = 16;

/** Loads of a table tried when instant files keep disappearing between the listing and their read. */
const LOAD_ATTEMPTS = 8;

/** A loaded table. */
export interface TableState {
  readonly basePath: string;
  readonly config: TableConfig;
  /** Every instant: the active timeline and the completed writes moved to the archived timeline. */
  readonly timeline: Timeline;
  /** The instants in `.hoodie/` itself (what the archiver and the timeline's housekeeping work on). */
  readonly activeTimeline: Timeline;
  /** Metadata of each completed write instant, by instant time. */
  readonly commits: ReadonlyMap<string, CommitMetadata>;
  /** Every base file a completed write names (all slices, not just the latest). */
  readonly files: ReadonlyArray<BaseFile>;
  readonly replacements: ReadonlyArray<Replacement>;
  /**
   * While a restore is pending (running, or killed part-way): the savepoint it goes back to. Reads
   * see the table as of it, the state the restore is bound to reach (`pending-restore.ts`).
   */
  readonly restoringTo?: string;
}

/** An instant file listed in `.hoodie/` was gone when read: moved by the archiver, or undone. */
class InstantGone extends Error {
  constructor(readonly file: string, readonly error: unknown) {
    super(`${file} disappeared`);
  }
}

/** Reads a listed instant file; a failure with the file gone is an `InstantGone` (the load is retried). */
async function readListed<T>(store: FileStore, file: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(await store.exists(file))) throw new InstantGone(file, error);
    throw error;
  }
}

/**
 * Loads a table; `TableNotFoundError` when there is no `.hoodie/hoodie.properties`. The archiver
 * writes the archive before it deletes the instants it holds, so an instant file gone between the
 * listing and its read is found in the archive by a fresh listing: the load starts over (a few
 * times, then a `StorageError`).
 */
export async function loadTable(store: FileStore, basePath: string): Promise<TableState> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await loadOnce(store, basePath);
    } catch (error) {
      if (!(error instanceof InstantGone)) throw error;
      if (attempt >= LOAD_ATTEMPTS) {
        throw new StorageError(`loading the table at ${basePath} failed: instant files kept disappearing while it was read (${LOAD_ATTEMPTS} tries; the last, ${error.file}), as archiving, rollbacks or restores changed the timeline; try again`, {
          table: basePath,
          file: error.file,
          cause: error.error,
        });
      }
    }
  }
}

async function loadOnce(store: FileStore, basePath: string): Promise<TableState> {
  const propsFile = propertiesPath(basePath);
  // The listing is read beside the properties; it is used (and its failure raised) only once the
  // table is known to exist.
  const listing = store.list(metaDir(basePath));
  listing.catch(() => {});
  if (!(await store.exists(propsFile))) {
    throw new TableNotFoundError(`no Hudi table at ${basePath} (${propsFile} is missing)`, { table: basePath, file: propsFile });
  }
  const config = parseTableConfig(await store.readText(propsFile), propsFile);
  if (config.tableType !== 'COPY_ON_WRITE') {
    throw new TableFormatError(`table ${config.name} at ${basePath} is ${config.tableType}; Tidemark reads copy-on-write tables only`, {
      table: basePath,
      file: propsFile,
      value: config.tableType,
    });
  }
  const instants: Instant[] = [];
  for (const entry of await listing) {
    if (entry.isDirectory) continue;
    const instant = parseInstantFileName(entry.name);
    if (instant === undefined) continue;
    // Every completed instant carries its metadata (commit JSON, or Avro for clean, rollback,
    // savepoint, restore); only requested and inflight files may be empty. An empty one is damage
    // (a torn copy, a full disk): skipping it would read an older state and build on it.
    if (instant.state === 'COMPLETED' && entry.size === 0) {
      const file = metaFilePath(basePath, entry.name);
      throw new TableFormatError(`table ${config.name} at ${basePath}: completed instant ${file} is empty; restore it from a backup (if it is the latest write, deleting it makes the next write roll that commit back)`, {
        table: basePath,
        file,
      });
    }
    instants.push(instant);
  }
  const activeTimeline = new Timeline(instants);
  const commits = new Map<string, CommitMetadata>();
  // Commits moved to the archived timeline still name files readers need (the file groups they
  // wrote that no later commit rewrote), so their metadata is read back from the archive.
  const archived: Instant[] = [];
  const archivedWrites = new Set<string>(); // with or without metadata: known commits all the same
  const folder = archiveFolder(config);
  if ((await store.list(archiveDir(basePath, folder))).some((e) => !e.isDirectory)) {
    const active = new Set(activeTimeline.instants.map((i) => `${i.time}.${i.action}`));
    for (const a of await inTable(basePath, config.name, () => readArchivedTimeline(store, basePath, folder))) {
      if (a.state === 'COMPLETED' && WRITE_ACTIONS.has(a.action)) archivedWrites.add(a.time);
      if (a.state !== 'COMPLETED' || !WRITE_ACTIONS.has(a.action) || a.commitMetadata === undefined || active.has(`${a.time}.${a.action}`)) continue;
      archived.push({ time: a.time, action: a.action, state: 'COMPLETED' });
      commits.set(a.time, a.commitMetadata);
    }
  }
  const timeline = archived.length === 0 ? activeTimeline : new Timeline([...archived, ...activeTimeline.instants]);
  const files: BaseFile[] = [];
  const replacements: Replacement[] = [];
  // The active commits' metadata, read a few files at a time (a long active timeline is dozens).
  const unread = timeline.completedWrites().filter((i) => !commits.has(i.time));
  const commitFiles = unread.map((i) => instantPath(basePath, i));
  const texts = await mapConcurrent(commitFiles, COMMIT_READS_AT_ONCE, (file) => readListed(store, file, () => store.readText(file)));
  for (const [k, instant] of unread.entries()) {
    // Emptied since the listing (the listing's sizes are checked above): damage all the same.
    if (texts[k]!.trim() === '') throw new TableFormatError(`table ${config.name} at ${basePath}: completed instant ${commitFiles[k]!} is empty`, { table: basePath, file: commitFiles[k]! });
    commits.set(instant.time, await inTable(basePath, config.name, async () => parseCommitMetadata(texts[k]!, commitFiles[k]!)));
  }
  for (const instant of timeline.completedWrites()) {
    const metadata = commits.get(instant.time)!;
    for (const stats of Object.values(metadata.partitionToWriteStats)) {
      for (const stat of stats) {
        assertPrevCommitKnown(basePath, config.name, folder, instant, stat.prevCommit, (t) => commits.has(t) || archivedWrites.has(t));
        if (stat.path === null) continue;
        const base = parseBaseFilePath(stat.path, stat.fileSizeInBytes);
        if (base === undefined) {
          throw new TableFormatError(`commit ${instant.time} of ${basePath} names "${stat.path}", which is not a base file name`, { table: basePath, value: stat.path });
        }
        files.push(base);
      }
    }
    if (metadata.partitionToReplaceFileIds !== undefined) {
      replacements.push({ instant: instant.time, partitionToReplaceFileIds: metadata.partitionToReplaceFileIds });
    }
  }
  const restoringTo = await inTable(basePath, config.name, () => pendingRestoreTarget(store, basePath, timeline, (file, read) => readListed(store, file, read)));
  return { basePath, config, timeline, activeTimeline, commits, files, replacements, ...(restoringTo === undefined ? {} : { restoringTo }) };
}

/**
 * The evidence that archived commits are missing: a completed write that rewrote a file slice
 * (`prevCommit`, the slice's commit) names a commit that is on neither the active nor the
 * archived timeline. A commit cannot be rolled back or restored away while a later commit builds
 * on its slice, so such a commit was archived and its archive entry is lost (a deleted, emptied or
 * cut-short archive file): the files only it names would silently drop out of every read.
 */
function assertPrevCommitKnown(basePath: string, name: string, folder: string, instant: Instant, prevCommit: string, known: (time: string) => boolean): void {
  if (prevCommit === '' || prevCommit === 'null' || known(prevCommit)) return;
  const dir = archiveDir(basePath, folder);
  throw new TableFormatError(
    `table ${name} at ${basePath}: commit ${instant.time} rewrote a file of commit ${prevCommit}, which is neither on the active timeline nor in the archive ${dir}: archived commits are missing (an archive file was deleted, emptied or cut short)`,
    { table: basePath, file: dir, value: prevCommit },
  );
}

/** Runs `fn`; a `TableFormatError` it raises is raised again naming the table (its file kept). */
async function inTable<T>(basePath: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof TableFormatError) || error.table !== undefined) throw error;
    throw new TableFormatError(`table ${name} at ${basePath}: ${error.message}`, {
      table: basePath,
      ...(error.file === undefined ? {} : { file: error.file }),
      ...(error.value === undefined ? {} : { value: error.value }),
      cause: error,
    });
  }
}

/** The instant a read as of `asOf` (latest when undefined) sees: no later than a pending restore's savepoint. */
export function readInstant(state: TableState, asOf?: string): string | undefined {
  const cap = state.restoringTo;
  return cap === undefined || (asOf !== undefined && asOf <= cap) ? asOf : cap;
}

/** The file slices visible as of an instant (latest when undefined). */
export function visibleSlices(state: TableState, asOf?: string): FileSlice[] {
  const completed = new Set(state.timeline.completedWrites().map((i) => i.time));
  const at = readInstant(state, asOf);
  return fileSlicesAsOf(state.files, { completed, replacements: state.replacements, ...(at === undefined ? {} : { asOf: at }) });
}

/**
 * The table's data schema: from the latest commit's `extraMetadata.schema`, else from the create
 * schema; undefined for a table with neither (created but never written, with no schema given).
 */
export function tableSchema(state: TableState, asOf?: string): Schema | undefined {
  const at = readInstant(state, asOf);
  const writes = state.timeline.completedWrites().filter((i) => at === undefined || i.time <= at);
  for (let i = writes.length - 1; i >= 0; i--) {
    const schema = state.commits.get(writes[i]!.time)?.extraMetadata.schema;
    if (schema !== undefined && schema !== '') return fromAvroSchema(schema);
  }
  return state.config.createSchema === undefined ? undefined : fromAvroSchema(state.config.createSchema);
}
