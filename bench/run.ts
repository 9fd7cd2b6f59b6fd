/**
 * `npm run bench`: Tidemark against the copy-on-write floor (`cow-limit-meta`) on the team's
 * standard workload, in one process, on the same staged Parquet files.
 *
 *   npm run bench -- [--rows 2M] [--repeat 1] [--json] [--dir DIR] [--keep] [--seed 42] [--peers tidemark,cow-limit-meta]
 *   npm run bench -- --scale 2M,8M,20M      load + upsert_skewed at each size
 *   --memory-limit 8GB caps each peer's DuckDB (Tidemark.open({ memoryLimit }); the memory_limit setting for the
 *   floor), so a large --scale run on a shared machine spills instead of exhausting RAM.
 *   npm run bench -- --summarize a.jsonl b.jsonl   readable summary of saved --json runs
 *
 * With --json, one JSON line per step and repeat on stdout ({peer, step, rows, seconds,
 * bytes_on_disk, peak_rss_mb, step_rss_mb, ...}); progress goes to stderr. Exits 1 when any
 * correctness step fails. `peak_rss_mb` is the process's maxRSS so far (process-wide running max);
 * `step_rss_mb` is the highest RSS sampled while that step ran.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type StepRecord, runPeer } from './driver.ts';
import { fmtCount, parseCount, peakRssMb } from './measure.ts';
import type { Peer } from './peer.ts';
import { openFloor } from './peer-floor.ts';
import { openTidemark } from './peer-tidemark.ts';
import { FLOOR, TIDEMARK, correctness, goalTable, goals, scaleTable, stepTable } from './report.ts';
import { type DataSet, buildDataSet } from './stage.ts';

interface Args {
  rows: number;
  repeat: number;
  json: boolean;
  dir: string | undefined;
  keep: boolean;
  seed: number;
  scale: number[] | undefined;
  peers: string[];
  memoryLimit: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rows: 2_000_000, repeat: 1, json: false, dir: undefined, keep: false, seed: 42, scale: undefined, peers: [TIDEMARK, FLOOR], memoryLimit: undefined };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${f} needs a value`);
      return v;
    };
    if (f === '--rows') a.rows = parseCount(val());
    else if (f === '--repeat') a.repeat = Math.max(1, Number.parseInt(val(), 10));
    else if (f === '--json') a.json = true;
    else if (f === '--dir') a.dir = path.resolve(val());
    else if (f === '--keep') a.keep = true;
    else if (f === '--seed') a.seed = Number(val());
    else if (f === '--scale') a.scale = val().split(',').filter(Boolean).map(parseCount);
    else if (f === '--peers') a.peers = val().split(',').filter(Boolean);
    else if (f === '--memory-limit') a.memoryLimit = val();
    else if (f === '--help' || f === '-h') {
      process.stdout.write('npm run bench -- [--rows 2M] [--repeat K] [--json] [--dir DIR] [--keep] [--seed 42] [--peers tidemark,cow-limit-meta] [--memory-limit 8GB] [--scale 2M,8M,20M]\n');
      process.exit(0);
    } else throw new Error(`unknown flag ${f}`);
  }
  for (const p of a.peers) if (!PEERS.has(p)) throw new Error(`unknown peer ${p} (use ${[...PEERS.keys()].join(', ')})`);
  if (!Number.isFinite(a.rows) || a.rows < 10_000) throw new Error('--rows must be at least 10000 (the batches need an update pool)');
  return a;
}

const PEERS: ReadonlyMap<string, (root: string, memoryLimit?: string) => Promise<Peer>> = new Map([
  [TIDEMARK, openTidemark],
  [FLOOR, openFloor],
]);

async function main(): Promise<number> {
  if (process.argv[2] === '--summarize') return summarizeFiles(process.argv.slice(3));
  const args = parseArgs(process.argv.slice(2));
  const ownDir = args.dir === undefined;
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  // DuckDB spills in-memory databases to ./.tmp: keep that inside the bench directory, not the repo.
  const cwd = process.cwd();
  process.chdir(dir);
  const log = (m: string): void => void process.stderr.write(m + '\n');
  const records: StepRecord[] = [];
  const emit = (r: StepRecord): void => {
    records.push(r);
    if (args.json) process.stdout.write(JSON.stringify(r) + '\n');
    const secs = r.seconds === null ? '' : ` ${r.seconds.toFixed(4)} s`;
    log(`  ${r.peer.padEnd(15)} ${r.step.padEnd(20)}${secs}${r.step === 'correctness' ? ` ${r.result}${r.ok ? '' : ': ' + (r.problems as string[]).join('; ')}` : ''}  (step RSS ${r.step_rss_mb ?? '-'} MiB, peak ${r.peak_rss_mb} MiB)`);
  };

  const env = await environment(args);
  if (args.json) process.stdout.write(JSON.stringify(env) + '\n');
  log(`tidemark bench: ${args.scale ? `scale ${args.scale.map(fmtCount).join(', ')}` : `${fmtCount(args.rows)} rows`}, ${args.repeat} repeat(s), dir ${dir}`);
  log(`  node ${env.node}, ${env.nproc} cores (${env.cpu}), ${env.mem_gib} GiB, duckdb ${env.duckdb}, load average ${env.load_1m}`);
  if (Number(env.load_1m) > 0.5) log('  note: the machine is busy (load average > 0.5); timings will be noisy, use --repeat 3 or more');

  const sizes = args.scale ?? [args.rows];
  const scaleMode = args.scale !== undefined;
  try {
    for (const n of sizes) {
      const data = await buildDataSet(n, args.seed, dir, scaleMode);
      const exp = data.expected;
      if (args.json) {
        const line = { peer: 'data', step: 'expected', rows: exp.count, seconds: +data.stageSeconds.toFixed(3), bytes_on_disk: data.stageBytes, peak_rss_mb: peakRssMb(), sum_qty: exp.sumQty, sum_amount: +exp.sumAmount.toFixed(2), lookup_ids: data.lookupIds, ...(scaleMode ? { scale_rows: n } : {}) };
        process.stdout.write(JSON.stringify(line) + '\n');
      }
      log(`data: ${fmtCount(n)} rows + batches of ${data.batches.b1.n}/${data.batches.b2.n}/${data.batches.b3.n} staged in ${data.stageSeconds.toFixed(1)} s (${(data.stageBytes / 2 ** 20).toFixed(0)} MiB parquet); expected ${exp.count} rows, sum(qty) ${exp.sumQty}, sum(amount) ${exp.sumAmount.toFixed(2)}, lookup ids ${data.lookupIds.join(',')}; peak RSS ${peakRssMb()} MiB`);
      if (n === sizes[0]) await warmUp(args.peers, data, dir, args.memoryLimit);
      for (let rep = 0; rep < args.repeat; rep++) {
        for (const name of args.peers) {
          const open = PEERS.get(name)!;
          const root = path.join(dir, `${name}-${n}-r${rep}`);
          const peer = await open(root, args.memoryLimit);
          try {
            await runPeer(peer, data, emit, { repeat: rep, ...(scaleMode ? { scale_rows: n } : {}) });
          } finally {
            peer.close();
            if (!args.keep) fs.rmSync(root, { recursive: true, force: true });
          }
        }
      }
      if (!args.keep) fs.rmSync(path.join(dir, `stage-${n}`), { recursive: true, force: true });
    }
    if (!args.keep) fs.rmSync(path.join(dir, '.tmp'), { recursive: true, force: true });
  } finally {
    process.chdir(cwd);
    if (!args.keep && ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }

  if (!args.json) printSummary(records, scaleMode, args.repeat, args.rows, args.peers);
  return args.peers.every((p) => correctness(records, p).ok) ? 0 : 1;
}

/** `--summarize a.jsonl b.jsonl ...`: the readable summary of saved --json runs, each run counted as a repeat. */
function summarizeFiles(files: string[]): number {
  const records: StepRecord[] = [];
  let runs = 0;
  let rows = 0;
  for (const [i, f] of files.entries()) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const r = JSON.parse(line) as StepRecord;
      if (r.peer !== 'env') r.repeat = `${i}:${String(r.repeat ?? 0)}`; // repeats of different runs stay apart
      if (r.peer === 'env') {
        runs += Number(r.repeat ?? 1);
        rows = Number(r.rows ?? rows);
      } else if (r.peer !== 'data') records.push(r);
    }
  }
  const peers = [TIDEMARK, FLOOR].filter((p) => records.some((r) => r.peer === p));
  printSummary(records, records.some((r) => r.scale_rows !== undefined), runs, rows, peers);
  return peers.every((p) => correctness(records, p).ok) ? 0 : 1;
}

