/**
 * A child process whose stdout and stderr are kept as text, with a promise of how it ended: the
 * base of the suites' started commands (a scheduler's command line, the `tidemark` binary).
 */
import type { ChildProcess } from 'node:child_process';

/** How a command ended, with everything it wrote. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

export class CapturedProcess {
  out = '';
  err = '';
  exited = false;
  readonly ended: Promise<Ended>;

  /** `child` must have been spawned with piped stdout and stderr. */
  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => void (this.out += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => void (this.err += s));
    this.ended = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        this.exited = true;
        resolve({ code, signal, out: this.out, err: this.err });
      });
    });
  }
}
