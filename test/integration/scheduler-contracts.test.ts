/**
 * What cron and Airflow rely on, through the real `tidemark` command started as they start it:
 * `bash -c '<command line>'` with a minimal environment, from a working directory that is not the
 * project's (catalog and warehouse given by flags or by the environment). Exit codes, the JSON last
 * line of stdout (Airflow's XCom), the `--run-results` document, `--skip-exit-code`, and SIGINT /
 * SIGTERM while a pipeline runs: the run is logged FAILED at once with its window unchanged, and the
 * next daily-run processes that window.
 *
 * A pipeline is held mid-run deterministically: with TM_TEST_GATE set, its transform reads a FIFO,
 * which blocks DuckDB (not the event loop) until the test writes to it. The test knows the transform
 * is waiting when a non-blocking open of the FIFO for writing succeeds (it fails with ENXIO while no
 * reader has it open), and it releases the gate only after the command has said it got the signal.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/api.ts';
import { resolveConfig } from '../../src/config/config.ts';
import type { Metastore } from '../../src/metastore/metastore.ts';
import { openMetastore } from '../../src/metastore/open-metastore.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { CapturedProcess, type Ended } from '../support/captured-process.ts';

const root = useTempDir('sched');
const catalog = path.join(root, 'project', 'catalog');
const warehouse = path.join(root, 'project', 'warehouse');
const landing = path.join(root, 'landing');
const elsewhere = path.join(root, 'elsewhere'); // the scheduler's working directory
const binDir = path.join(root, 'bin');
const gate = path.join(root, 'gate.fifo');
const bin = fileURLToPath(new URL('../../bin/tidemark.mjs', import.meta.url));

const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
const where = `--catalog ${q(catalog)} --warehouse ${q(warehouse)}`;

/** A started command line, as `bash -c` runs it for cron and Airflow (its own process group, as Airflow's). */
class Started extends CapturedProcess {
  constructor(commandLine: string, env: Record<string, string> = {}) {
    // A scheduler's environment: PATH (with node and `tidemark`) and HOME, nothing of this test process.
    const base = { PATH: `${binDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: os.homedir() };
    super(spawn('bash', ['-c', commandLine], { cwd: elsewhere, env: { ...base, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Waits until `test` holds, polling; fails if the command ends first or a minute passes. */
  async until<T>(what: string, test: () => T | undefined): Promise<T> {
    for (let deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) {
      const value = test();
      if (value !== undefined) return value;
      if (this.exited) throw new Error(`the command ended before ${what}; stderr:\n${this.err}`);
    }
    throw new Error(`no ${what} within a minute; stderr:\n${this.err}`);
  }

  /** Sends `signal` to the process group, as a terminal's Ctrl-C and Airflow's kill do. */
  kill(signal: NodeJS.Signals): void {
    process.kill(-this.child.pid!, signal);
  }
}

const run = async (commandLine: string, env: Record<string, string> = {}): Promise<Ended> => new Started(commandLine, env).ended;
const lastLine = (out: string): string => {
  expect(out.endsWith('\n')).toBe(true);
  return out.slice(0, -1).split('\n').at(-1)!;
};
/** The JSON summary `--json` ends stdout with. */
const summaryOf = (r: Ended): any => JSON.parse(lastLine(r.out));
const resultsFile = (name: string): any => JSON.parse(fs.readFileSync(path.join(elsewhere, name), 'utf8'));
const byId = (doc: any): Record<string, any> => Object.fromEntries(doc.results.map((r: any) => [r.unique_id, r]));
const byPipeline = (summary: any): Record<string, any> => Object.fromEntries(summary.results.map((r: any) => [r.pipeline, r]));
/** stderr without the JSON log lines. */
const messages = (err: string): string[] => err.split('\n').filter((l) => l !== '' && !l.startsWith('{'));

let nextId = 1;
const land = (dir: string, n: number): void => {
  const rows = Array.from({ length: n }, () => ({ id: nextId, ts: nextId++ }));
  fs.writeFileSync(path.join(landing, dir, `${nextId}.jsonl`), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
};
const pipeline = (file: string, body: string): void => fs.writeFileSync(path.join(catalog, file), body);

async function withMetastore<T>(fn: (m: Metastore) => Promise<T>): Promise<T> {
  const metastore = await openMetastore(resolveConfig({ warehouse }), { create: false });
  try {
    return await fn(metastore);
  } finally {
    await metastore.close();
  }
}

/** Opens the gate FIFO for writing once the gated transform has it open for reading. */
const gateReader = (started: Started): Promise<number> =>
  started.until('the transform waiting on the gate', () => {
    try {
      return fs.openSync(gate, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') return undefined; // no reader yet
      throw error;
    }
  });

beforeAll(() => {
  for (const d of [catalog, path.join(landing, 'events'), path.join(landing, 'other'), elsewhere, binDir]) fs.mkdirSync(d, { recursive: true });
  fs.symlinkSync(bin, path.join(binDir, 'tidemark'));
  execFileSync('mkfifo', [gate]);
  pipeline(
    'events.mjs',
    `const gate = process.env.TM_TEST_GATE;
export default {
  name: 'a_events',
  schedule: 'always',
  source: { kind: 'files', path: ${JSON.stringify(path.join(landing, 'events', '*.jsonl'))}, format: 'json' },
  transform: gate ? \`SELECT s.* FROM source s, read_csv('\${gate}', header = true) g\` : 'SELECT * FROM source',
  target: { table: 'bronze.events', recordKey: ['id'], precombine: 'ts' },
};
`,
  );
  pipeline(
    'other.mjs',
    `export default ${JSON.stringify({
      name: 'z_other',
      schedule: 'always',
      source: { kind: 'files', path: path.join(landing, 'other', '*.jsonl'), format: 'json' },
      target: { table: 'bronze.other', recordKey: ['id'], precombine: 'ts' },
    })};\n`,
  );
});

describe('daily-run for cron and Airflow', () => {
  it('new data: exit 0 (also with --skip-exit-code), the last stdout line is the JSON summary, --run-results is written', async () => {
    land('events', 2);
    land('other', 1);
    const r = await run(`tidemark daily-run ${where} --json --run-results results/run_results.json --skip-exit-code 99`);
    expect(r.code, r.err).toBe(0);
    const summary = summaryOf(r);
    expect(summary).toMatchObject({ ok: true, exitCode: 0 });
    expect(byPipeline(summary).a_events).toMatchObject({ status: 'SUCCESS', recordsRead: 2, inserted: 2 });

    const doc = resultsFile('results/run_results.json');
    expect(fs.readdirSync(path.join(elsewhere, 'results'))).toEqual(['run_results.json']); // no temp file left
    expect(doc.metadata.tidemark_schema_version).toBe('tidemark/run-results/v1');
    expect(doc.metadata.invocation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(doc.metadata.generated_at).toISOString()).toBe(doc.metadata.generated_at);
    expect(doc).toMatchObject({ success: true, exit_code: 0, interrupted: null, error: null });
    expect(typeof doc.elapsed_time).toBe('number');
    const events = byId(doc)['pipeline.a_events'];
    expect(events).toMatchObject({ pipeline: 'a_events', status: 'success', target: 'bronze.events', counts: { read: 2, inserted: 2, updated: 0, rejected: 0 } });
    expect(events.instant).toMatch(/^\d{17}$/);
    expect(events.window).toEqual({ start: null, end: expect.stringMatching(/Z$/) });
    expect(events.timing).toEqual([{ name: 'execute', started_at: expect.any(String), completed_at: expect.any(String) }]);
    expect(events.timing[0].started_at <= events.timing[0].completed_at).toBe(true);
    expect(events.message).toMatch(/^read 2, inserted 2/);
    expect(byId(doc)['pipeline.z_other']).toMatchObject({ status: 'success', counts: { read: 1 } });
  });

  it('no new data: --skip-exit-code 99 exits 99 (catalog and warehouse from the environment); without it, 0', async () => {
    const env = { TIDEMARK_CATALOG: catalog, TIDEMARK_WAREHOUSE: warehouse };
    const skipped = await run('tidemark daily-run --json --skip-exit-code 99 --run-results r.json', env);
    expect(skipped.code, skipped.err).toBe(99);
    const summary = summaryOf(skipped);
    expect(summary.exitCode).toBe(99);
    expect(summary.results.map((x: any) => [x.pipeline, x.status, x.recordsRead])).toEqual([['a_events', 'SUCCESS', 0], ['z_other', 'SUCCESS', 0]]);
    const doc = resultsFile('r.json');
    expect(doc).toMatchObject({ success: true, exit_code: 99 });
    expect(doc.results.map((x: any) => x.status)).toEqual(['success', 'success']);

    const plain = await run('tidemark daily-run --json', env);
    expect(plain.code, plain.err).toBe(0);

    const empty = path.join(root, 'empty-catalog');
    fs.mkdirSync(empty);
    const nothingDue = await run(`tidemark daily-run --catalog ${q(empty)} --warehouse ${q(warehouse)} --skip-exit-code 99`);
    expect(nothingDue.code, nothingDue.err).toBe(99);
    expect(nothingDue.out).toBe('no pipeline is due\n');
  });

  it('a failing pipeline: exit 1 despite --skip-exit-code, its message in the run results, the JSON summary still last', async () => {
    pipeline('broken.mjs', `export default ${JSON.stringify({ name: 'm_broken', source: { kind: 'files', path: path.join(landing, 'events', '*.jsonl'), format: 'json' }, transform: 'SELECT missing_column FROM source', target: { table: 'side.broken', recordKey: ['id'] } })};\n`);
    try {
      land('events', 1);
      const r = await run(`tidemark daily-run ${where} --json --run-results failed.json --skip-exit-code 99`);
      expect(r.code, r.err).toBe(1);
      const summary = summaryOf(r);
      expect(summary).toMatchObject({ ok: false, exitCode: 1 });
      const doc = resultsFile('failed.json');
      expect(doc).toMatchObject({ success: false, exit_code: 1 });
      expect(byId(doc)['pipeline.m_broken']).toMatchObject({ status: 'error', instant: null, message: expect.stringMatching(/missing_column/) });
      expect(byId(doc)['pipeline.a_events']).toMatchObject({ status: 'success', counts: { read: 1 } });
    } finally {
      fs.rmSync(path.join(catalog, 'broken.mjs'));
    }
  });

  it('an error before any pipeline ran replaces an earlier run results document (exit 2)', async () => {
    fs.writeFileSync(path.join(elsewhere, 'stale.json'), '{"stale": true}\n');
    const r = await run(`tidemark daily-run ${where} --pipeline nosuch --json --run-results stale.json`);
    expect(r.code).toBe(2);
    expect(messages(r.err)).toEqual([expect.stringMatching(/^tidemark: no pipeline named "nosuch"/)]);
    const doc = resultsFile('stale.json');
    expect(doc).toMatchObject({ results: [], success: false, exit_code: 2, error: expect.stringMatching(/no pipeline named "nosuch"/) });
    expect(doc.stale).toBeUndefined();
  });

  it('--skip-exit-code takes a whole number from 1 to 255', async () => {
    for (const bad of ['0', '256', 'x', '1.5']) {
      const r = await run(`tidemark daily-run ${where} --skip-exit-code ${bad}`);
      expect(r.code, bad).toBe(2);
      expect(r.err).toMatch(/is not an exit code from 1 to 255/);
    }
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s while a pipeline runs: exit %i, one stderr line, the run FAILED at once with its window unchanged, the next run processes it', async (signal, code) => {
    land('events', 1);
    land('other', 1);
    const watermark = await withMetastore(async (m) => (await m.lastSuccess('a_events'))!.currentRunTimestamp.toISOString());
    const started = new Started(`tidemark daily-run ${where} --json --run-results interrupted.json`, { TM_TEST_GATE: gate });
    const writer = await gateReader(started);
    try {
      started.kill(signal);
      await started.until('the interruption message', () => (started.err.includes(`interrupted by ${signal}`) ? true : undefined));
      fs.writeSync(writer, 'gate\n1\n');
    } finally {
      fs.closeSync(writer); // the transform reads to the end and returns; the run stops at the next safe point
    }
    const r = await started.ended;
    expect(r.code, r.err).toBe(code);
    expect(messages(r.err)).toEqual([expect.stringMatching(new RegExp(`^tidemark: interrupted by ${signal}: stopping at the next safe point`))]);

    const summary = summaryOf(r);
    expect(summary).toMatchObject({ ok: false, exitCode: code, interrupted: `interrupted by ${signal}` });
    const events = byPipeline(summary).a_events;
    expect(events).toMatchObject({ status: 'FAILED', error: expect.stringMatching(new RegExp(`interrupted by ${signal} before the checks`)) });
    expect(events.instant).toBeUndefined(); // nothing committed
    expect(events.window.start).toBe(watermark);
    expect(byPipeline(summary).z_other).toMatchObject({ status: 'SKIPPED', error: `not started: interrupted by ${signal}` });
    const doc = resultsFile('interrupted.json');
    expect(doc).toMatchObject({ success: false, exit_code: code, interrupted: `interrupted by ${signal}` });
    expect(byId(doc)['pipeline.a_events']).toMatchObject({ status: 'error', message: expect.stringMatching(new RegExp(`interrupted by ${signal}`)) });
    expect(byId(doc)['pipeline.z_other']).toMatchObject({ status: 'skipped', timing: [] });

    // Logged FAILED by the interrupted process itself, before any other start could reconcile it.
    await withMetastore(async (m) => {
      const row = (await m.runs({ pipelineName: 'a_events' })).find((x) => x.runId === events.runId)!;
      expect(row).toMatchObject({ status: 'FAILED', commitInstant: null, errorMessage: expect.stringMatching(new RegExp(`interrupted by ${signal} before the checks`)) });
      expect(await m.runs({ status: 'RUNNING' })).toEqual([]);
      expect((await m.lastSuccess('a_events'))!.currentRunTimestamp.toISOString()).toBe(watermark);
    });

    const next = await run(`tidemark daily-run ${where} --json`);
    expect(next.code, next.err).toBe(0);
    const again = byPipeline(summaryOf(next));
    expect(again.a_events).toMatchObject({ status: 'SUCCESS', recordsRead: 1, inserted: 1 });
    expect(again.a_events.window.start).toBe(watermark);
    expect(again.z_other).toMatchObject({ status: 'SUCCESS', recordsRead: 1 });
  });

  it('a second signal exits at once; the next start reconciles the run left RUNNING and processes its window', async () => {
    land('events', 1);
    const watermark = await withMetastore(async (m) => (await m.lastSuccess('a_events'))!.currentRunTimestamp.toISOString());
    const started = new Started(`tidemark daily-run ${where} --json`, { TM_TEST_GATE: gate });
    const writer = await gateReader(started);
    let r: Ended;
    try {
      started.kill('SIGINT');
      await started.until('the interruption message', () => (started.err.includes('interrupted by SIGINT') ? true : undefined));
      started.kill('SIGINT'); // the transform is still waiting on the gate: only exiting at once ends the process
      r = await started.ended;
    } finally {
      fs.closeSync(writer);
    }
    // It died of the signal (the process cannot exit normally while DuckDB's thread waits on the
    // gate); bash, which exec'd it, is gone too, and a shell waiting on it reports 130.
    expect({ code: r.code, signal: r.signal }, r.err).toEqual({ code: null, signal: 'SIGINT' });
    expect(messages(r.err)).toEqual([expect.stringMatching(/^tidemark: interrupted by SIGINT/), expect.stringMatching(/^tidemark: SIGINT again: exiting now/)]);
    expect(r.out).toBe('');
    const left = await withMetastore((m) => m.runs({ pipelineName: 'a_events', status: 'RUNNING' }));
    expect(left).toHaveLength(1);

    const next = await run(`tidemark daily-run ${where} --json`);
    expect(next.code, next.err).toBe(0);
    const events = byPipeline(summaryOf(next)).a_events;
    expect(events).toMatchObject({ status: 'SUCCESS', recordsRead: 1, inserted: 1 });
    expect(events.window.start).toBe(watermark);
    await withMetastore(async (m) => {
      const row = (await m.runs({ pipelineName: 'a_events' })).find((x) => x.runId === left[0]!.runId)!;
      expect(row).toMatchObject({ status: 'FAILED', errorMessage: expect.stringMatching(/ended before it committed/) });
    });
  });
});

describe('runPipeline from code, with an AbortSignal', () => {
  it('aborted before the write: FAILED, nothing committed, the next run takes the same window; aborted before the start: SKIPPED', async () => {
    const dir = path.join(root, 'from-code');
    fs.mkdirSync(path.join(dir, 'landing'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'catalog'));
    fs.writeFileSync(path.join(dir, 'landing', 'a.jsonl'), '{"id": 1, "ts": 1}\n');
    const def = { name: 'coded', source: { kind: 'files', path: path.join(dir, 'landing', '*.jsonl'), format: 'json' }, target: { table: 'code.events', recordKey: ['id'], precombine: 'ts' } } as const;
    const session = { warehouse: path.join(dir, 'warehouse'), catalog: path.join(dir, 'catalog') };

    const controller = new AbortController();
    const stopped = await runPipeline(def, { ...session, signal: controller.signal, beforeCommit: () => controller.abort('SIGTERM') });
    expect(stopped).toMatchObject({ status: 'FAILED', instant: undefined, error: expect.stringMatching(/interrupted by SIGTERM before the write/) });
    expect(stopped.window!.start).toBeNull();
    expect(fs.existsSync(path.join(session.warehouse, 'code'))).toBe(false); // no table was even created

    const notStarted = await runPipeline(def, { ...session, signal: controller.signal });
    expect(notStarted).toMatchObject({ status: 'SKIPPED', runId: undefined, error: 'not started: interrupted by SIGTERM' });

    const next = await runPipeline(def, session);
    expect(next).toMatchObject({ status: 'SUCCESS', recordsRead: 1, inserted: 1 });
    expect(next.window!.start).toBeNull(); // the interrupted window, again
  });
});
