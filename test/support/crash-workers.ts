/**
 * Runs `crash-worker.mjs` children for crash tests. A worker for the same kind of command is always
 * started ahead (loading the engine takes longer than most commands run), and the kill timer starts
 * when the worker says the command began, so kills land inside the command.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-worker.mjs');

/** A command of `crash-worker.mjs`. */
export type CrashCommand =
  | { readonly op: 'upsert'; readonly base: string; readonly file: string }
  | { readonly op: 'restore'; readonly base: string; readonly instant: string }
  | { readonly op: 'metastore'; readonly warehouse: string; readonly name: string };
type Op = CrashCommand['op'];

/**
 * When to kill a worker: `afterMs` after the command began, or, with `from`, after a file matching
 * `from.file` appears in (or leaves) `from.dir` — so kills land inside a protocol however long
 * the steps before it take on a loaded machine.
 */
export interface KillPlan {
  readonly afterMs: number;
  readonly from?: { readonly dir: string; readonly file: RegExp };
}

/** How a command ended. */
export interface CrashOutcome {
  /** Killed before it said `done`. */
  readonly killed: boolean;
  /** Milliseconds from the start of the command (or the plan's file event) to the end of the process. */
  readonly ms: number;
  /** What the worker printed after `done`, when it finished. */
  readonly result: Record<string, unknown> | undefined;
}

interface Worker {
  readonly op: Op;
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Resolves when the worker prints `go` (or ends). */
  readonly going: Promise<void>;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function start(op: Op): Worker {
  const child = spawn(process.execPath, [WORKER, op], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady!: () => void;
  let markGoing!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const going = new Promise<void>((resolve) => (markGoing = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.startsWith('ready\n')) markReady();
    if (/^go$/m.test(stdout)) markGoing();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      markReady(); // a worker that died while starting is reported by `run`
      markGoing();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { op, child, ready, going, closed };
}

/** A supply of started workers. */
export class CrashWorkers {
  private ahead: Worker[] = [];

  /** `ahead`: how many workers to keep started (starting one takes a few hundred milliseconds of CPU). */
  constructor(private readonly keepAhead = 2) {}

  /**
   * Sends `command` to a started worker and SIGKILLs it as `kill` says (never when undefined).
   * Rejects when the worker fails on its own: a crash test's commands must succeed unless killed.
   */
  async run(command: CrashCommand, kill: KillPlan | undefined): Promise<CrashOutcome> {
    if (this.ahead[0] !== undefined && this.ahead[0].op !== command.op) this.close();
    const worker = this.ahead.shift() ?? start(command.op);
    while (this.ahead.length < this.keepAhead) this.ahead.push(start(command.op));
    await worker.ready;
    let began: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (began !== undefined || kill === undefined) return;
      began = performance.now();
      timer = setTimeout(() => worker.child.kill('SIGKILL'), kill.afterMs);
    };
    const from = kill?.from;
    const watcher = from === undefined ? undefined : fs.watch(from.dir, (_event, name) => name !== null && from.file.test(name) && arm());
    try {
      worker.child.stdin!.end(`${JSON.stringify(command)}\n`);
      await worker.going;
      const go = performance.now();
      if (from === undefined) arm();
      const end = await worker.closed;
      const ms = performance.now() - (began ?? go);
      const done = /^done (.*)$/m.exec(end.stdout);
      if (end.signal === 'SIGKILL' && done === null) return { killed: true, ms, result: undefined };
      if ((end.code !== 0 && end.signal !== 'SIGKILL') || done === null) throw new Error(`crash worker ${JSON.stringify(command)} failed (exit ${end.code}): ${end.stderr}`);
      return { killed: false, ms, result: JSON.parse(done[1]!) as Record<string, unknown> };
    } finally {
      clearTimeout(timer);
      watcher?.close();
    }
  }

  /** Stops the workers started ahead. */
  close(): void {
    for (const w of this.ahead) w.child.kill('SIGKILL');
    this.ahead = [];
  }
}
