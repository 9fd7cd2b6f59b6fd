/**
 * The source port: where a pipeline's window of data comes from. A source decides the end of its
 * window (now for clocks, the upstream's latest commit for tables) and stages the window's rows
 * into a DuckDB table. When a later step fails on a value, the source says which of its rows the
 * value came from (a file and row, a query's result row, a table's record key), because only the
 * source knows.
 */
import type { Tidemark } from '../../engine/tidemark.ts';
import type { FileStore } from '../../storage/file-store.ts';
import type { Window } from '../window.ts';

/** What sources may use. */
export interface SourceContext {
  readonly engine: Tidemark;
  readonly store: FileStore;
  readonly warehouse: string;
  /** The base path of a registered table, or undefined. */
  readonly tablePath: (name: string) => Promise<string | undefined>;
}

/** A pipeline's source. */
export interface Source {
  /** The window's end given the run's clock: `now`, or what the source actually holds. */
  windowEnd(now: Date): Promise<Date>;
  /** Creates `target` with the window's rows; returns how many, or undefined when there was nothing to read (no table created). */
  extract(window: Window, target: string): Promise<number | undefined>;
  /**
   * The source in words for messages: the files, the PostgreSQL table or query (after `extract`,
   * the query it ran), the Tidemark table and its commit range.
   */
  describe(): string;
  /**
   * Where the first row (in source order) of the extracted `target` matching `predicate` (SQL over
   * its columns) came from: `/data/orders.csv row 2 (line 3)`, a PostgreSQL result's row, a
   * Tidemark record key and commit; undefined when no row matches. Called after `extract`, while
   * `target` exists, to point a failed transform or write at the source row behind it.
   */
  locate(target: string, predicate: string): Promise<string | undefined>;
}
