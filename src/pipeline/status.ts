/**
 * `status --days N`: per pipeline, what its runs did over the last N days, its last run (whatever
 * its age), its watermark, how stale its target is, and how many rows the target holds. Built from
 * `pipeline_log` and the targets' commit metadata: no DuckDB, no data file is opened.
 */
import { DateTime } from 'luxon';
import { TableNotFoundError, messageOf } from '../errors.ts';
import { loadTable, visibleSlices } from '../engine/load/table-state.ts';
import type { PipelineRun, RunStatus } from '../metastore/metastore.ts';
import type { PipelineContext } from './context.ts';
import { splitTableName } from './definition.ts';

/** One pipeline's summary. */
export interface PipelineStatus {
  readonly pipeline: string;
  readonly target: string;
  /** Runs started in the window (the last `days` UTC days), and of them those that succeeded, failed, are running. */
  readonly runs: number;
  readonly successes: number;
  readonly failures: number;
  readonly running: number;
  /** The pipeline's latest run, however old (null: it never ran). */
  readonly lastStatus: RunStatus | null;
  readonly lastRunAt: Date | null;
  readonly lastRunId: string | null;
  /** Records the latest run processed (what it wrote to the target, or would have). */
  readonly lastRunRecords: number | null;
  /** The latest run's whole error text, when it FAILED. */
  readonly lastRunError: string | null;
  /** The error of the latest FAILED run in the window, even when a later run succeeded. */
  readonly lastError: string | null;
  /** End of the last SUCCESS window: where the next run starts (before lookback). */
  readonly watermark: Date | null;
  readonly lastSuccessAt: Date | null;
  /**
   * Records processed, summed over the window's runs. A replayed window or a failed run counts
   * again, so this is work done, not the size of the target: that is `targetRows`.
   */
  readonly recordsProcessed: number;
  /**
   * Record keys the window's runs left in two partitions of the target (a target without
   * `index: 'global'` keeps a record whose partition value changed in both), summed over the runs.
   */
  readonly keysInTwoPartitions: number;
  /**
   * A stream source's position as its latest run that recorded one left it: the checkpoint, the
   * messages waiting then (lag, as of that run's start: what `maxRecords` left for later), and the
   * messages skipped over the window's runs (checkpoints out of range). Absent for other sources.
   */
  readonly stream?: { readonly checkpoint: string; readonly lag: number; readonly at: Date; readonly skipped: number };
  /** Rows in the target table now; null when it does not exist yet (or could not be read: `targetRowsError`). */
  readonly targetRows: number | null;
  /** Why `targetRows` is null although the target is registered (a damaged or unreadable table). */
  readonly targetRowsError: string | null;
  readonly meanDurationSeconds: number | null;
  readonly lastDurationSeconds: number | null;
  /** Seconds since the last SUCCESS ended; null when there never was one. */
  readonly staleSeconds: number | null;
  /** One entry per day, oldest first: `S` all succeeded, `F` some failed, `R` running, `.` no run. */
  readonly days: ReadonlyArray<{ readonly date: string; readonly outcome: 'S' | 'F' | 'R' | '.' }>;
}

/** What `pipelineStatus` reads: the log and registry, the targets' metadata, the catalog's names, the time. */
export type StatusContext = Pick<PipelineContext, 'metastore' | 'pipelines' | 'clock' | 'store'>;

