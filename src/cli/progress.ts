/**
 * A progress line for long commands: a spinner, a label, rows and files so far, and the elapsed
 * time, redrawn in place on stderr. It is for people at a terminal only: scripts, cron and log
 * collectors get nothing of it (see `progressWanted`), and it appears only once the work has taken
 * a second, so quick commands do not flicker.
 *
 * Use it from a command through `CliContext.startProgress`, which applies the log flags:
 *
 * ```ts
 * const progress = ctx.startProgress('export sales.orders');
 * try {
 *   for await (const batch of batches) progress.update(rowsSoFar, filesSoFar);
 *   // or, for steps without counts: progress.note(`2/5 silver_orders`)
 * } finally {
 *   progress.stop(); // before printing the command's output
 * }
 * ```
 *
 * The drawing is yocto-spinner's: it redraws the line after each log line written to stderr
 * meanwhile, so logs and progress do not tangle. It is loaded only when a line is shown.
 */
import { type LogOptions, logs } from '../logging/log-options.ts';

/** A running progress line. Every method is cheap and safe to call after `stop`. */
export interface Progress {
  /** Rows (and files) done so far. */
  update(rows: number, files?: number): void;
  /** What is being done now, shown after the label (a pipeline's name, a stage). */
  note(text: string): void;
  /** Clears the line, for good; call it before the command prints its result. */
  stop(): void;
}

/** A progress that shows nothing. */
export const noProgress: Progress = { update: () => undefined, note: () => undefined, stop: () => undefined };

/** The stream drawn on: a terminal's (`process.stderr`). */
export type ProgressStream = NodeJS.WriteStream;

type Env = Readonly<Record<string, string | undefined>>;

/** Waited before the line is shown; `TIDEMARK_PROGRESS_DELAY_MS` overrides it (tests, screencasts). */
export const PROGRESS_DELAY_MS = 1000;

/**
 * Whether a command should show progress: stderr is an interactive terminal (not `TERM=dumb`, not
 * under CI, where a redrawn line turns into a line per frame), and the logs are pretty lines at
 * `info` or more verbose (`--quiet`, a stricter `--log-level`, or JSON logs mean a reader that
 * wants only what matters, or a program).
 */
export function progressWanted(log: LogOptions, stream: { readonly isTTY?: boolean } = process.stderr, env: Env = process.env): boolean {
  const interactive = stream.isTTY === true && env.TERM !== 'dumb' && !('CI' in env);
  return interactive && log.format === 'pretty' && logs(log.level, 'info');
}

/** How to draw. */
export interface ProgressOptions {
  /** Default `process.stderr`. */
  readonly stream?: ProgressStream;
  /** Default {@link PROGRESS_DELAY_MS}. */
  readonly delayMs?: number;
  /** Told when the line could not be drawn (the command goes on); default: a warning line on the stream. */
  readonly onError?: (error: unknown) => void;
}

const count = new Intl.NumberFormat('en-US');

/** `label · note · 1,234 rows · 3 files · 2.5 s`. */
export function progressText(label: string, state: { readonly note?: string; readonly rows?: number; readonly files?: number }, seconds: number): string {
  const parts = [label];
  if (state.note !== undefined && state.note !== '') parts.push(state.note);
  if (state.rows !== undefined) parts.push(`${count.format(state.rows)} row${state.rows === 1 ? '' : 's'}`);
  if (state.files !== undefined) parts.push(`${count.format(state.files)} file${state.files === 1 ? '' : 's'}`);
  parts.push(`${seconds.toFixed(1)} s`);
  return parts.join(' · ');
}

/**
 * Starts a progress line labelled `label`, shown after the delay unless stopped before. Callers
 * decide whether progress is wanted (`progressWanted`); this only draws.
 */
export function startProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const envDelay = Number(process.env.TIDEMARK_PROGRESS_DELAY_MS);
  const delayMs = options.delayMs ?? (process.env.TIDEMARK_PROGRESS_DELAY_MS !== undefined && Number.isFinite(envDelay) ? envDelay : PROGRESS_DELAY_MS);
  const onError = options.onError ?? ((error: unknown) => void stream.write(`tidemark: warning: could not draw the progress line: ${error instanceof Error ? error.message : String(error)}\n`));
  const t0 = performance.now();
  const state: { note?: string; rows?: number; files?: number } = {};
  let stopped = false;
  let spinner: { text: string; stop(): unknown } | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const text = (): string => progressText(label, state, (performance.now() - t0) / 1000);
  const redraw = (): void => {
    if (spinner !== undefined) spinner.text = text();
  };
  const show = async (): Promise<void> => {
    const { default: yoctoSpinner } = await import('yocto-spinner');
    if (stopped) return;
    spinner = yoctoSpinner({ text: text(), stream }).start();
    // The elapsed time moves even when no count does.
    ticker = setInterval(redraw, 100);
    ticker.unref();
  };
  const timer = setTimeout(() => void show().catch(onError), delayMs);
  timer.unref();
  return {
    update(rows, files) {
      state.rows = rows;
      if (files !== undefined) state.files = files;
      redraw();
    },
    note(note) {
      state.note = note;
      redraw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      if (ticker !== undefined) clearInterval(ticker);
      spinner?.stop();
    },
  };
}
