/**
 * Which base files a reader sees (Hudi's file-system view; format notes §10, shared/reference/hudi-format.md, outside this repository): per file group, the latest committed base file at
 * or before the read instant, leaving out groups that a replacecommit at or before that instant
 * replaced, and every file of an instant that never completed.
 */
import type { BaseFile } from './base-file.ts';

/** A file group's state at one instant: for copy-on-write, exactly one base file. */
export interface FileSlice {
  readonly partitionPath: string;
  readonly fileId: string;
  readonly baseFile: BaseFile;
}

/** A replacecommit's effect: the file groups it replaced, per partition. */
export interface Replacement {
  readonly instant: string;
  readonly partitionToReplaceFileIds: Readonly<Record<string, ReadonlyArray<string>>>;
}

/** Everything `fileSlicesAsOf` needs to know about the timeline. */
export interface SliceQuery {
  /** Times of completed write instants (commit, replacecommit, deltacommit). */
  readonly completed: ReadonlySet<string>;
  /** Replacecommits among the completed instants. */
  readonly replacements: ReadonlyArray<Replacement>;
  /** Read as of this instant (inclusive); latest when undefined. */
  readonly asOf?: string;
  /**
   * Instants older than this count as committed even when not in `completed`: their commit files
   * were archived (Hudi's `isFileSliceCommitted`).
   */
  readonly firstActiveInstant?: string;
}

/** The key of a file group: partition path and file id. */
export function fileGroupKey(partitionPath: string, fileId: string): string {
  return `${partitionPath}\u0000${fileId}`;
}

/** The visible file slices, one per live file group, ordered by partition then file id. */
export function fileSlicesAsOf(files: Iterable<BaseFile>, query: SliceQuery): FileSlice[] {
  const { completed, asOf, firstActiveInstant } = query;
  const replaced = new Set<string>();
  for (const r of query.replacements) {
    if (asOf !== undefined && r.instant > asOf) continue;
    for (const [partition, ids] of Object.entries(r.partitionToReplaceFileIds)) {
      for (const id of ids) replaced.add(fileGroupKey(partition, id));
    }
  }
  const latest = new Map<string, BaseFile>();
  for (const file of files) {
    if (asOf !== undefined && file.instant > asOf) continue;
    const committed = completed.has(file.instant) || (firstActiveInstant !== undefined && file.instant < firstActiveInstant);
    if (!committed) continue;
    const key = fileGroupKey(file.partitionPath, file.fileId);
    if (replaced.has(key)) continue;
    const seen = latest.get(key);
    if (seen === undefined || seen.instant < file.instant) latest.set(key, file);
  }
  return [...latest.values()]
    .map((baseFile) => ({ partitionPath: baseFile.partitionPath, fileId: baseFile.fileId, baseFile }))
    .sort((a, b) => (a.partitionPath === b.partitionPath ? cmp(a.fileId, b.fileId) : cmp(a.partitionPath, b.partitionPath)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