/** Summaries of the catalog's pipelines (and any others found in the log) over the last `days` days. */
export async function pipelineStatus(ctx: StatusContext, options: { readonly days: number; readonly pipeline?: string }): Promise<PipelineStatus[]> {
  const now = DateTime.fromJSDate(ctx.clock.now().toJSDate(), { zone: 'utc' });
  const since = now.startOf('day').minus({ days: options.days - 1 });
  const runs = await ctx.metastore.runs({ ...(options.pipeline === undefined ? {} : { pipelineName: options.pipeline }), since: since.toJSDate() });
  const names = new Set([...runs.map((r) => r.pipelineName), ...(options.pipeline === undefined ? ctx.pipelines.keys() : [options.pipeline])]);
  const out: PipelineStatus[] = [];
  for (const name of [...names].sort()) {
    const mine = runs.filter((r) => r.pipelineName === name);
    // The latest run is asked for apart from the window: a pipeline whose last run failed three weeks
    // ago has still failed, whatever `--days` says.
    const [last] = await ctx.metastore.runs({ pipelineName: name, newestFirst: true, limit: 1 });
    const lastSuccess = await ctx.metastore.lastSuccess(name);
    const lastFailure = [...mine].reverse().find((r) => r.status === 'FAILED');
    const durations = mine.map((r) => r.processingTimeSeconds).filter((d): d is number => d !== null);
    const days = Array.from({ length: options.days }, (_, i) => {
      const day = since.plus({ days: i });
      const today = mine.filter((r) => DateTime.fromJSDate(r.startedAt, { zone: 'utc' }).hasSame(day, 'day'));
      const outcome = today.length === 0 ? '.' : today.some((r) => r.status === 'FAILED') ? 'F' : today.some((r) => r.status === 'RUNNING') ? 'R' : 'S';
      return { date: day.toISODate()!, outcome } as const;
    });
    const target = ctx.pipelines.get(name)?.target.table ?? last?.targetTable ?? '';
    const positioned = [last, ...[...mine].reverse()].find((r) => r?.sourceCheckpoint != null);
    const rows = await targetRows(ctx, target);
    out.push({
      pipeline: name,
      target,
      runs: mine.length,
      successes: count(mine, 'SUCCESS'),
      failures: count(mine, 'FAILED'),
      running: count(mine, 'RUNNING'),
      lastStatus: last?.status ?? null,
      lastRunAt: last?.startedAt ?? null,
      lastRunId: last?.runId ?? null,
      lastRunRecords: last?.recordsProcessed ?? null,
      lastRunError: last?.status === 'FAILED' ? (last.errorMessage ?? '(no error message was recorded)') : null,
      lastError: lastFailure?.errorMessage ?? null,
      watermark: lastSuccess?.currentRunTimestamp ?? null,
      lastSuccessAt: lastSuccess?.endedAt ?? null,
      recordsProcessed: mine.reduce((a, r) => a + r.recordsProcessed, 0),
      keysInTwoPartitions: mine.reduce((a, r) => a + r.keysInTwoPartitions, 0),
      ...(positioned === undefined ? {} : {
        stream: { checkpoint: positioned.sourceCheckpoint!, lag: positioned.sourceLag ?? 0, at: positioned.startedAt, skipped: mine.reduce((a, r) => a + (r.sourceSkipped ?? 0), 0) },
      }),
      targetRows: rows.rows,
      targetRowsError: rows.error,
      meanDurationSeconds: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length,
      lastDurationSeconds: last?.processingTimeSeconds ?? null,
      staleSeconds: lastSuccess?.endedAt ? Math.max(0, (now.toMillis() - lastSuccess.endedAt.getTime()) / 1000) : null,
      days,
    });
  }
  return out;
}

/**
 * Rows in a registered table, from its commit metadata: each base file a reader sees was written by
 * one commit, whose write stat gives the file's row count (`numWrites`: every record in the new file,
 * carried-over ones included, as Hudi writes it). Exact for the latest snapshot, and costs what
 * loading the timeline costs (the `.hoodie/` listing and the commit JSON), where a `count(*)` would
 * open DuckDB and every file's footer. A table not registered, or registered but gone from disk, has
 * no rows to show (null, no error); one that cannot be loaded says why.
 */
async function targetRows(ctx: StatusContext, table: string): Promise<{ rows: number | null; error: string | null }> {
  if (!/^[^.]+\.[^.]+$/.test(table)) return { rows: null, error: null }; // a log row from another writer, with a bare name
  const { database, name } = splitTableName(table);
  const registered = await ctx.metastore.getTable(database, name);
  if (registered === undefined) return { rows: null, error: null };
  try {
    const state = await loadTable(ctx.store, registered.basePath);
    const written = new Map<string, number>();
    for (const commit of state.commits.values()) {
      for (const stats of Object.values(commit.partitionToWriteStats)) {
        for (const s of stats) if (s.path !== null) written.set(s.path, s.numWrites);
      }
    }
    let rows = 0;
    for (const slice of visibleSlices(state)) {
      const n = written.get(slice.baseFile.path);
      if (n === undefined) return { rows: null, error: `no commit of ${table} gives the row count of ${slice.baseFile.path}` };
      rows += n;
    }
    return { rows, error: null };
  } catch (error) {
    if (error instanceof TableNotFoundError) return { rows: null, error: null };
    return { rows: null, error: `could not count the rows of ${table} at ${registered.basePath}: ${messageOf(error)}` };
  }
}

function count(runs: ReadonlyArray<PipelineRun>, status: RunStatus): number {
  return runs.filter((r) => r.status === status).length;
}
