/**
 * `daily-run`'s exit code, the first thing cron and Airflow look at: 0 success, 1 a failed
 * pipeline, 130 / 143 stopped by SIGINT / SIGTERM, and, opted into with `--skip-exit-code N`, N when
 * the run had nothing to do, so that Airflow's BashOperator (`skip_on_exit_code=99`) marks the task
 * skipped instead of successful. Loaded with the command's declaration: keep it light.
 */
import { InvalidArgumentError } from './commander.ts';
import type { DailyRunResult } from '../pipeline/daily-run.ts';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.ts';

/** `--skip-exit-code`'s value: a whole number from 1 to 255 (anything else is a usage error, exit 2). */
export function parseSkipExitCode(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 255) {
    throw new InvalidArgumentError(`"${value}" is not an exit code from 1 to 255`);
  }
  return n;
}

/**
 * True when the run had nothing to do: nothing was due (nothing planned, for a dry run), or every
 * due pipeline succeeded having read no records and committed nothing. A run skipped because
 * another process holds its lock is not "nothing to do": that process is doing it.
 */
export function hadNothingToDo(result: DailyRunResult, dryRun: boolean): boolean {
  if (dryRun) return result.planned.length === 0;
  return result.results.every((r) => r.status === 'SUCCESS' && r.recordsRead === 0 && r.instant === undefined);
}

/** The exit code of a finished daily run. */
export function dailyRunExitCode(result: DailyRunResult, options: { readonly dryRun: boolean; readonly skipExitCode?: number; readonly signalExitCode?: number }): number {
  if (options.signalExitCode !== undefined) return options.signalExitCode;
  if (!result.ok) return EXIT_FAILURE;
  if (options.skipExitCode !== undefined && hadNothingToDo(result, options.dryRun)) return options.skipExitCode;
  return EXIT_OK;
}
