/**
 * The steps of a run, so that a failure says where it happened and so where to look: `extract`
 * (the source's window and rows), `transform` (the SQL, and the batch it makes for the target's
 * key), `check`, `write` (the table commit and its registration), `log` (the run's row in
 * `pipeline_log`).
 *
 * A failed run's error starts with its step in brackets (`[transform] …`), the same text in the
 * `RunResult` and in `pipeline_log.error_message`: monitoring SQL over the log can group failures by
 * step (`split_part(error_message, ']', 1)`) with no new column, and tools that read the log, such
 * as `status`, show it as it is.
 */
import { messageOf } from '../errors.ts';

export const RUN_STEPS = ['extract', 'transform', 'check', 'write', 'log'] as const;
/** Where a run failed. */
export type RunStep = (typeof RUN_STEPS)[number];

/** An error raised in a step of a run: the step, and the error as its cause. */
export class StepFailure extends Error {
  constructor(readonly step: RunStep, message: string, options: { readonly cause: unknown }) {
    super(message, options);
    this.name = 'StepFailure';
  }
}

/** `error` as a failure of `step` (an error already tagged keeps its step). */
export function failedIn(step: RunStep, error: unknown, message = messageOf(error)): StepFailure {
  return error instanceof StepFailure ? error : new StepFailure(step, message, { cause: error });
}

/** The step an error was raised in, if it was tagged. */
export function stepOf(error: unknown): RunStep | undefined {
  return error instanceof StepFailure ? error.step : undefined;
}

/** The error text a failed run logs and returns: `[step] message`. */
export function withStep(step: RunStep, message: string): string {
  return `[${step}] ${message}`;
}

/** A run's error text split into its step and the message (no step: text not written by `withStep`). */
export function splitStep(error: string): { readonly step: RunStep | undefined; readonly message: string } {
  const m = /^\[([a-z]+)\] /.exec(error);
  const step = m !== null && (RUN_STEPS as readonly string[]).includes(m[1]!) ? (m[1] as RunStep) : undefined;
  return { step, message: step === undefined ? error : error.slice(m![0].length) };
}

/**
 * A DuckDB error about a statement Tidemark wrapped around the user's SQL (`CREATE TABLE … AS`),
 * with its `LINE 1:` quote and caret shifted to show the user's SQL alone, as they wrote it.
 * Anything else (another line, a caret inside the wrapper, a quote DuckDB shortened) is left as is.
 */
export function quoteUserSql(message: string, wrapper: string): string {
  const lines = message.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`LINE 1: ${wrapper}`));
  const caret = lines[at + 1];
  if (at < 0 || caret === undefined || !/^ *\^/.test(caret) || caret.indexOf('^') < `LINE 1: ${wrapper}`.length) return message;
  lines[at] = `LINE 1: ${lines[at]!.slice(`LINE 1: ${wrapper}`.length)}`;
  lines[at + 1] = caret.slice(wrapper.length);
  return lines.join('\n');
}
