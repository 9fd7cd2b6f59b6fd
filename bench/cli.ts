/**
 * The `cli` step: wall time, start to exit, of the real `tidemark` binary (`node bin/tidemark.mjs …`,
 * the compiled `dist/`), each command beside a floor timed in the same run, the two interleaved (the
 * command first in even repeats, the floor first in odd ones):
 *
 *   help           `tidemark --help`                       floor `node -e 0`
 *   read           `read <path> --format jsonl`, 500 rows  floor a bare script: @duckdb/node-api, in-memory,
 *                                                            read_parquet of the table's files, JSON lines
 *   status_pglite  `status` on the embedded PGlite store    floor knex + knex-pglite open + one query
 *   status_pg      `status` on PostgreSQL (own schema)      floor knex + pg + one query
 *   daily_run      `daily-run`, one pipeline, 100 new rows  floor @duckdb/node-api instance + knex-pglite open
 *
 * plus two reference rows (node + import commander, node + import @duckdb/node-api, floor `node -e 0`)
 * that show what the start of a command is made of. Every figure includes Node's own start-up.
 * Setup (untimed): a 500-row table written by `tidemark write`, a warehouse made by `tidemark init`
 * with one `daily-run` in its log, and the same on PostgreSQL when a server answers
 * (TIDEMARK_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test; skipped with a note if not).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { StepRecord } from './driver.ts';
import { round4 } from './measure.ts';
import { CLI } from './report.ts';

const BIN = fileURLToPath(new URL('../bin/tidemark.mjs', import.meta.url));
const TABLE_ROWS = 500;
const INCREMENT_ROWS = 100;
const PG_SCHEMA = 'tidemark_bench_cli';
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const PIPELINE = 'bench_cli';

/** One command and its floor, as arguments to `node`. */
interface Measurement {
  step: string;
  command: string;
  argv: ReadonlyArray<string>;
  floor: string;
  floorArgv: ReadonlyArray<string>;
  rows?: number;
  /** Untimed, before each repeat (daily-run: drop a new increment into the glob). */
  before?: (rep: number) => void;
  /** Throws when the command's output is not what it should be. */
  check?: (stdout: string) => void;
  /** Why it is not run (no PostgreSQL server). */
  skipped?: string;
}

/** The work directory after setup. */
interface Setup {
  dir: string;
  table: string;
  warehouse: string;
  catalog: string;
  floors: Readonly<Record<string, string>>;
  /** The PostgreSQL metastore URL (search_path = PG_SCHEMA), or why there is none. */
  pg: { url: string; warehouse: string } | { skipped: string };
}

export interface CliOptions {
  /** The bench's directory; the step works in `<dir>/cli`. */
  dir: string;
  repeat: number;
  keep: boolean;
  record: (r: StepRecord) => void;
  log: (m: string) => void;
}

/** Runs the cli step; false when a command failed (its record says why). */
export async function runCli(o: CliOptions): Promise<boolean> {
  const dir = path.join(o.dir, 'cli');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  let setup: Setup | undefined;
  try {
    o.log(`cli: setting up in ${dir} (a ${TABLE_ROWS}-row table, a PGlite warehouse with one pipeline run, PostgreSQL if it answers)`);
    setup = await prepare(dir);
    let ok = true;
    for (const m of measurements(setup)) ok = runMeasurement(m, dir, o) && ok;
    return ok;
  } catch (error) {
    const problem = (error as Error).message;
    o.log(`cli: setup FAILED: ${problem}`);
    o.record(record('setup', { seconds: null, ok: false, problems: [problem] }));
    return false;
  } finally {
    if (!o.keep) {
      fs.rmSync(dir, { recursive: true, force: true });
      if (setup !== undefined && 'url' in setup.pg) await dropSchema(pgUrl()).catch(() => undefined);
    }
  }
}

