/**
 * The parent's side of an isolated peer run (run.ts --isolate): starts bench/child.ts in a fresh
 * Node process (same tsx loader, the repository as its working directory so tsx finds tsconfig.json;
 * the child then moves into the bench directory), sends it the job and emits the step records it
 * sends back. The child's stdout and stderr are passed on to this process's stderr, each line
 * prefixed (stdout stays JSON lines only). A child that exits with an error or is killed (an
 * out-of-memory kill, a native crash) is reported with its exit status and the tail of its output;
 * the run never waits on a dead child, since the outcome is decided when the child's process and
 * pipes have closed.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Emit, RunPart, RunSpec, StepRecord } from './driver.ts';

/** One peer run: which peer, where its table lives, what to run and what to add to each record. */
export interface ChildJob {
  peer: string;
  /** The bench directory (the child's working directory, for DuckDB's spill files). */
  dir: string;
  /** The table's directory. */
  root: string;
  memoryLimit: string | undefined;
  spec: RunSpec;
  /** Fields added to every record (repeat, scale_rows, days, batch_rows). */
  extra: Record<string, unknown>;
  /** Warm the peer up (untimed) before the timed steps. */
  warmUp: boolean;
  /** Which phases to run (see driver.ts `runPeer`); `after-load` reopens the table at `root`. */
  part: RunPart;
}

export type ChildMessage = { type: 'record'; record: StepRecord } | { type: 'done'; ok: boolean };

/**
 * How a child run ended: `failure` (one line) is undefined when it ran to the end, `ok` whether what
 * it ran passed (a load child whose load failed has already reported so); `output` is the
 * tail of its stdout and stderr; `peakRssMb` the last maxRSS it reported (0 if none).
 */
export interface ChildOutcome {
  failure: string | undefined;
  /** The child's run reported passing (its correctness, or a load that did not fail). */
  ok: boolean;
  output: string;
  peakRssMb: number;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
/** Characters of the child's output kept for a failure report. */
const TAIL_CHARS = 16_000;

/** Runs `job` in a fresh child process; emits its records as they arrive. `cwd` is the child's start-up directory. */
export function runIsolated(job: ChildJob, emit: Emit, cwd: string): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    let tail = '';
    let done = false;
    let ok = false;
    let peakRssMb = 0;
    let failure: string | undefined;
    const child = fork(CHILD, [], { cwd, execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const finish = (why: string | undefined): void => {
      resolve({ failure: why, ok: why === undefined && ok, output: tail.trimEnd(), peakRssMb });
    };
    const prefix = `  [${job.peer} child ${child.pid ?? '?'}] `;
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        tail = (tail + chunk).slice(-TAIL_CHARS);
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const l of lines) process.stderr.write(prefix + l + '\n');
      });
      stream.on('end', () => {
        if (partial) process.stderr.write(prefix + partial + '\n');
      });
    }
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'record') {
        peakRssMb = Math.max(peakRssMb, m.record.peak_rss_mb);
        emit(m.record);
      } else {
        done = true;
        ok = m.ok;
      }
    });
    child.on('error', (e) => {
      failure ??= `child process error: ${e.message}`;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => {
      if (failure !== undefined) finish(failure);
      else if (signal !== null) finish(`child process killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory? see dmesg; --memory-limit caps DuckDB)' : ''}`);
      else if (code !== 0) finish(`child process exited with code ${code}`);
      else if (!done) finish('child process exited before it reported the end of its run');
      else finish(undefined);
    });
    child.send(job, (e) => {
      if (e && failure === undefined) {
        failure = `could not send the job to the child process: ${e.message}`;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });
}
