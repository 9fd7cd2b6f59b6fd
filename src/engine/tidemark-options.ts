/**
 * The option and result types of the engine's facade (`tidemark.ts`, which re-exports them).
 */
import type { FileStore } from '../storage/file-store.ts';
import type { Clock } from '../time/clock.ts';
import type { WarningSink } from './context.ts';
import type { TableState } from './load/table-state.ts';
import type { ReadOptions } from './read/read.ts';

/** A table read by a query (what `Tidemark.expandSql` collects), for naming a missing base file when the query fails. */
export interface ScannedTable {
  /** The table's base path, as resolved from the `tidemark_scan` address. */
  readonly path: string;
  /** The read's options (from the scan's `as_of`, `since`, `until` arguments). */
  readonly options: ReadOptions;
  /** The table as the query's SQL was built from it. */
  readonly state?: TableState;
}

/** Options of an engine (`Tidemark.open`). Every field is optional. */
export interface TidemarkOptions {
  /** Where instant times come from; default: `systemClock` (the system's time, UTC). */
  readonly clock?: Clock;
  /** Where tables are stored; default: the local file system. */
  readonly store?: FileStore;
  /** Base files of one commit written at once (a count of files; default 2). */
  readonly writeConcurrency?: number;
  /** DuckDB threads (a count; default: DuckDB's, the number of cores). */
  readonly threads?: number;
  /**
   * DuckDB's memory limit, in DuckDB's notation (bytes with a unit: `'512MB'`, `'2GB'`, `'1GiB'`);
   * what exceeds it spills to disk. Default: 1 GiB, or a quarter of the machine's memory when that
   * is less (at least 256 MiB).
   */
  readonly memoryLimit?: string;
  /** Receives warnings (steps after a commit landed that failed); default: one line on stderr. */
  readonly onWarning?: WarningSink;
}

/** Options of `lookup`. */
export interface LookupOptions {
  /** Search only this partition (its path, e.g. `dt=2024-01-01`); default: every partition. */
  readonly partitionPath?: string;
  /** Look up the records as of this instant (`yyyyMMddHHmmss[SSS]` or an ISO date/time) instead of the latest (the default). */
  readonly asOf?: string;
}

/** What `savepoint` did. */
export interface SavepointResult {
  /** The commit pinned. */
  readonly instant: string;
  /** Base files the savepoint keeps (a count of files). */
  readonly files: number;
}

/** What `restore` did. */
export interface RestoreResult {
  /** The `restore` instant recorded. */
  readonly restoreInstant: string;
  /** The commits undone, latest first. */
  readonly rolledBack: string[];
}
