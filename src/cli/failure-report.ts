/**
 * The end of `daily-run`'s output, as dbt ends a run: after the summary table, one block per failed
 * pipeline with its name, the step that failed and the whole error, every line of it. The table has
 * room for one short line of an error; the lines that say what to fix (DuckDB's `LINE 1:` and its
 * caret, a check's sample rows, the source file and row of a bad value) are read here.
 */
import type { RunResult } from '../pipeline/run-pipeline.ts';
import { splitStep } from '../pipeline/run-steps.ts';

/** A run's error on one line for the summary table: its first line, trimmed (the block below has it all). */
export function errorSummary(error: string | undefined): string {
  if (error === undefined) return '';
  return (error.split(/\r\n|\r|\n/, 1)[0] ?? '').trim();
}

/** One failed run: a heading naming the pipeline, the step and the run, then its error indented. */
function block(run: RunResult): string {
  const { step, message } = splitStep(run.error ?? '(no error recorded)');
  const where = run.step ?? step;
  const heading = `Failure in pipeline ${run.pipeline}${where === undefined ? '' : `, step ${where}`}${run.runId === undefined ? '' : ` (run ${run.runId})`}:`;
  // Every line indented alike, so a caret under DuckDB's `LINE 1:` still points at its column.
  const body = message.split(/\r\n|\r|\n/).map((line) => (line.trim() === '' ? '' : `  ${line.trimEnd()}`));
  while (body.at(-1) === '') body.pop();
  return [heading, ...body].join('\n') + '\n';
}

/** The blocks of the failed runs among `results`, after a blank line and a count; '' when none failed. */
export function renderFailureReport(results: ReadonlyArray<RunResult>): string {
  const failed = results.filter((r) => r.status === 'FAILED');
  if (failed.length === 0) return '';
  return `\nCompleted with ${failed.length} failure${failed.length === 1 ? '' : 's'}:\n\n${failed.map(block).join('\n')}`;
}
