/**
 * The source port: where a pipeline's window of data comes from. A source decides the end of its
 * window (now for clocks, the upstream's latest commit for tables) and stages the window's rows
 * into a DuckDB table.
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
}
