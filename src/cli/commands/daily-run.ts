import type { Command } from 'commander';
import type { DailyRunResult } from '../../pipeline/daily-run.ts';
import { dailyRunExitCode, parseSkipExitCode } from '../daily-run-exit.ts';
import { EXIT_OK, exitCodeOf, formatError } from '../exit-codes.ts';
import { errorSummary, renderFailureReport } from '../failure-report.ts';
import { renderTable } from '../text-table.ts';
import { parseInterval } from '../interval.ts';
import { InvalidArgumentError } from '../../errors.ts';
import type { CliContext } from '../cli-context.ts';

const iso = (d: Date | null | undefined): string => (d === null || d === undefined ? '(full load)' : d.toISOString());

/**
 * `tidemark daily-run`: every due pipeline in dependency order; exit 1 when any failed, 130 / 143
 * when stopped by SIGINT / SIGTERM, the `--skip-exit-code` when there was nothing to do. Made for
 * cron and Airflow: `--json` ends stdout with one JSON line, `--run-results` writes dbt's format.
 */
export function registerDailyRun(program: Command, ctx: CliContext): void {
  program
    .command('daily-run')
    .description('run every due pipeline of the catalog in dependency order; exit 0 if all succeeded, 1 if any failed')
    .option('--pipeline <name>', 'run this pipeline whether due or not (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--all', 'run every pipeline, due or not')
    .option('--dry-run', 'print the windows that would be processed, and run nothing')
    .option('--from <date>', 'backfill: replay day windows from this date (YYYY-MM-DD)')
    .option('--to <date>', 'backfill: … to this date, inclusive')
    .option('--full-refresh', 'rebuild the targets from a full load (one insert_overwrite_table commit each)')
    .option('--json', 'print a JSON summary, as the last line of stdout (what an Airflow XCom reads)')
    .option('--run-results <file>', "write a document shaped like dbt's run_results.json to FILE (atomically; also when pipelines fail)")
    .option('--continuous', 'run the --pipeline(s) as micro-batches until SIGTERM/SIGINT (the first finishes the batch in flight), for stream sources')
    .option('--interval <duration>', 'with --continuous: time from one batch start to the next (30s, 2m, 500ms)', parseInterval, 30_000)
    .option('--skip-exit-code <n>', 'exit N (1-255) when nothing was due or no due pipeline read new data (Airflow: 99, skip_on_exit_code)', parseSkipExitCode)
    .action(async (flags: DailyRunFlags, command: Command) => {
      if (flags.continuous === true) {
        const clash = (['all', 'dryRun', 'from', 'to', 'fullRefresh', 'runResults', 'skipExitCode', 'json'] as const).filter((f) => flags[f] !== undefined && flags[f] !== false);
        if (flags.pipeline.length === 0 || clash.length > 0) {
          throw new InvalidArgumentError(flags.pipeline.length === 0 ? '--continuous runs the pipelines named with --pipeline: name at least one' : `--continuous cannot be combined with ${clash.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
        }
        const { runContinuousCommand } = await import('./continuous-run.ts');
        const code = await runContinuousCommand(ctx, flags.pipeline, flags.interval);
        if (code !== EXIT_OK) ctx.setExitCode(code);
        return;
      }
      const [{ dailyRun }, { watchSignals }, { runResultsDocument, writeRunResults }] = await Promise.all([
        import('../../pipeline/daily-run.ts'),
        import('../signals.ts'),
        import('../run-results.ts'),
      ]);
      const startedAt = new Date();
      const dryRun = flags.dryRun === true;
      const options = {
        pipelines: flags.pipeline,
        all: flags.all ?? false,
        dryRun,
        fullRefresh: flags.fullRefresh ?? false,
        ...(flags.from === undefined ? {} : { from: flags.from }),
        ...(flags.to === undefined ? {} : { to: flags.to }),
      };
      const report = async (exitCode: number, outcome: { readonly result: DailyRunResult } | { readonly error: unknown }): Promise<void> => {
        if (flags.runResults === undefined) return;
        const args = { ...options, skipExitCode: flags.skipExitCode ?? null };
        await writeRunResults(flags.runResults, runResultsDocument({ version: command.parent?.version() ?? '0.0.0', startedAt, args, exitCode, ...outcome }));
      };
      // Ctrl-C or a scheduler's SIGTERM stops the runs at a safe point, logged FAILED; see signals.ts.
      const signals = watchSignals(ctx.io);
      // On a terminal, which pipeline runs and for how long (nothing when piped; see progress.ts).
      const progress = ctx.startProgress('daily-run');
      try {
        let result: DailyRunResult;
        try {
          result = await ctx.withSession(
            (s) => dailyRun(s.context, { ...options, signal: signals.signal, onProgress: (e) => progress.note(`${e.index}/${e.total} ${e.pipeline}`) }),
            { catalog: 'required' },
          );
        } catch (error) {
          // Replace an earlier run's document, so it is not read as this run's; the error itself is reported by main.
          await report(exitCodeOf(error), { error }).catch((writeError: unknown) => ctx.io.stderr(formatError(writeError)));
          throw error;
        }
        progress.stop();
        const signalCode = signals.exitCode();
        const code = dailyRunExitCode(result, { dryRun, ...(flags.skipExitCode === undefined ? {} : { skipExitCode: flags.skipExitCode }), ...(signalCode === undefined ? {} : { signalExitCode: signalCode }) });
        await report(code, { result });
        // Last on stdout, one line: Airflow pushes a BashOperator's last stdout line as its XCom.
        ctx.io.stdout(flags.json ? JSON.stringify({ ...result, exitCode: code }) + '\n' : describe(result, dryRun));
        if (code !== EXIT_OK) ctx.setExitCode(code);
      } finally {
        progress.stop();
        signals.dispose();
      }
    });
}

interface DailyRunFlags {
  readonly pipeline: string[];
  readonly all?: boolean;
  readonly dryRun?: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly fullRefresh?: boolean;
  readonly json?: boolean;
  readonly runResults?: string;
  readonly skipExitCode?: number;
  readonly continuous?: boolean;
  readonly interval: number;
}

function describe(result: DailyRunResult, dryRun: boolean): string {
  if (dryRun) {
    if (result.planned.length === 0) return 'no pipeline is due\n';
    // `by`: what the window's bounds are times of (a backfill's data date, or processing time).
    const rows = result.planned.map((p) => ({ pipeline: p.pipeline, from: p.window === undefined ? '' : iso(p.window.start), to: p.window?.end.toISOString() ?? '', by: p.by, note: p.error ?? p.note ?? '' }));
    return renderTable(rows, ['pipeline', 'from', 'to', 'by', 'note']);
  }
  if (result.results.length === 0) return 'no pipeline is due\n';
  const rows = result.results.map((r) => ({
    pipeline: r.pipeline,
    status: r.status,
    from: r.window === undefined ? '' : iso(r.window.start),
    to: r.window?.end.toISOString() ?? '',
    read: r.recordsRead,
    inserted: r.inserted,
    updated: r.updated,
    deleted: r.deleted,
    'older': r.skippedAsOlder,
    commit: r.instant ?? '',
    seconds: +r.durationSeconds.toFixed(2),
    error: errorSummary(r.error),
  }));
  const failed = result.results.filter((r) => r.status === 'FAILED').length;
  const doubled = result.results.filter((r) => r.keysInTwoPartitions > 0).map((r) => `warning: ${r.pipeline} left ${r.keysInTwoPartitions} key(s) of ${r.target} in two partitions (their partition value changed; target.index: 'global' moves records instead)\n`);
  // One line of each error in the table; every failed pipeline's whole error in a block after it.
  return renderTable(rows, Object.keys(rows[0]!)) + (failed === 0 ? 'all pipelines succeeded\n' : `${failed} pipeline(s) FAILED\n`) + doubled.join('') + renderFailureReport(result.results);
}
