/**
 * SIGINT and SIGTERM for commands that run pipelines. Dying on the spot would leave the running
 * run RUNNING in the log until the pipeline's next start; instead the first signal aborts an
 * `AbortSignal` that the run checks at its safe points (never inside a commit), so the run is
 * logged FAILED with its window unchanged, locks are released and the metastore is closed before
 * the process exits 128 + the signal's number (130, 143), as shells and schedulers expect. A second
 * signal ends the process at once, for a user who will not wait: the next start reconciles what is
 * left RUNNING. It does so by dying of that signal (the listeners removed, the signal sent again),
 * not by `process.exit`, which waits for a thread stuck in a read (a query on a hung file system or
 * pipe) and so would not end at all; a shell reports it as 130 / 143 just the same.
 */
import os from 'node:os';
import type { CliIo } from './main.ts';

/** The signals a run stops on: Ctrl-C, and what cron, systemd, Airflow and Kubernetes send. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The part of `process` this module uses (a test can pass its own). */
export interface SignalProcess {
  readonly pid: number;
  on(event: StopSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: StopSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  kill(pid: number, signal: StopSignal): unknown;
}

/** The signals being watched. */
export interface SignalWatch {
  /** Aborted, with the signal's name as its reason, when the first signal arrives. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): StopSignal | undefined;
  /** The exit code for the first signal received (130 for SIGINT, 143 for SIGTERM), if any. */
  exitCode(): number | undefined;
  /** Stops watching: the signals' default action (ending the process) applies again. */
  dispose(): void;
}

/** 128 + the signal's number: what a shell reports for a process a signal ended. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + os.constants.signals[signal];
}

/** The signals of continuous mode: the first lets the batch in flight finish (`stop`), the second aborts it (`signal`). */
export interface GracefulSignalWatch extends SignalWatch {
  /** Aborted, with the signal's name, when the first signal arrives: finish the batch in flight, then stop. */
  readonly stop: AbortSignal;
}

/**
 * `watchSignals` for continuous mode: the first signal only asks the loop to stop after the batch
 * in flight (nothing is interrupted), the second stops that batch at its next safe point (logged
 * FAILED, window unchanged), a third ends the process at once.
 */
export function watchSignalsGracefully(io: CliIo, proc: SignalProcess = process): GracefulSignalWatch {
  const stop = new AbortController();
  const inner = watchSignals(io, proc, (signal) => {
    if (stop.signal.aborted) return false;
    io.stderr(`tidemark: ${signal}: finishing the batch in flight, then stopping (${signal} again stops it at its next safe point, logged FAILED)\n`);
    stop.abort(signal);
    return true;
  });
  return { ...inner, stop: stop.signal };
}

/**
 * Watches SIGINT and SIGTERM until `dispose()`; each signal's one line goes to `io.stderr`.
 * `before`, when given, sees each signal first and may take it (returning true), as continuous
 * mode does with the first.
 */
export function watchSignals(io: CliIo, proc: SignalProcess = process, before?: (signal: StopSignal) => boolean): SignalWatch {
  const controller = new AbortController();
  let first: StopSignal | undefined;
  const dispose = (): void => {
    for (const s of STOP_SIGNALS) proc.off(s, onSignal);
  };
  const onSignal = (name: NodeJS.Signals): void => {
    const signal = name as StopSignal;
    if (before?.(signal) === true) {
      first ??= signal;
      return;
    }
    if (controller.signal.aborted) {
      io.stderr(`tidemark: ${signal} again: exiting now; the next daily-run reconciles the run left RUNNING\n`);
      dispose(); // the signal's default action applies again: it ends the process
      proc.kill(proc.pid, signal);
      return;
    }
    first ??= signal;
    io.stderr(
      `tidemark: interrupted by ${signal}: stopping at the next safe point; the running pipeline is logged FAILED with its window unchanged, the rest are not started (${signal} again exits at once)\n`,
    );
    controller.abort(signal);
  };
  for (const s of STOP_SIGNALS) proc.on(s, onSignal);
  return {
    signal: controller.signal,
    received: () => first,
    exitCode: () => (first === undefined ? undefined : signalExitCode(first)),
    dispose,
  };
}