/** Every measurement, in the order they run (status before daily-run: one run in the log). */
function measurements(s: Setup): Measurement[] {
  const nodeE0 = { floor: 'node -e 0', floorArgv: ['-e', '0'] };
  const files = parquetFiles(s.table);
  const global = ['--warehouse', s.warehouse, '--catalog', s.catalog];
  const list: Measurement[] = [
    { step: 'help', command: 'tidemark --help', argv: [BIN, '--help'], ...nodeE0, check: (out) => expect(out.includes('Usage: tidemark'), 'no usage text') },
    { step: 'import_commander', command: '(reference) node + import commander', argv: [s.floors.commander!], ...nodeE0 },
    {
      step: 'read',
      command: `tidemark read <path> --format jsonl (${TABLE_ROWS} rows)`,
      argv: [BIN, 'read', s.table, '--format', 'jsonl'],
      floor: 'node + @duckdb/node-api: read_parquet → JSON lines',
      floorArgv: [s.floors.read!, ...files],
      rows: TABLE_ROWS,
      check: (out) => expect(lineCount(out) === TABLE_ROWS, `${lineCount(out)} lines, not ${TABLE_ROWS}`),
    },
    { step: 'import_duckdb', command: '(reference) node + import @duckdb/node-api', argv: [s.floors.duckdb!], ...nodeE0 },
    {
      step: 'status_pglite',
      command: 'tidemark status (embedded PGlite)',
      argv: [BIN, ...global, 'status', '--json'],
      floor: 'node + knex + PGlite open, one query',
      floorArgv: [s.floors.pglite!, path.join(s.warehouse, '.metastore')],
      check: checkStatus,
    },
  ];
  const pgStore = 'url' in s.pg ? s.pg : { url: '', warehouse: '' };
  list.push({
    step: 'status_pg',
    command: 'tidemark status (PostgreSQL)',
    argv: [BIN, '--metastore', pgStore.url, '--warehouse', pgStore.warehouse, '--catalog', s.catalog, 'status', '--json'],
    floor: 'node + knex + pg, one query',
    floorArgv: [s.floors.pg!, pgStore.url],
    check: checkStatus,
    ...('skipped' in s.pg ? { skipped: s.pg.skipped } : {}),
  });
  list.push({
    step: 'daily_run',
    command: `tidemark daily-run (1 pipeline, ${INCREMENT_ROWS} new rows)`,
    argv: [BIN, ...global, 'daily-run', '--json'],
    floor: 'node + @duckdb/node-api instance + knex + PGlite open',
    floorArgv: [s.floors.dailyRun!, path.join(s.warehouse, '.metastore')],
    rows: INCREMENT_ROWS,
    before: (rep) => writeCsv(path.join(s.dir, 'in', `inc-${rep}.csv`), incrementRows(rep)),
    check: checkDailyRun,
  });
  return list;
}

/** Times one measurement `repeat` times, command and floor interleaved; false when it failed. */
function runMeasurement(m: Measurement, cwd: string, o: CliOptions): boolean {
  if (m.skipped !== undefined) {
    o.log(`  cli ${m.step}: ${m.skipped}`);
    o.record(record(m.step, { command: m.command, seconds: null, skipped: m.skipped }));
    return true;
  }
  for (let rep = 0; rep < o.repeat; rep++) {
    try {
      m.before?.(rep);
      const runCommand = (): number => {
        const r = timed(m.argv, cwd);
        m.check?.(r.stdout);
        return r.seconds;
      };
      const runFloor = (): number => timed(m.floorArgv, cwd).seconds;
      const [seconds, floorSeconds] = rep % 2 === 0 ? [runCommand(), runFloor()] : swap(runFloor(), runCommand());
      const ratio = seconds / floorSeconds;
      o.log(`  cli ${m.step.padEnd(17)} ${seconds.toFixed(3)} s  floor ${floorSeconds.toFixed(3)} s  ${ratio.toFixed(2)}×  (${m.floor})`);
      o.record(record(m.step, { command: m.command, rows: m.rows ?? null, seconds: round4(seconds), floor: m.floor, floor_seconds: round4(floorSeconds), ratio: +ratio.toFixed(3), repeat: rep }));
    } catch (error) {
      const problem = (error as Error).message;
      o.log(`  cli ${m.step} FAILED: ${problem}`);
      o.record(record(m.step, { command: m.command, seconds: null, ok: false, problems: [problem], repeat: rep }));
      return false;
    }
  }
  return true;
}

const swap = <T>(a: T, b: T): [T, T] => [b, a];

/** A cli record: no table bytes, and the bench's own RSS says nothing of a child's (0: not measured). */
function record(step: string, fields: Record<string, unknown> & { seconds: number | null }): StepRecord {
  return { peer: CLI, step, rows: null, bytes_on_disk: null, peak_rss_mb: 0, load_1m: +os.loadavg()[0]!.toFixed(2), ...fields };
}

