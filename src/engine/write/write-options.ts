/** The options and the result of one write (`Tidemark.write`, `write.ts`). */
import type { NewTableOptions } from '../../table/table-config.ts';
import type { RecordCounts, WriteOperation } from './write-plan.ts';

/** Options of one write (`Tidemark.write`). Every field but `operation` is optional. */
export interface WriteOptions {
  /** What the batch does: `upsert`, `insert`, `bulk_insert`, `delete` or `insert_overwrite_table` (see `WRITE_OPERATIONS`). */
  readonly operation: WriteOperation;
  /** Creates the table on first write; ignored when it exists. Default: none (writing a missing table fails). */
  readonly create?: NewTableOptions;
  /** Added to the commit's `extraMetadata` (pipelines record their window here); default: none. */
  readonly extraMetadata?: Readonly<Record<string, string>>;
  /**
   * Drops updates whose ordering value and every column equal the stored version, so replaying a
   * window writes nothing (Hudi itself rewrites such ties; pipelines set this). Default: false.
   */
  readonly dropUnchanged?: boolean;
  /**
   * Told how far the write has got, for a progress display; it changes nothing of the write. An
   * exception it throws becomes one of the result's warnings. Default: none.
   */
  readonly onProgress?: (progress: WriteProgress) => void;
  /**
   * Upserts only: keys are unique across partitions, and a record whose partition changed moves
   * (`global-index.ts`). Default: false (Hudi's default index: keys unique within a partition).
   */
  readonly globalIndex?: boolean;
  /**
   * Commits even when the batch changes nothing (no row to write, or all unchanged or older), so
   * the commit publishes its `extraMetadata` (a stream's checkpoint: the messages were consumed).
   * Hudi allows such empty commits. The table must exist. Default: false (nothing to commit, no commit).
   */
  readonly commitEmpty?: boolean;
}

/**
 * A step of a write: `planning` once the batch is read and checked (`rows` in it), `writing` while
 * the commit's `files` are written, `committing` once they are.
 */
export interface WriteProgress {
  /** How far the write has got. */
  readonly stage: 'planning' | 'writing' | 'committing';
  /** Rows in the batch (a count of rows). */
  readonly rows: number;
  /** Base files written so far (a count of files). */
  readonly files: number;
}

/** What a write did. `instant` is undefined when there was nothing to commit. */
export interface CommitResult extends RecordCounts {
  /** The table's base path (absolute). */
  readonly basePath: string;
  /** The commit's instant time (`yyyyMMddHHmmssSSS`); undefined when there was nothing to commit. */
  readonly instant: string | undefined;
  /** The operation written. */
  readonly operation: WriteOperation;
  /** File groups an `insert_overwrite_table` replaced (a count; 0 for other operations). */
  readonly replacedFileGroups: number;
  /** Base files the commit wrote (a count of files). */
  readonly filesWritten: number;
  /** The base files the commit wrote, relative to `basePath`. */
  readonly files: ReadonlyArray<string>;
  /** Columns the batch added to the table's schema (schema evolution); empty when none. */
  readonly addedColumns: ReadonlyArray<string>;
  /** Columns whose type the batch widened (e.g. int32 to int64); empty when none. */
  readonly widenedColumns: ReadonlyArray<string>;
  /** With `globalIndex`: records whose partition changed (a count of records), each also counted as a delete (old copy) and an insert or update. */
  readonly moved?: number;
  /**
   * Without `globalIndex` (Hudi's default index, keys unique within a partition): keys this write
   * inserted into a partition while another partition holds the same key after the commit, so
   * readers see two records for each (see `partition-duplicates.ts`). 0 for unpartitioned tables.
   */
  readonly keysInTwoPartitions: number;
  /**
   * Steps after the commit landed that failed (removing markers, clean, archive, releasing the
   * lock), each with its cause; absent when there were none. The write itself succeeded.
   */
  readonly warnings?: ReadonlyArray<string>;
}
