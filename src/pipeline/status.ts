/**
 * `status --days N`: per pipeline, what its runs did over the last N days, its watermark, and how
 * stale its target is. Built from `pipeline_log` alone, so it answers without touching tables.
 */
import { DateTime } from 'luxon';
import type { PipelineRun, RunStatus } from '../metastore/metastore.ts';
import type { PipelineContext } from './context.ts';

/** One pipeline's summary. */
export interface PipelineStatus {
  readonly pipeline: string;
  readonly target: string;
  readonly runs: number;
  readonly successes: number;
  readonly failures: number;
  readonly running: number;
  readonly lastStatus: RunStatus | null;
  readonly lastRunAt: Date | null;
  readonly lastError: string | null;
  /** End of the last SUCCESS window: where the next run starts (before lookback). */
  readonly watermark: Date | null;
  readonly lastSuccessAt: Date | null;
  readonly recordsProcessed: number;
  readonly meanDurationSeconds: number | null;
  readonly lastDurationSeconds: number | null;
  /** Seconds since the last SUCCESS ended; null when there never was one. */
  readonly staleSeconds: number | null;
  /** One entry per day, oldest first: `S` all succeeded, `F` some failed, `R` running, `.` no run. */
  readonly days: ReadonlyArray<{ readonly date: string; readonly outcome: 'S' | 'F' | 'R' | '.' }>;
}

/** Summaries of the catalog's pipelines (and any others found in the log) over the last `days` days. */
export async function pipelineStatus(ctx: Pick<PipelineContext, 'metastore' | 'pipelines' | 'clock'>, options: { readonly days: number; readonly pipeline?: string }): Promise<PipelineStatus[]> {
  const now = DateTime.fromJSDate(ctx.clock.now().toJSDate(), { zone: 'utc' });
  const since = now.startOf('day').minus({ days: options.days - 1 });
  const runs = await ctx.metastore.runs({ ...(options.pipeline === undefined ? {} : { pipelineName: options.pipeline }), since: since.toJSDate() });
  const names = new Set([...runs.map((r) => r.pipelineName), ...(options.pipeline === undefined ? ctx.pipelines.keys() : [options.pipeline])]);
  const out: PipelineStatus[] = [];
  for (const name of [...names].sort()) {
    const mine = runs.filter((r) => r.pipelineName === name);
    const last = mine.at(-1);
    const lastSuccess = await ctx.metastore.lastSuccess(name);
    const lastFailure = [...mine].reverse().find((r) => r.status === 'FAILED');
    const durations = mine.map((r) => r.processingTimeSeconds).filter((d): d is number => d !== null);
    const days = Array.from({ length: options.days }, (_, i) => {
      const day = since.plus({ days: i });
      const today = mine.filter((r) => DateTime.fromJSDate(r.startedAt, { zone: 'utc' }).hasSame(day, 'day'));
      const outcome = today.length === 0 ? '.' : today.some((r) => r.status === 'FAILED') ? 'F' : today.some((r) => r.status === 'RUNNING') ? 'R' : 'S';
      return { date: day.toISODate()!, outcome } as const;
    });
    out.push({
      pipeline: name,
      target: ctx.pipelines.get(name)?.target.table ?? last?.targetTable ?? '',
      runs: mine.length,
      successes: count(mine, 'SUCCESS'),
      failures: count(mine, 'FAILED'),
      running: count(mine, 'RUNNING'),
      lastStatus: last?.status ?? null,
      lastRunAt: last?.startedAt ?? null,
      lastError: lastFailure?.errorMessage ?? null,
      watermark: lastSuccess?.currentRunTimestamp ?? null,
      lastSuccessAt: lastSuccess?.endedAt ?? null,
      recordsProcessed: mine.reduce((a, r) => a + r.recordsProcessed, 0),
      meanDurationSeconds: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length,
      lastDurationSeconds: last?.processingTimeSeconds ?? null,
      staleSeconds: lastSuccess?.endedAt ? Math.max(0, (now.toMillis() - lastSuccess.endedAt.getTime()) / 1000) : null,
      days,
    });
  }
  return out;
}

function count(runs: ReadonlyArray<PipelineRun>, status: RunStatus): number {
  return runs.filter((r) => r.status === status).length;
}