/** Runs `node argv…` in `cwd` to its exit; its wall seconds (spawn to exit) and stdout. Throws on a non-zero exit. */
function timed(argv: ReadonlyArray<string>, cwd: string): { seconds: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd, env: childEnv(), encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-5).join('\n');
    throw new Error(`node ${argv.map((a) => path.basename(a)).join(' ')} exited with ${r.status ?? r.signal}: ${tail}`);
  }
  return { seconds, stdout: r.stdout };
}

/** This environment without Tidemark's settings (every command gets its flags explicitly). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['TIDEMARK_METASTORE_URL', 'TIDEMARK_WAREHOUSE', 'TIDEMARK_CATALOG', 'NODE_OPTIONS']) delete env[k];
  return env;
}

/** Untimed: the table, the floors' scripts, the catalog, the PGlite warehouse and the PostgreSQL metastore. */
async function prepare(dir: string): Promise<Setup> {
  const table = path.join(dir, 'small_table');
  writeCsv(path.join(dir, 'small.csv'), baseRows());
  timed([BIN, 'write', table, '-i', path.join(dir, 'small.csv'), '--key', 'id', '--precombine', 'ts', '--partition-by', 'dt', '--json'], dir);
  const catalog = path.join(dir, 'catalog');
  writeCatalog(dir, catalog);
  const warehouse = path.join(dir, 'warehouse');
  timed([BIN, 'init', '--no-example', '--warehouse', warehouse, dir], dir);
  checkDailyRun(timed([BIN, '--warehouse', warehouse, '--catalog', catalog, 'daily-run', '--json'], dir).stdout, TABLE_ROWS);
  return { dir, table, warehouse, catalog, floors: writeFloors(dir), pg: await preparePg(dir, catalog) };
}

/** The catalog: one `files` pipeline over `<dir>/in/*.csv`, due on every run; the first file is the table's 500 rows. */
function writeCatalog(dir: string, catalog: string): void {
  fs.mkdirSync(path.join(dir, 'in'), { recursive: true });
  fs.copyFileSync(path.join(dir, 'small.csv'), path.join(dir, 'in', 'base.csv'));
  fs.mkdirSync(catalog, { recursive: true });
  const definition = {
    name: PIPELINE,
    source: { kind: 'files', path: path.join(dir, 'in', '*.csv'), format: 'csv' },
    target: { table: 'bench.cli', recordKey: ['id'], precombine: 'ts' },
    schedule: 'always',
  };
  fs.writeFileSync(path.join(catalog, `${PIPELINE}.mjs`), `export default ${JSON.stringify(definition, null, 2)};\n`);
}

/** A warehouse on PostgreSQL in its own schema, with one run in its log; or why not. */
async function preparePg(dir: string, catalog: string): Promise<Setup['pg']> {
  const base = pgUrl();
  try {
    await dropSchema(base, true);
  } catch (error) {
    return { skipped: `no PostgreSQL answered at ${redact(base)} (${(error as Error).message}): status on PostgreSQL skipped` };
  }
  const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${PG_SCHEMA}`)}`;
  const warehouse = path.join(dir, 'warehouse-pg');
  timed([BIN, 'init', '--no-example', '--metastore', url, '--warehouse', warehouse, dir], dir);
  checkDailyRun(timed([BIN, '--metastore', url, '--warehouse', warehouse, '--catalog', catalog, 'daily-run', '--json'], dir).stdout, TABLE_ROWS);
  return { url, warehouse };
}

function pgUrl(): string {
  return process.env.TIDEMARK_TEST_PG_URL || DEFAULT_PG_URL;
}

/** Drops the bench's schema (and with `recreate` creates it empty). */
async function dropSchema(url: string, recreate = false): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${PG_SCHEMA} CASCADE`);
    if (recreate) await client.query(`CREATE SCHEMA ${PG_SCHEMA}`);
  } finally {
    await client.end();
  }
}

const redact = (url: string): string => url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');

/** The floors' scripts, importing the repo's own packages by URL; name → file. */
function writeFloors(dir: string): Record<string, string> {
  const url = (spec: string): string => JSON.stringify(import.meta.resolve(spec));
  const pgliteOpen = `import knex from ${url('knex')};