function printSummary(records: StepRecord[], scaleMode: boolean, repeats: number, rows: number, peers: ReadonlyArray<string>): void {
  {
    const out = (m: string): void => void process.stdout.write(m + '\n');
    out('');
    if (scaleMode) {
      out(`## Scale: load + upsert_skewed (1% of N in the 2 latest days), medians over ${repeats} repeat(s)\n`);
      out(scaleTable(records));
      out('\n' + goalTable(goals([], records).slice(-2)));
    } else {
      out(`## ${fmtCount(rows)} rows: tidemark vs ${FLOOR}\n`);
      out(stepTable(records, repeats));
      out('\n' + goalTable(goals(records)));
    }
    const loads = records.filter((r) => typeof r.load_1m === 'number').map((r) => r.load_1m as number);
    if (loads.length) {
      const cores = os.availableParallelism();
      out(`\n1-minute load average during the run: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} on ${cores} cores (the bench itself accounts for about ${cores}; well above that, other work competed and timings are inflated).`);
    }
    out(`\nstep RSS = highest whole-process RSS sampled during the step; process peak RSS ${Math.max(0, ...records.map((r) => r.peak_rss_mb))} MiB (maxRSS, running max over the whole run, includes data generation and both peers).`);
    for (const p of peers) {
      const c = correctness(records, p);
      if (!c.ok) out(`\n${p} correctness FAILED:\n  - ${c.problems.join('\n  - ')}`);
    }
  }
}

