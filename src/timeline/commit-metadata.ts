/**
 * HoodieCommitMetadata as Hudi 0.x writes it in `T.commit`, `T.inflight` and `T.replacecommit` (JSON).
 * Field names and order follow the v6 fixtures so Spark, Trino and hudi-rs read our commits.
 */
import { TableFormatError, messageOf } from '../errors.ts';
import { emptyRecord } from '../util/record.ts';

/** Hudi operation types Tidemark writes or reads. */
export const OPERATION_TYPES = [
  'INSERT',
  'UPSERT',
  'BULK_INSERT',
  'DELETE',
  'INSERT_OVERWRITE',
  'INSERT_OVERWRITE_TABLE',
  'DELETE_PARTITION',
  'UPSERT_PREPPED',
  'INSERT_PREPPED',
  'DELETE_PREPPED',
  'CLUSTER',
  'COMPACT',
  'UNKNOWN',
] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/** One written (or planned) file slice, HoodieWriteStat. */
export interface WriteStat {
  readonly fileId: string;
  /** Relative to the table base path; null in an inflight plan. */
  readonly path: string | null;
  /** Instant of the file group's previous slice, or the string "null" for a new file group. */
  readonly prevCommit: string;
  readonly numWrites: number;
  readonly numDeletes: number;
  readonly numUpdateWrites: number;
  readonly numInserts: number;
  readonly totalWriteBytes: number;
  readonly partitionPath: string | null;
  readonly fileSizeInBytes: number;
  readonly runtimeStats?: { readonly totalScanTime: number; readonly totalUpsertTime: number; readonly totalCreateTime: number } | null;
}

/** The content of a commit or replacecommit file. */
export interface CommitMetadata {
  readonly partitionToWriteStats: Readonly<Record<string, ReadonlyArray<WriteStat>>>;
  readonly compacted: boolean;
  readonly extraMetadata: Readonly<Record<string, string>>;
  readonly operationType: OperationType | string;
  /** Only in replacecommits: file groups (by partition) that this instant logically deletes. */
  readonly partitionToReplaceFileIds?: Readonly<Record<string, ReadonlyArray<string>>>;
}

/** Serializes commit metadata with every HoodieWriteStat field Hudi writes, in Hudi's order. */
export function serializeCommitMetadata(metadata: CommitMetadata): string {
  const stats: Record<string, unknown[]> = emptyRecord();
  for (const [partition, list] of Object.entries(metadata.partitionToWriteStats)) {
    stats[partition] = list.map((s) => ({
      fileId: s.fileId,
      path: s.path,
      cdcStats: null,
      prevCommit: s.prevCommit,
      numWrites: s.numWrites,
      numDeletes: s.numDeletes,
      numUpdateWrites: s.numUpdateWrites,
      numInserts: s.numInserts,
      totalWriteBytes: s.totalWriteBytes,
      totalWriteErrors: 0,
      tempPath: null,
      partitionPath: s.partitionPath,
      totalLogRecords: 0,
      totalLogFilesCompacted: 0,
      totalLogSizeCompacted: 0,
      totalUpdatedRecordsCompacted: 0,
      totalLogBlocks: 0,
      totalCorruptLogBlock: 0,
      totalRollbackBlocks: 0,
      fileSizeInBytes: s.fileSizeInBytes,
      minEventTime: null,
      maxEventTime: null,
      runtimeStats: s.runtimeStats ?? null,
    }));
  }
  const out: Record<string, unknown> = {
    partitionToWriteStats: stats,
    compacted: metadata.compacted,
    extraMetadata: metadata.extraMetadata,
    operationType: metadata.operationType,
  };
  if (metadata.partitionToReplaceFileIds !== undefined) out.partitionToReplaceFileIds = metadata.partitionToReplaceFileIds;
  return JSON.stringify(out, null, 2);
}

/** Parses a commit/replacecommit/inflight JSON file; `file` names it in errors. */
export function parseCommitMetadata(text: string, file: string): CommitMetadata {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new TableFormatError(`commit metadata ${file} is not valid JSON: ${messageOf(error)}`, { file, cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TableFormatError(`commit metadata ${file} is not a JSON object`, { file });
  }
  const obj = raw as Record<string, unknown>;
  const statsRaw = obj.partitionToWriteStats ?? {};
  if (typeof statsRaw !== 'object' || statsRaw === null) {
    throw new TableFormatError(`commit metadata ${file}: partitionToWriteStats is not an object`, { file });
  }
  const partitionToWriteStats: Record<string, WriteStat[]> = emptyRecord();
  for (const [partition, list] of Object.entries(statsRaw as Record<string, unknown>)) {
    if (!Array.isArray(list)) {
      throw new TableFormatError(`commit metadata ${file}: write stats of partition "${partition}" are not a list`, { file });
    }
    partitionToWriteStats[partition] = list.map((s) => parseWriteStat(s, file));
  }
  const extra = (obj.extraMetadata ?? {}) as Record<string, unknown>;
  const extraMetadata: Record<string, string> = emptyRecord();
  for (const [k, v] of Object.entries(extra)) if (typeof v === 'string') extraMetadata[k] = v;
  const result: CommitMetadata = {
    partitionToWriteStats,
    compacted: obj.compacted === true,
    extraMetadata,
    operationType: typeof obj.operationType === 'string' ? obj.operationType : 'UNKNOWN',
  };
  const replaced = obj.partitionToReplaceFileIds;
  if (replaced !== undefined && replaced !== null) {
    return { ...result, partitionToReplaceFileIds: replaced as Record<string, string[]> };
  }
  return result;
}

function parseWriteStat(value: unknown, file: string): WriteStat {
  if (typeof value !== 'object' || value === null) {
    throw new TableFormatError(`commit metadata ${file}: a write stat is not an object`, { file });
  }
  const s = value as Record<string, unknown>;
  const num = (k: string): number => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  return {
    fileId: typeof s.fileId === 'string' ? s.fileId : '',
    path: typeof s.path === 'string' ? s.path : null,
    prevCommit: typeof s.prevCommit === 'string' ? s.prevCommit : 'null',
    numWrites: num('numWrites'),
    numDeletes: num('numDeletes'),
    numUpdateWrites: num('numUpdateWrites'),
    numInserts: num('numInserts'),
    totalWriteBytes: num('totalWriteBytes'),
    partitionPath: typeof s.partitionPath === 'string' ? s.partitionPath : null,
    fileSizeInBytes: num('fileSizeInBytes'),
  };
}
