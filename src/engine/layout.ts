/**
 * Where a table keeps its metadata: every path inside `.hoodie/` (and the partition metadata file
 * beside the data) is built here and nowhere else.
 *
 *   <base>/.hoodie/                              the active timeline (`metaDir`)
 *   <base>/.hoodie/hoodie.properties             the table config (`propertiesPath`)
 *   <base>/.hoodie/<time>.<action>[.<state>]     an instant in one state (`instantPath`)
 *   <base>/.hoodie/.temp/<time>/…marker.KIND     a write's markers (`markerDir`), and its files
 *                                                while they are written (`copyScratchDir`)
 *   <base>/.hoodie/archived/.commits_.archive.N_1-0-1   the archived timeline (`archiveDir`,
 *                                                `archiveFilePath`)
 *   <base>/.hoodie/.tidemark.lock                the writer lock (`tableLockPath`)
 *   <base>/<partition>/.hoodie_partition_metadata   a partition's metadata (`partitionMetadataPath`)
 */
import path from 'node:path';
import type { TableConfig } from '../table/table-config.ts';
import { type Instant, instantFileName } from '../timeline/instant.ts';

/** The metadata folder's name, directly under the base path. */
export const META_FOLDER = '.hoodie';

/** The archive folder when `hoodie.archivelog.folder` does not name one. */
export const DEFAULT_ARCHIVE_FOLDER = 'archived';

/** Folders `.hoodie/` is created with (as Hudi 0.x lays out a new table). */
export const META_SUBFOLDERS = ['.aux/.bootstrap/.partitions', '.aux/.bootstrap/.fileids', '.schema', '.temp', DEFAULT_ARCHIVE_FOLDER] as const;

/** `.hoodie` under a base path. */
export function metaDir(basePath: string): string {
  return path.join(basePath, META_FOLDER);
}

/** `.hoodie/hoodie.properties`. */
export function propertiesPath(basePath: string): string {
  return path.join(metaDir(basePath), 'hoodie.properties');
}

/** The timeline file of an instant in one state (layout 1 file names). */
export function instantPath(basePath: string, instant: Instant): string {
  return path.join(metaDir(basePath), instantFileName(instant));
}

/** A file directly in `.hoodie/`, by the name a listing gave. */
export function metaFilePath(basePath: string, name: string): string {
  return path.join(metaDir(basePath), name);
}

/** A file a listing of one of these folders gave, by its name. */
export function listedPath(dir: string, name: string): string {
  return path.join(dir, name);
}

/** `.hoodie/.temp`: every write's marker directory is in it. */
export function tempDir(basePath: string): string {
  return path.join(metaDir(basePath), '.temp');
}

/** `.hoodie/.temp/<instant>`: the markers of a write (and its files while they are written). */
export function markerDir(basePath: string, instant: string): string {
  return path.join(tempDir(basePath), instant);
}

/** Where a write's base files are written before they are renamed into place. */
export function copyScratchDir(basePath: string, instant: string): string {
  return path.join(markerDir(basePath, instant), '.tidemark-copy');
}

/** The archive folder a table's config names (`hoodie.archivelog.folder`, `archived` by default). */
export function archiveFolder(config: TableConfig): string {
  return config.properties.get('hoodie.archivelog.folder') || DEFAULT_ARCHIVE_FOLDER;
}

/** `.hoodie/<hoodie.archivelog.folder>` of a table. */
export function archiveDir(basePath: string, folder = DEFAULT_ARCHIVE_FOLDER): string {
  return path.join(metaDir(basePath), folder);
}

const ARCHIVE_FILE = /^\.commits_\.archive\.(\d+)(?:_(.+))?$/;
const ROLLOVER_TOKEN = '1-0-1'; // HoodieLogFormat.UNKNOWN_WRITE_TOKEN, which Hudi's archiver uses

/** Archive file `version` in an archive folder: `.commits_.archive.<version>_1-0-1`. */
export function archiveFilePath(dir: string, version: number): string {
  return path.join(dir, `.commits_.archive.${version}_${ROLLOVER_TOKEN}`);
}

/** The version of an archive file's name (any write token); undefined for other names. */
export function archiveFileVersion(name: string): number | undefined {
  const m = ARCHIVE_FILE.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** The writer lock file of a table. */
export function tableLockPath(basePath: string): string {
  return path.join(metaDir(basePath), '.tidemark.lock');
}

/** A partition's metadata file, in its directory (`partitionDir`, absolute). */
export function partitionMetadataPath(partitionDir: string): string {
  return path.join(partitionDir, '.hoodie_partition_metadata');
}