/**
 * Untimed: each peer loads a batch file and upserts the small batch once, so code paths, the DuckDB
 * library's pages and thread pools are warm for whichever peer is timed first.
 */
async function warmUp(peers: ReadonlyArray<string>, data: DataSet, dir: string, memoryLimit: string | undefined): Promise<void> {
  for (const name of peers) {
    const root = path.join(dir, `warmup-${name}`);
    const peer = await PEERS.get(name)!(root, memoryLimit);
    try {
      await peer.load(data.files.b1);
      await peer.upsert(data.files.b3);
      await peer.snapshot();
      await peer.lookup(data.lookupIds[0]!);
    } finally {
      peer.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
}

async function environment(args: Args): Promise<StepRecord> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  const duckdb = String((await conn.runAndReadAll('SELECT version() AS v')).getRowObjects()[0]!.v);
  conn.closeSync();
  inst.closeSync();
  return {
    peer: 'env',
    step: 'info',
    rows: args.scale ? null : args.rows,
    seconds: null,
    bytes_on_disk: null,
    peak_rss_mb: peakRssMb(),
    node: process.version,
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    load_1m: +os.loadavg()[0]!.toFixed(2),
    duckdb,
    seed: args.seed,
    repeat: args.repeat,
    scale: args.scale ?? null,
    memory_limit: args.memoryLimit ?? 'duckdb default (80% of RAM)',
  };
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 2;
}