import ClientPgLite from ${url('knex-pglite')};
const db = knex({ client: ClientPgLite, connection: { filename: process.argv[2] } });
const { rows } = await db.raw('SELECT count(*) AS n FROM pipeline_log');
process.stdout.write(String(rows[0].n) + '\\n');
await db.destroy();
`;
  const sources: Record<string, string> = {
    commander: `await import(${url('commander')});\n`,
    duckdb: `await import(${url('@duckdb/node-api')});\n`,
    read: `import { DuckDBInstance } from ${url('@duckdb/node-api')};
const files = process.argv.slice(2).map((f) => "'" + f.replaceAll("'", "''") + "'");
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const reader = await conn.runAndReadAll('SELECT * FROM read_parquet([' + files.join(', ') + '])');
process.stdout.write(reader.getRowObjectsJson().map((row) => JSON.stringify(row) + '\\n').join(''));
conn.closeSync();
instance.closeSync();
`,
    pglite: pgliteOpen,
    pg: `import knex from ${url('knex')};
const db = knex({ client: 'pg', connection: process.argv[2] });
const { rows } = await db.raw('SELECT count(*) AS n FROM pipeline_log');
process.stdout.write(String(rows[0].n) + '\\n');
await db.destroy();
`,
    dailyRun: `import { DuckDBInstance } from ${url('@duckdb/node-api')};
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
await conn.run('SELECT 1');
conn.closeSync();
instance.closeSync();
${pgliteOpen}`,
  };
  const floors = path.join(dir, 'floors');
  fs.mkdirSync(floors, { recursive: true });
  return Object.fromEntries(Object.entries(sources).map(([name, text]) => {
    const file = path.join(floors, `${name}.mjs`);
    fs.writeFileSync(file, text);
    return [name, file];
  }));
}

/** The table's Parquet files (one commit: its latest snapshot), outside `.hoodie`. */
function parquetFiles(table: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(table, { recursive: true, withFileTypes: true })) {
    const full = path.join(e.parentPath, e.name);
    if (e.isFile() && e.name.endsWith('.parquet') && !full.includes(`${path.sep}.hoodie`)) out.push(full);
  }
  return out.sort();
}

type Row = [id: number, ts: string, dt: string, name: string, amount: number];

/** The table's rows: ids 0…499, one day partition. */
function baseRows(): Row[] {
  return Array.from({ length: TABLE_ROWS }, (_, i): Row => [i, `2024-01-01 00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`, '2024-01-01', `n${i}`, i * 1.5]);
}

/** Repeat `rep`'s increment: 50 updates of existing ids (a newer ts) and 50 new ids. */
function incrementRows(rep: number): Row[] {
  const half = INCREMENT_ROWS / 2;
  const ts = `2024-02-01 00:00:${String(rep % 60).padStart(2, '0')}`;
  const updates = Array.from({ length: half }, (_, i): Row => [(rep * half + i) % TABLE_ROWS, ts, '2024-01-01', `u${rep}`, rep]);
  const inserts = Array.from({ length: half }, (_, i): Row => [10_000 + rep * half + i, ts, '2024-01-01', `i${rep}`, rep]);
  return [...updates, ...inserts];
}

function writeCsv(file: string, rows: ReadonlyArray<Row>): void {
  fs.writeFileSync(file, 'id,ts,dt,name,amount\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
}

function expect(ok: boolean, problem: string): void {
  if (!ok) throw new Error(problem);
}

const lineCount = (text: string): number => text.split('\n').filter((l) => l !== '').length;

function checkStatus(stdout: string): void {
  const statuses = JSON.parse(stdout) as Array<{ pipeline: string; runs: number }>;
  expect(statuses.some((p) => p.pipeline === PIPELINE && p.runs >= 1), `status lists no run of ${PIPELINE}: ${stdout.slice(0, 200)}`);
}

function checkDailyRun(stdout: string, rows = INCREMENT_ROWS): void {
  const r = JSON.parse(stdout) as { ok: boolean; results: Array<{ status: string; recordsRead: number }> };
  expect(r.ok && r.results.length === 1 && r.results[0]!.recordsRead === rows, `daily-run did not read ${rows} rows in one successful run: ${stdout.slice(0, 300)}`);
}
