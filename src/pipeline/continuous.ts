/**
 * Continuous mode (`daily-run --continuous`): the named pipelines run again and again as
 * micro-batches, each run one commit and one `pipeline_log` row, one batch starting every
 * `intervalMs` (sooner never; later when a batch takes longer). Made for stream sources, whose
 * every run reads the messages that arrived since the last one.
 *
 * Two signals stop it: `stop` (the first SIGINT/SIGTERM) lets the batch in flight finish and then
 * ends the loop, so nothing is interrupted; `abort` (the second) stops the batch at its next safe
 * point, as for `daily-run`. A batch with a failed run ends the loop too (exit 1: a service manager
 * restarts the process, and the failure is in the log rather than repeated every interval).
 */
import { InvalidArgumentError } from '../errors.ts';
import type { PipelineContext } from './context.ts';
import { type DailyRunResult, dailyRun } from './daily-run.ts';

/** Options of a continuous run. */
export interface ContinuousOptions {
  /** The pipelines, run in dependency order each batch (at least one). */
  readonly pipelines: ReadonlyArray<string>;
  /** Time from one batch's start to the next's (milliseconds, ≥ 0). */
  readonly intervalMs: number;
  /** Fired: finish the batch in flight, then stop. */
  readonly stop?: AbortSignal;
  /** Fired: stop the batch in flight at its next safe point. */
  readonly abort?: AbortSignal;
  /** Stop after this many batches (tests, bounded jobs); default: until a signal. */
  readonly maxBatches?: number;
  /** Told after each batch. */
  readonly onBatch?: (result: DailyRunResult, batch: number) => void;
}

/** How a continuous run ended. */
export interface ContinuousResult {
  readonly batches: number;
  /** The last batch's result (undefined when none ran). */
  readonly last: DailyRunResult | undefined;
  /** Why it stopped: `stopped` (a signal), `failed` (a run failed), `done` (maxBatches). */
  readonly ended: 'stopped' | 'failed' | 'done';
}

/** Runs the pipelines as micro-batches until a signal, a failure or `maxBatches`. */
export async function runContinuously(ctx: PipelineContext, options: ContinuousOptions): Promise<ContinuousResult> {
  if (options.pipelines.length === 0) throw new InvalidArgumentError('continuous mode runs the pipelines named with --pipeline: name at least one');
  if (!Number.isFinite(options.intervalMs) || options.intervalMs < 0) throw new InvalidArgumentError(`the interval ${options.intervalMs} ms is not a duration ≥ 0`, { value: options.intervalMs });
  let batches = 0;
  let last: DailyRunResult | undefined;
  for (;;) {
    if (options.stop?.aborted || options.abort?.aborted) return { batches, last, ended: 'stopped' };
    const started = performance.now();
    last = await dailyRun(ctx, { pipelines: [...options.pipelines], ...(options.abort === undefined ? {} : { signal: options.abort }) });
    batches++;
    options.onBatch?.(last, batches);
    if (last.interrupted !== undefined || options.stop?.aborted) return { batches, last, ended: 'stopped' };
    if (!last.ok) return { batches, last, ended: 'failed' };
    if (options.maxBatches !== undefined && batches >= options.maxBatches) return { batches, last, ended: 'done' };
    await sleep(Math.max(0, options.intervalMs - (performance.now() - started)), options.stop, options.abort);
  }
}

/** Waits `ms`, or less when a signal fires. */
function sleep(ms: number, ...signals: ReadonlyArray<AbortSignal | undefined>): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  if (ms === 0 || live.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      for (const s of live) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of live) s.addEventListener('abort', done, { once: true });
  });
}
