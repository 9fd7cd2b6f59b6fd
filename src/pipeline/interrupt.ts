/**
 * Stopping a run from outside (Ctrl-C, a scheduler's SIGTERM, a caller's timeout) through an
 * `AbortSignal`. A run looks at the signal only at its safe points, between steps (before extract,
 * transform, checks and the write), never inside the table commit: a commit that has started is
 * finished and logged, and one that has not is never begun. A stopped run is logged FAILED, so the
 * watermark stays where it was and the next run processes the same window.
 */

/** Thrown at a safe point once the run's signal has fired; the run records it as its error. */
export class RunInterruptedError extends Error {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'RunInterruptedError';
  }
}

/**
 * What stopped the run, in words: `interrupted by SIGINT` when the signal was aborted with a
 * reason string (`controller.abort('SIGINT')`, as the CLI does), the reason's message when it is an
 * error of the caller's, else `interrupted (aborted by the caller)`.
 */
export function interruptReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string' && reason !== '') return `interrupted by ${reason}`;
  if (reason instanceof Error && reason.name !== 'AbortError') return `interrupted: ${reason.message}`;
  return 'interrupted (aborted by the caller)';
}

/** A safe point: throws {@link RunInterruptedError} if `signal` has fired, naming the step not begun. */
export function checkpoint(signal: AbortSignal | undefined, before: string): void {
  if (signal?.aborted !== true) return;
  throw new RunInterruptedError(`${interruptReason(signal)} before ${before}; nothing was committed and the next run processes this window again`, { cause: signal.reason });
}
