/**
 * The `export` step: the standard table (the standard run's base data set, N rows over 30 day
 * partitions, bulk-inserted by Tidemark, untimed) exported by the `tidemark` binary (bin/tidemark.mjs,
 * so build first) in every streamed format, each beside DuckDB's own export of the same rows:
 *
 *   export_csv      `tidemark read T --format csv > FILE`     floor `COPY (SELECT * FROM read_parquet(…)) TO FILE (FORMAT csv)`
 *   export_jsonl    `tidemark read T --format jsonl > FILE`   floor the same, FORMAT json (newline-delimited)
 *   export_parquet  `tidemark read T --format parquet --output FILE`   floor the same, FORMAT parquet
 *
 * The floor is a bare script in a fresh process (node, @duckdb/node-api in memory, the COPY over the
 * table's latest base files), so both figures are wall seconds, spawn to exit, start-up included;
 * within a repeat the two run back to back, the command first in even repeats. The CLI process's
 * peak RSS is its VmHWM (/proc/<pid>/status, sampled every 10 ms; Linux only, else not measured).
 * Each output is checked (untimed): its row count, and for jsonl that a line parses with every column.
 * Goals: at most 1.5× the floor's seconds, peak RSS at most 1 GiB.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { StepRecord } from './driver.ts';
import { fmtCount, median, round4 } from './measure.ts';
import { openTidemark } from './peer-tidemark.ts';
import { buildDataSet } from './stage.ts';

const BIN = fileURLToPath(new URL('../bin/tidemark.mjs', import.meta.url));
/** The peer name of the step's records. */
export const EXPORT = 'export';
const FORMATS = ['csv', 'jsonl', 'parquet'] as const;
type Format = (typeof FORMATS)[number];
const RATIO_GOAL = 1.5;
const RSS_GOAL_MB = 1024;

export interface ExportOptions {
  /** The bench's directory; the step works in `<dir>/export`. */
  dir: string;
  rows: number;
  seed: number;
  repeat: number;
  keep: boolean;
  record: (r: StepRecord) => void;
  log: (m: string) => void;
}

/** Runs the export step; false when an export failed or produced the wrong rows (its record says why). */
export async function runExport(o: ExportOptions): Promise<boolean> {
  const dir = path.join(o.dir, 'export');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  try {
    o.log(`export: staging and loading the standard ${fmtCount(o.rows)}-row table in ${dir} (untimed)`);
    const data = await buildDataSet(o.rows, o.seed, dir, false);
    const table = path.join(dir, 'table');
    const peer = await openTidemark(table);
    try {
      await peer.load(data.files.base);
    } finally {
      peer.close();
    }
    fs.rmSync(path.join(dir, `stage-${o.rows}`), { recursive: true, force: true });
    const floor = writeFloor(dir, parquetFiles(table));
    let ok = true;
    for (let rep = 0; rep < o.repeat; rep++) {
      for (const format of FORMATS) ok = (await measure(format, rep, table, floor, dir, o)) && ok;
    }
    return ok;
  } finally {
    if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One format, one repeat: the command and the floor back to back; false when either failed. */
async function measure(format: Format, rep: number, table: string, floor: string, dir: string, o: ExportOptions): Promise<boolean> {
  const step = `export_${format}`;
  const ext = format === 'jsonl' ? 'jsonl' : format;
  const out = path.join(dir, `cli.${ext}`);
  const floorOut = path.join(dir, `floor.${ext}`);
  const command = format === 'parquet' ? [BIN, 'read', table, '--format', 'parquet', '--output', out] : [BIN, 'read', table, '--format', format];
  try {
    const runCommand = async (): Promise<Timed> => timed(command, dir, format === 'parquet' ? undefined : out);
    const runFloor = async (): Promise<Timed> => timed([floor, format === 'jsonl' ? 'json' : format, floorOut], dir);
    let cli: Timed;
    let base: Timed;
    if (rep % 2 === 0) {
      cli = await runCommand();
      base = await runFloor();
    } else {
      base = await runFloor();
      cli = await runCommand();
    }
    const rows = await countRows(out, format);
    const floorRows = await countRows(floorOut, format);
    if (rows !== o.rows || floorRows !== o.rows) throw new Error(`${rows} rows exported by tidemark, ${floorRows} by the floor; the table has ${o.rows}`);
    if (format === 'jsonl') checkJsonLine(out);
    const bytes = fs.statSync(out).size;
    const ratio = cli.seconds / base.seconds;
    o.log(`  export ${format.padEnd(8)} ${cli.seconds.toFixed(2)} s  floor ${base.seconds.toFixed(2)} s  ${ratio.toFixed(2)}×  peak RSS ${cli.peakRssMb ?? '-'} MiB (floor ${base.peakRssMb ?? '-'} MiB)  ${(bytes / 2 ** 20).toFixed(0)} MiB out`);
    o.record({
      peer: EXPORT,
      step,
      rows,
      seconds: round4(cli.seconds),
      bytes_on_disk: bytes,
      peak_rss_mb: cli.peakRssMb ?? 0,
      floor_seconds: round4(base.seconds),
      floor_peak_rss_mb: base.peakRssMb,
      floor_bytes: fs.statSync(floorOut).size,
      ratio: +ratio.toFixed(3),
      repeat: rep,
      load_1m: +os.loadavg()[0]!.toFixed(2),
    });
    return true;
  } catch (error) {
    const problem = (error as Error).message;
    o.log(`  export ${format} FAILED: ${problem}`);
    o.record({ peer: EXPORT, step, rows: null, seconds: null, bytes_on_disk: null, peak_rss_mb: 0, ok: false, problems: [problem], repeat: rep });
    return false;
  } finally {
    fs.rmSync(out, { force: true });
    fs.rmSync(floorOut, { force: true });
  }
}

interface Timed {
  seconds: number;
  /** The process's VmHWM, MiB (undefined where /proc is not there). */
  peakRssMb: number | undefined;
}

/** Runs `node argv…` in `cwd` (stdout into `stdoutFile` if given), sampling its peak RSS; throws on a non-zero exit. */
async function timed(argv: ReadonlyArray<string>, cwd: string, stdoutFile?: string): Promise<Timed> {
  const out = stdoutFile === undefined ? 'ignore' : fs.openSync(stdoutFile, 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, argv, { cwd, stdio: ['ignore', out, 'pipe'], env: childEnv() });
  if (typeof out === 'number') fs.closeSync(out);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => void (stderr += b.toString()));
  let peak: number | undefined;
  const sample = (): void => {
    const kb = vmHwmKb(child.pid);
    if (kb !== undefined) peak = Math.max(peak ?? 0, Math.round(kb / 1024));
  };
  const timer = setInterval(sample, 10);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, signal) => resolve(c ?? (signal === null ? null : -1)));
  }).finally(() => clearInterval(timer));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`node ${argv.map((a) => path.basename(a)).join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
  return { seconds, peakRssMb: peak };
}

/** A process's peak resident set (VmHWM, kB) from /proc, or undefined. */
function vmHwmKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined; // exited between samples, or no /proc
  }
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['TIDEMARK_METASTORE_URL', 'TIDEMARK_WAREHOUSE', 'TIDEMARK_CATALOG', 'NODE_OPTIONS']) delete env[k];
  return env;
}

/** Rows in an output: Parquet's row count, CSV lines less the header, JSON lines. */
async function countRows(file: string, format: Format): Promise<number> {
  if (format === 'parquet') {
    const instance = await DuckDBInstance.create(':memory:');
    try {
      const c = await instance.connect();
      const n = (await c.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${file.replaceAll("'", "''")}')`)).getRows()[0]![0];
      c.closeSync();
      return Number(n);
    } finally {
      instance.closeSync();
    }
  }
  let lines = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return format === 'csv' ? lines - 1 : lines;
}

