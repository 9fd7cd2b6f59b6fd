/**
 * What the CLI's commands are given (`CliContext`): the output streams, the global flags, and ways
 * to open the engine, the metastore or a whole session. Declared apart from `main.ts`, which builds
 * it, so the commands and the program that registers them do not import each other.
 */
import type { ConfigFlags } from '../config/config.ts';
import type { CatalogProblem } from '../definitions/load-catalog.ts';
import type { Tidemark } from '../engine/tidemark.ts';
import type { Metastore } from '../metastore/metastore.ts';
import type { TidemarkSession } from '../session.ts';
import type { Logger } from '../logging/logger.ts';
import type { Progress } from './progress.ts';

/** Where the CLI writes; text is written as given (renderers end lines themselves). */
export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  /**
   * Streamed output (`read`, `sql`): writes to stdout and resolves once written, so a large result
   * waits for its reader instead of piling up in memory; resolves to false once the reader has gone
   * (a closed pipe), after which the command stops quietly. Optional: without it, streamed output
   * goes to `stdout` as text.
   */
  readonly write?: (chunk: string | Uint8Array) => Promise<boolean>;
}

/** What a command needs of the catalog (read-only commands use `withMetastore` or `withEngine`, which create nothing). */
export interface SessionNeeds {
  /**
   * `required`: the command runs pipelines, so a missing catalog directory or a module that fails to
   * load is an error. `lenient` (default): a broken module is a warning and is skipped.
   */
  readonly catalog?: 'required' | 'lenient';
}

/** What a command needs: the output streams, the global flags, and the engine or a whole session. */
export interface CliContext {
  readonly io: CliIo;
  /** `--metastore`, `--warehouse`, `--catalog` as given (env and defaults fill the rest). */
  flags(): ConfigFlags;
  withEngine<T>(fn: (tm: Tidemark) => Promise<T>): Promise<T>;
  /** The metastore alone (no engine, no catalog). */
  withMetastore<T>(fn: (metastore: Metastore) => Promise<T>, needs?: { readonly readOnly?: boolean }): Promise<T>;
  /** Engine, metastore and catalog, with the command's logger. */
  withSession<T>(fn: (session: TidemarkSession) => Promise<T>, needs?: SessionNeeds): Promise<T>;
  /** A table path, or a registered name (`sales.orders`) looked up in the metastore (never created). */
  tablePath(nameOrPath: string): Promise<string>;
  /** Prints a catalog module that was skipped. */
  warnCatalogProblem(problem: CatalogProblem): void;
  /** Sets the exit code for a command that completes but reports failure (a failed run, a stale pipeline). */
  setExitCode(code: number): void;
  /** The command's logger (stderr; level and format from `--log-level`, `--quiet`, `--log-format`). */
  logger(): Logger;
  /**
   * A progress line on the terminal (see `./progress.ts`); a no-op when stderr is not a terminal,
   * with `--quiet` or a stricter level, with JSON logs, or when output is captured (a custom `CliIo`).
   */
  startProgress(label: string): Progress;
}
