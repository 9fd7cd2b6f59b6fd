/**
 * The pid lock across real processes: a dead writer's lock taken over by exactly one of six writers
 * started at once, a lock naming a live but unrelated process (a reused pid) taken over at once, and
 * a running holder respected. The children (`test/support/lock-racer.mjs`) run `storage/pid-lock.ts`
 * as esbuild bundles it into a temp folder, so they test these sources without `dist/`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableLockPath } from '../../src/engine/layout.ts';
import { withTableLock } from '../../src/engine/commit/table-lock.ts';
import { CommitConflictError } from '../../src/errors.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import { tryPidLock } from '../../src/storage/pid-lock.ts';
import { ownIdentity } from '../../src/storage/process-identity.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RACER = path.join(ROOT, 'test/support/lock-racer.mjs');
const TRIALS = 50;
const WRITERS = 6;

const temps: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
const children: ChildProcess[] = [];
let moduleUrl: string;

beforeAll(async () => {
  const out = path.join(tempDir('tm-pid-lock-build-'), 'pid-lock.mjs');
  await build({ entryPoints: [path.join(ROOT, 'src/storage/pid-lock.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });
  moduleUrl = pathToFileURL(out).href;
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

interface Racer {
  readonly child: ChildProcess;
  /** Resolves once the child has printed `line`. */
  readonly printed: (line: string) => Promise<void>;
  readonly exited: Promise<number | null>;
}

function racer(lockPath: string, dir: string, mode: 'race' | 'die' | 'hold', trials = 0): Racer {
  const child = spawn(process.execPath, [RACER, moduleUrl, lockPath, dir, mode, String(trials)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = new Set<string>();
  const waiters: Array<() => void> = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    for (const line of parts) lines.add(line);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = (line: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => (lines.has(line) ? resolve() : void waiters.push(check));
      check();
      void exited.then((code) => reject(new Error(`child ${child.pid} exited with ${code} before printing ${line}`)));
    });
  return { child, printed, exited };
}

/** Leaves behind what a writer killed while holding the lock leaves. */
async function deadHolder(lockPath: string, dir: string): Promise<number> {
  const dead = racer(lockPath, dir, 'die');
  expect(await dead.exited).toBe(0);
  expect(fs.existsSync(lockPath)).toBe(true);
  return dead.child.pid!;
}

const lockPid = (lockPath: string): number => Number(/^(?:\{"pid":)?(\d+)/.exec(fs.readFileSync(lockPath, 'utf8'))?.[1]);

describe('pid lock across processes', () => {
  it(`lets exactly one of ${WRITERS} writers started at once take over a dead writer's lock (${TRIALS} trials)`, { timeout: 120_000 }, async () => {
    // The writers start once and meet at a barrier (`<trial>/go`) per trial: spawning six Node
    // processes per trial would spend the test's time on start-up, not on races.
    const root = tempDir('tm-pid-lock-race-');
    const stale = path.join(root, 'stale.lock');
    await deadHolder(stale, root);
    const leftover = fs.readFileSync(stale, 'utf8');
    const lockPath = path.join(root, '.tidemark.lock');
    const racers = Array.from({ length: WRITERS }, () => racer(lockPath, root, 'race', TRIALS));
    await Promise.all(racers.map((r) => r.printed('ready')));
    const pids = racers.map((r) => String(r.child.pid)).sort();
    const failures: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = path.join(root, String(trial));
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, '.tidemark.lock'), leftover); // what the dead writer left
      fs.writeFileSync(path.join(dir, 'go'), '');
      await Promise.all(racers.map((r) => r.printed(`done ${trial}`)));
      const log = fs.readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n');
      if (log.some((l) => l.startsWith('OVERLAP')) || JSON.stringify([...log].sort()) !== JSON.stringify(pids)) failures.push(`trial ${trial}: ${log.join(' | ')}`);
      // Released, and no takeover token or temp file left behind.
      const left = fs.readdirSync(dir).sort();
      if (JSON.stringify(left) !== JSON.stringify(['go', 'log'])) failures.push(`trial ${trial} left ${left.join(', ')}`);
    }
    expect(await Promise.all(racers.map((r) => r.exited))).toEqual(racers.map(() => 0));
    expect(failures).toEqual([]);
  });

  it('takes over at once a lock naming a live process that did not take it (a reused pid)', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => undefined, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(sleeper);
    await new Promise((resolve) => sleeper.stdout!.once('data', resolve));
    const base = tempDir('tm-pid-lock-reused-');
    const lockPath = tableLockPath(base);
    fs.mkdirSync(path.dirname(lockPath));
    await deadHolder(lockPath, base);
    // The dead writer's pid now belongs to an unrelated, running process.
    fs.writeFileSync(lockPath, fs.readFileSync(lockPath, 'utf8').replace(/^(\{"pid":)?\d+/, (_, prefix?: string) => `${prefix ?? ''}${sleeper.pid}`));
    expect(lockPid(lockPath)).toBe(sleeper.pid);

    const started = Date.now();
    const ran = await withTableLock(new LocalFileStore(), base, async () => lockPid(lockPath), 5_000);
    expect(ran).toBe(process.pid);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fs.readdirSync(path.dirname(lockPath))).toEqual([]);
    sleeper.kill('SIGKILL');
  });

  it.runIf(ownIdentity().boot !== undefined)('takes over a lock from another boot (a copied table), even naming this very pid', () => {
    const dir = tempDir('tm-pid-lock-boot-');
    const lockPath = path.join(dir, '.tidemark.lock');
    const me = ownIdentity();
    fs.writeFileSync(lockPath, `${JSON.stringify({ pid: process.pid, start: me.start, boot: '00000000-0000-0000-0000-000000000000', id: 'c0ffee' })}\n`);
    const lock = tryPidLock(lockPath);
    expect(lock.acquired).toBe(true);
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, start: me.start, boot: me.boot });
    if (lock.acquired) lock.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("removes the temp file of a writer killed before it linked it, when the lock is next taken", async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    const dir = tempDir('tm-pid-lock-temp-');
    const lockPath = path.join(dir, '.tidemark.lock');
    const left = `${lockPath}.${dead.pid}.0123456789abcdef.tmp`;
    fs.writeFileSync(left, `${JSON.stringify({ pid: dead.pid, id: '0123456789abcdef' })}\n`);
    const lock = tryPidLock(lockPath);
    expect(lock.acquired).toBe(true);
    expect(fs.existsSync(left)).toBe(false);
    if (lock.acquired) lock.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('respects a running holder: a second writer waits, then gets CommitConflictError; the holder killed, it goes ahead', async () => {
    const base = tempDir('tm-pid-lock-held-');
    const lockPath = tableLockPath(base);
    fs.mkdirSync(path.dirname(lockPath));
    const holder = racer(lockPath, base, 'hold');
    await holder.printed('held');
    const store = new LocalFileStore();

    const started = Date.now();
    const error = await withTableLock(store, base, async () => 'ran', 1_500).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CommitConflictError);
    expect(error).toMatchObject({ file: lockPath, value: holder.child.pid });
    expect((error as Error).message).toContain(`being written by process ${holder.child.pid}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(lockPid(lockPath)).toBe(holder.child.pid);
    holder.child.kill('SIGKILL'); // a crash: its lock stays behind
    await holder.exited;
    expect(lockPid(lockPath)).toBe(holder.child.pid);
    expect(await withTableLock(store, base, async () => lockPid(lockPath), 5_000)).toBe(process.pid);
    expect(fs.existsSync(lockPath)).toBe(false);
  });
});