/** The first JSON line parses and has the table's 15 columns (10 data, 5 meta). */
function checkJsonLine(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
    const first = buffer.subarray(0, n).toString('utf8').split('\n')[0]!;
    const keys = Object.keys(JSON.parse(first) as object);
    if (keys.length !== 15) throw new Error(`the first JSON line has ${keys.length} keys, not 15: ${first.slice(0, 200)}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** The floor's script: DuckDB's COPY of the table's files; argv: format, output file. */
function writeFloor(dir: string, files: ReadonlyArray<string>): string {
  const script = `import { DuckDBInstance } from ${JSON.stringify(import.meta.resolve('@duckdb/node-api'))};
const files = ${JSON.stringify(files)};
const [format, out] = process.argv.slice(2);
const q = (s) => "'" + s.replaceAll("'", "''") + "'";
const instance = await DuckDBInstance.create(':memory:');
const c = await instance.connect();
await c.run('COPY (SELECT * FROM read_parquet([' + files.map(q).join(', ') + '], union_by_name = true)) TO ' + q(out) + ' (FORMAT ' + format + ')');
c.closeSync();
instance.closeSync();
`;
  const file = path.join(dir, 'floor-export.mjs');
  fs.writeFileSync(file, script);
  return file;
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

/** The export step's summary: per format, median seconds, the floor's, the median ratio, the worst peak RSS, the goals. */
export function exportTable(records: ReadonlyArray<StepRecord>, repeats: number): string {
  const lines = ['| format | s | floor s | ratio | peak RSS MiB | output MiB | goal ≤ 1.5×, ≤ 1 GiB | met? |', '|---|---:|---:|---:|---:|---:|---|---|'];
  const failed: string[] = [];
  for (const format of FORMATS) {
    const rs = records.filter((r) => r.peer === EXPORT && r.step === `export_${format}`);
    const timed = rs.filter((r) => typeof r.seconds === 'number');
    for (const r of rs) if (r.ok === false) failed.push(`${format} (repeat ${String(r.repeat)}): ${(r.problems as string[]).join('; ')}`);
    if (timed.length === 0) {
      if (rs.length > 0) lines.push(`| ${format} | – | – | – | – | – | | FAILED |`);
      continue;
    }
    const secs = median(timed.map((r) => r.seconds as number));
    const ratio = median(timed.map((r) => Number(r.ratio)));
    const rss = Math.max(...timed.map((r) => r.peak_rss_mb));
    const met = ratio <= RATIO_GOAL && rss > 0 && rss <= RSS_GOAL_MB;
    const mib = (median(timed.map((r) => r.bytes_on_disk as number)) / 2 ** 20).toFixed(0);
    lines.push(`| ${format} | ${secs.toFixed(2)} | ${median(timed.map((r) => Number(r.floor_seconds))).toFixed(2)} | ${ratio.toFixed(2)}× | ${rss || 'not measured'} | ${mib} | ${ratio <= RATIO_GOAL ? 'time met' : 'time NOT met'}, ${rss > 0 && rss <= RSS_GOAL_MB ? 'RSS met' : 'RSS NOT met'} | ${met ? 'met' : 'not met'} |`);
  }
  const note = failed.length ? `\n\nexport FAILED:\n  - ${failed.join('\n  - ')}` : '';
  return `Wall seconds of each process, spawn to exit (Node's start-up included): medians over ${repeats} repeat(s); ratio: median over repeats of the ratio within each repeat; peak RSS: the highest VmHWM of the tidemark process over the repeats.\n\n${lines.join('\n')}${note}`;
}
