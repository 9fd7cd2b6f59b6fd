/**
 * `daily-run --continuous`: the named pipelines as micro-batches until SIGTERM/SIGINT (see
 * `pipeline/continuous.ts`). One line a batch on stdout; exit 0 when stopped by a signal after a
 * finished batch, 130 / 143 when a second signal stopped a batch in flight, 1 when a run failed.
 */
import type { ContinuousResult } from '../../pipeline/continuous.ts';
import type { DailyRunResult } from '../../pipeline/daily-run.ts';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.ts';
import { renderFailureReport } from '../failure-report.ts';
import type { CliContext } from '../cli-context.ts';

/** Runs continuously; returns the exit code. */
export async function runContinuousCommand(ctx: CliContext, pipelines: ReadonlyArray<string>, intervalMs: number): Promise<number> {
  const [{ runContinuously }, { watchSignalsGracefully }] = await Promise.all([import('../../pipeline/continuous.ts'), import('../signals.ts')]);
  const signals = watchSignalsGracefully(ctx.io);
  try {
    const result: ContinuousResult = await ctx.withSession(
      (s) =>
        runContinuously(s.context, {
          pipelines,
          intervalMs,
          stop: signals.stop,
          abort: signals.signal,
          onBatch: (r, n) => ctx.io.stdout(batchLine(r, n)),
        }),
      { catalog: 'required' },
    );
    if (result.ended === 'failed' && result.last !== undefined) ctx.io.stderr(renderFailureReport(result.last.results));
    ctx.io.stdout(`stopped after ${result.batches} batch(es): ${result.ended === 'failed' ? 'a run failed' : `${signals.received() ?? 'a signal'} received`}\n`);
    if (result.ended === 'failed') return EXIT_FAILURE;
    // A batch cut short by the second signal ends as daily-run does; a clean stop is a success.
    return result.last?.interrupted !== undefined ? (signals.exitCode() ?? EXIT_FAILURE) : EXIT_OK;
  } finally {
    signals.dispose();
  }
}

/** `batch 3: events SUCCESS read 120 inserted 100 updated 20 commit 20261208… lag 0 (1.21 s)`, one line a batch. */
function batchLine(result: DailyRunResult, n: number): string {
  const runs = result.results.map((r) => {
    const lag = r.source === undefined ? '' : ` lag ${r.source.lag}${r.source.skipped > 0 ? ` skipped ${r.source.skipped}` : ''}`;
    return `${r.pipeline} ${r.status} read ${r.recordsRead} inserted ${r.inserted} updated ${r.updated} deleted ${r.deleted}${r.instant === undefined ? '' : ` commit ${r.instant}`}${lag} (${r.durationSeconds.toFixed(2)} s)`;
  });
  return `${new Date().toISOString()} batch ${n}: ${runs.join('; ')}\n`;
}
