/**
 * Base files: `<fileId>_<writeToken>_<instantTime>.parquet`. The file id names the file group and never
 * changes; each rewrite of the group is a new file (a new file slice) with the writer's instant.
 */

/** A parsed base file, located by its path relative to the table base path. */
export interface BaseFile {
  readonly partitionPath: string;
  readonly fileId: string;
  readonly writeToken: string;
  readonly instant: string;
  readonly fileName: string;
  /** Relative to the table base path (`dt=2024-01-01/<name>`; just `<name>` when unpartitioned). */
  readonly path: string;
  /** Size in bytes when known (from write stats or a listing). */
  readonly size?: number;
}

const BASE_FILE = /^(.+)_(\d+-\d+-\d+)_(\d{14,})\.parquet$/;

/** Parses a base file name; undefined for anything else (partition metadata, log files, junk). */
export function parseBaseFileName(fileName: string, partitionPath: string, size?: number): BaseFile | undefined {
  if (fileName.startsWith('.')) return undefined;
  const m = BASE_FILE.exec(fileName);
  if (m === null) return undefined;
  const [, fileId, writeToken, instant] = m as unknown as [string, string, string, string];
  const path = partitionPath === '' ? fileName : `${partitionPath}/${fileName}`;
  return { partitionPath, fileId, writeToken, instant, fileName, path, ...(size === undefined ? {} : { size }) };
}

/** Parses a base file from its path relative to the table base path. */
export function parseBaseFilePath(relativePath: string, size?: number): BaseFile | undefined {
  const slash = relativePath.lastIndexOf('/');
  const partition = slash < 0 ? '' : relativePath.slice(0, slash);
  return parseBaseFileName(relativePath.slice(slash + 1), partition, size);
}

/** The file name of a new base file. `taskId` distinguishes the files of one commit. */
export function baseFileName(fileId: string, taskId: number, instant: string): string {
  return `${fileId}_${writeToken(taskId)}_${instant}.parquet`;
}

/** Hudi's write token `<taskPartitionId>-<stageId>-<attemptId>`; only its uniqueness matters to readers. */
export function writeToken(taskId: number): string {
  return `${taskId}-0-${taskId}`;
}

/** A fresh file id: a random UUID plus Hudi's `-0` bucket suffix. */
export function newFileId(uuid: string): string {
  return `${uuid}-0`;
}
