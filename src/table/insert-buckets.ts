/**
 * Where new records go (Hudi's UpsertPartitioner; format notes §9, shared/reference/hudi-format.md, outside this repository): first into the partition's small
 * file groups, each up to the max file size, then into new file groups of at most
 * `maxFileSize / avgRecordSize` records. Pure arithmetic; the engine does the moving.
 */
import { DEFAULT_RECORD_SIZE_ESTIMATE } from './table-config.ts';

/** A file group of the partition, by its latest slice's size. */
export interface SizedFileGroup {
  readonly fileId: string;
  readonly size: number;
}

/** A share of a partition's inserts: into an existing file group, or a new one when `fileId` is undefined. */
export interface InsertBucket {
  readonly fileId: string | undefined;
  readonly count: number;
}

/** Sizing rules of the table. */
export interface SizingRules {
  readonly smallFileLimit: number;
  readonly maxFileSize: number;
  readonly avgRecordSize: number;
}

/** Splits `inserts` records of one partition into buckets. `smallFileLimit <= 0` disables packing. */
export function assignInserts(inserts: number, groups: ReadonlyArray<SizedFileGroup>, rules: SizingRules): InsertBucket[] {
  const buckets: InsertBucket[] = [];
  let left = inserts;
  const recordSize = Math.max(1, rules.avgRecordSize);
  if (rules.smallFileLimit > 0) {
    const small = groups.filter((g) => g.size < rules.smallFileLimit).sort((a, b) => a.size - b.size || (a.fileId < b.fileId ? -1 : 1));
    for (const g of small) {
      if (left <= 0) break;
      const capacity = Math.floor((rules.maxFileSize - g.size) / recordSize);
      if (capacity <= 0) continue;
      const count = Math.min(capacity, left);
      buckets.push({ fileId: g.fileId, count });
      left -= count;
    }
  }
  const perFile = Math.max(1, Math.floor(rules.maxFileSize / recordSize));
  while (left > 0) {
    const count = Math.min(perFile, left);
    buckets.push({ fileId: undefined, count });
    left -= count;
  }
  return buckets;
}

/** A completed commit's totals, for the record size estimate. */
export interface CommitTotals {
  readonly totalWriteBytes: number;
  readonly totalRecords: number;
}

/**
 * Hudi's average record size: from the newest commit that wrote more than `smallFileLimit` bytes,
 * bytes / records rounded up; else the default estimate (1024).
 */
export function averageRecordSize(newestFirst: ReadonlyArray<CommitTotals>, smallFileLimit: number): number {
  for (const c of newestFirst) {
    if (c.totalWriteBytes > smallFileLimit && c.totalRecords > 0) return Math.ceil(c.totalWriteBytes / c.totalRecords);
  }
  return DEFAULT_RECORD_SIZE_ESTIMATE;
}
