/**
 * The commit metadata of a write, as Hudi 0.x writes it: the plan's write stats for `T.inflight`
 * (file ids of rewritten groups, counts, no paths yet), and the written files' stats for `T.commit`.
 */
import type { CommitMetadata, OperationType, WriteStat } from '../../timeline/commit-metadata.ts';
import { emptyRecord } from '../../util/record.ts';
import type { WrittenFile } from './base-file-writer.ts';
import type { WritePlan } from './write-plan.ts';

/** The inflight plan: one write stat per target file group. */
export function planMetadata(plan: WritePlan, extraMetadata: Record<string, string>, operationType: OperationType): CommitMetadata {
  const stats: Record<string, WriteStat[]> = emptyRecord();
  for (const g of plan.groups) {
    (stats[g.partitionPath] ??= []).push({
      fileId: g.previous ? g.fileId : '',
      path: null,
      prevCommit: g.previous?.instant ?? 'null',
      numWrites: 0,
      numDeletes: g.deletes,
      numUpdateWrites: g.updates,
      numInserts: g.inserts,
      totalWriteBytes: 0,
      partitionPath: null,
      fileSizeInBytes: 0,
    });
  }
  return { partitionToWriteStats: stats, compacted: false, extraMetadata, operationType };
}

/** The completed commit: one write stat per written file, and the replaced file groups when any. */
export function commitMetadata(
  written: ReadonlyArray<WrittenFile>,
  extraMetadata: Record<string, string>,
  operationType: OperationType,
  replaced: Readonly<Record<string, ReadonlyArray<string>>>,
): CommitMetadata {
  const stats: Record<string, WriteStat[]> = emptyRecord();
  for (const w of written) {
    (stats[w.group.partitionPath] ??= []).push({
      fileId: w.group.fileId,
      path: w.path,
      prevCommit: w.group.previous?.instant ?? 'null',
      numWrites: w.rows,
      numDeletes: w.group.deletes,
      numUpdateWrites: w.group.updates,
      numInserts: w.group.inserts,
      totalWriteBytes: w.bytes,
      partitionPath: w.group.partitionPath,
      fileSizeInBytes: w.bytes,
      runtimeStats: { totalScanTime: 0, totalUpsertTime: 0, totalCreateTime: 0 },
    });
  }
  const metadata = { partitionToWriteStats: stats, compacted: false, extraMetadata, operationType };
  return Object.keys(replaced).length === 0 && operationType !== 'INSERT_OVERWRITE_TABLE' ? metadata : { ...metadata, partitionToReplaceFileIds: replaced };
}
