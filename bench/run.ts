/**
 * `npm run bench`: Tidemark against the copy-on-write floor (`cow-limit-meta`) on the team's
 * standard workload, on the same staged Parquet files (in one process, or one child process per
 * peer run with --isolate).
 *
 *   npm run bench -- [--rows 2M] [--repeat 1] [--json] [--dir DIR] [--keep] [--seed 42] [--peers tidemark,cow-limit-meta]
 *   npm run bench -- --scale 2M,8M,20M      a table grown by days: load + the daily upsert_skewed at each size
 *   --isolate / --no-isolate                 each peer run in its own child process (default: on with --scale, off otherwise)
 *   --memory-limit 8GB caps each peer's DuckDB (Tidemark.open({ memoryLimit }); the memory_limit setting for the
 *   floor), so a large --scale run on a shared machine spills instead of exhausting RAM.
 *   npm run bench -- --summarize a.jsonl b.jsonl   readable summary of saved --json runs
 *   --peers tidemark,cow-limit-meta,lance    adds LanceDB (optional: npm install --no-save @lancedb/lancedb apache-arrow;
 *                                            see peer-lance.ts), judged by the two LanceDB goals
 *   --cli-only / --no-cli                    only the cli step / the standard run without it
 *   --export-only / --no-export              only the export step / the standard run without it
 *   npm run bench -- --ledger-only [--files 10000] [--repeat 3]   only the files ledger step (ledger.ts)
 *   --stream-only / --no-stream              only the stream step / the standard run without it
 *   --messages 1M --broker nats|kafka        the stream step's size and broker (default nats: the local server, 127.0.0.1:4222)
 *   --kafka-brokers HOST:PORT                a real Kafka cluster for the stream step instead of the mock (see below)
 *
 * The cli step (cli.ts; first in a standard run, not in a --scale run) times the `tidemark` binary
 * (bin/tidemark.mjs, so run `npm run build` first) start to exit, `--repeat` times, each command beside
 * its floor in the same run: `--help`, `read` of a small table, `status` on PGlite and on PostgreSQL,
 * a 100-row `daily-run`.
 *
 * The export step (export.ts; after the cli step in a standard run, not in a --scale run) exports the
 * standard table (--rows N, bulk-inserted, untimed) through the binary as csv, jsonl and parquet, each
 * beside DuckDB's own COPY of the same rows, `--repeat` times, with the CLI process's peak RSS.
 *
 * The stream step (stream.ts; after the export step in a standard run, not in a --scale run) produces
 * --messages N (default 1M) of the standard workload's base rows as JSON messages (key = id) to a
 * fresh JetStream stream on the local NATS server (default) or, with --broker kafka, to a fresh
 * topic of a mock Kafka cluster (kafka-mock.ts: librdkafka's mock through Debian's kcat) (untimed). Then,
 * `--repeat` times, each in a fresh child process: a pipeline (kind kafka/nats, format json, the
 * standard columns) run by `runPipeline` into a fresh warehouse's table keyed by id and partitioned
 * by dt, and its floor, the same stream adapter's read of every message into a JSON-lines file,
 * DuckDB's read_json into a table and its COPY to Parquet. Seconds of the step alone, the child's
 * peak RSS; the table is checked once (row count = distinct keys, a sample of rows = the source).
 * librdkafka's mock keeps at most 5 MiB per partition (4 partitions a topic), some 75k of these
 * messages: above 60k, broker kafka needs --kafka-brokers, and the bench refuses to start without it
 * (so the default broker is nats; for Kafka use --kafka-brokers or a smaller --messages).
 *
 * The standard run (--rows N) is the shared workload as is: N rows over 30 day partitions, batches
 * of 1% of N (spread, skewed into the 2 latest days, and 100 rows), so at a larger N the partitions
 * and the batches grow together (the proportional shape).
 *
 * --scale models a daily-partitioned table as it accumulates history, which is what the goal "skewed
 * upsert at 20M ≤ 1.5× its time at 2M" is about. A size N is a table of days = max(30, round(30 * N /
 * 2M)) day partitions from 2024-01-01 on (30 at 2M, 120 at 8M, 300 at 20M), so each partition holds
 * about 66.7k rows whatever N. Each peer loads it, runs upsert_skewed with the daily late-data batch
 * of a fixed size, 1% of 2M = 20k rows (round(0.01 * N * 30 / days); below 2M, 1% of N), with the
 * standard mix (75% fresh updates, 5% stale updates with an older ts and qty = -1, 20% new ids) in the
 * 2 latest days, and checks the snapshot against the model of exactly those two steps. The batch and
 * the two partitions it rewrites are the same size at every N, so a copy-on-write engine does the same
 * work; only costs that grow with the table (timeline, file listing, index) can make it slower, and
 * that is what the curve shows. (In the proportional shape, 20M would upsert 200k rows into two
 * partitions of 667k rows: 10× the work for every engine, the floor included.) Every size's data is
 * staged first; then each repeat takes the sizes in turn (reversed every other repeat), so the
 * machine's drift over minutes falls on every size alike instead of on whichever ran last.
 *
 * --isolate (the default with --scale; --no-isolate turns it off) runs each (peer, size, repeat) in
 * fresh child processes (isolate.ts starts child.ts), so their RSS is that peer's own: one child
 * loads the table, a second reopens it and runs every step after the load (as a daily job would run
 * in a new process against a table loaded long before). In one process, an upsert right after a
 * 20M-row load ran ~1.8× its time in a fresh process, for the floor as for Tidemark (2026-12-06: a
 * heavy load's after-effects in the process, not the table's size), so the split keeps the load's
 * after-effects out of the upsert that the scale goal compares across sizes. The parent generates
 * and stages the data and keeps the model; each child gets the staged files and the expected results
 * (driver.ts RunSpec), opens the peer on the same table directory as a shared run, and times,
 * samples and checks its steps itself (start-up and IPC are not in any step's seconds), sending each
 * record back. Without it (the standard run's default) both peers run in this process, both open at
 * once and interleaved step by step (Tidemark's load, the floor's load, Tidemark's upsert, ...; the
 * order rotates by repeat; each peer's step after an untimed pause, --settle-ms, see driver.ts
 * SETTLE_MS), so the two figures of a step are taken seconds apart, under the same machine state;
 * every RSS figure is whole-process: it includes the model (about 20 B per row), the data
 * generator's leftovers and the other peer's DuckDB memory.
 *
 * Warm-up: before the timed steps, each peer loads the 1% batch b1 and upserts the 100-row b3 into a
 * scratch table (untimed), so that code paths, the DuckDB library's pages and its thread pools are
 * warm and the first timed peer does not pay for them. In a shared process that is done once, for
 * both peers, before the first size; an isolated child starts cold whatever peer it runs, so each
 * child warms its own peer up first (a few hundred ms; its memory is small next to a load's and is in
 * the child's maxRSS and `start_rss_mb`).
 *
 * With --json, one JSON line per step and repeat on stdout ({peer, step, rows, seconds,
 * bytes_on_disk, peak_rss_mb, step_rss_mb, ...}; in scale mode also scale_rows, days and
 * batch_rows; isolated records also `isolated: true` and `start_rss_mb`, the child's RSS before its
 * first timed step); progress goes to stderr (an isolated child's own output too, prefixed).
 * `peak_rss_mb` is the measured process's maxRSS so far (a running max: the child's when isolated,
 * else this whole process's); `step_rss_mb` is the highest RSS of that process sampled while the
 * step ran. Exits 1 when any correctness step fails, 2 when the bench itself fails, including a
 * child process that crashes or is killed (its output is shown, the other runs go on, and its peer
 * gets a failed correctness record).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { PEERS, type RunSpec, SETTLE_MS, type StepRecord, runInterleaved, runSpec, warmUp } from './driver.ts';
import type { Peer } from './peer.ts';
import { DAYS, SCALE_REF_ROWS, shapeFor } from './data.ts';
import { runIsolated } from './isolate.ts';
import { checkLance } from './peer-lance.ts';
import { duBytes, fmtCount, forEachFlag, parseCount, peakRssMb } from './measure.ts';
import { runCli } from './cli.ts';
import { EXPORT, exportTable, runExport } from './export.ts';
import { runLedgerBench } from './ledger.ts';
import { type Broker, STREAM, runStream, streamProblem, streamTable } from './stream.ts';
import { CLI, FLOOR, LANCE, PEER_NAMES, TIDEMARK, cliTable, correctness, goalTable, goals, rssTable, scaleTable, stepTable } from './report.ts';
import { type DataSet, buildDataSet } from './stage.ts';
import { defaultMemoryLimit } from '../src/storage/duckdb/session.ts';

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
  /** Each peer run in a child process; undefined: on in scale mode, off in the standard run. */
  isolate: boolean | undefined;
  /** Untimed pause before each peer's step in a shared process (driver.ts SETTLE_MS). */
  settleMs: number;
  /** The cli step (cli.ts): on by default in the standard run; `only` skips the peers' steps. */
  cli: 'on' | 'off' | 'only';
  /** The export step (export.ts): on by default in the standard run; `only` skips every other step. */
  exportStep: 'on' | 'off' | 'only';
  /** The stream step (stream.ts): on by default in the standard run; `only` skips every other step. */
  stream: 'on' | 'off' | 'only';
  /** The stream step's messages and broker. */
  messages: number;
  broker: Broker;
  kafkaBrokers: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rows: 2_000_000, repeat: 1, json: false, dir: undefined, keep: false, seed: 42, scale: undefined, peers: [TIDEMARK, FLOOR], memoryLimit: undefined, isolate: undefined, settleMs: SETTLE_MS, cli: 'on', exportStep: 'on', stream: 'on', messages: 1_000_000, broker: 'nats', kafkaBrokers: undefined };
  forEachFlag(argv, (f, val) => {
    if (f === '--rows') a.rows = parseCount(val());
    else if (f === '--repeat') a.repeat = Math.max(1, Number.parseInt(val(), 10));
    else if (f === '--json') a.json = true;
    else if (f === '--dir') a.dir = path.resolve(val());
    else if (f === '--keep') a.keep = true;
    else if (f === '--seed') a.seed = Number(val());
    else if (f === '--scale') a.scale = val().split(',').filter(Boolean).map(parseCount);
    else if (f === '--peers') a.peers = val().split(',').filter(Boolean);
    else if (f === '--memory-limit') a.memoryLimit = val();
    else if (f === '--isolate') a.isolate = true;
    else if (f === '--no-isolate') a.isolate = false;
    else if (f === '--settle-ms') a.settleMs = Number(val());
    else if (f === '--cli-only') a.cli = 'only';
    else if (f === '--no-cli') a.cli = 'off';
    else if (f === '--export-only') a.exportStep = 'only';
    else if (f === '--no-export') a.exportStep = 'off';
    else if (f === '--stream-only') a.stream = 'only';
    else if (f === '--no-stream') a.stream = 'off';
    else if (f === '--messages') a.messages = parseCount(val());
    else if (f === '--broker') {
      const b = val();
      if (b !== 'kafka' && b !== 'nats') throw new Error(`--broker must be kafka or nats, not ${b}`);
      a.broker = b;
    } else if (f === '--kafka-brokers') a.kafkaBrokers = val();
    else if (f === '--help' || f === '-h') {
      process.stdout.write('npm run bench -- [--rows 2M] [--repeat K] [--json] [--dir DIR] [--keep] [--seed 42] [--peers tidemark,cow-limit-meta] [--memory-limit 8GB] [--scale 2M,8M,20M] [--isolate | --no-isolate] [--settle-ms 1500] [--cli-only | --no-cli] [--export-only | --no-export] [--stream-only | --no-stream] [--messages 1M] [--broker kafka|nats] [--kafka-brokers HOST:PORT]\n');
      process.exit(0);
    } else throw new Error(`unknown flag ${f}`);
  });
  for (const p of a.peers) if (!PEERS.has(p)) throw new Error(`unknown peer ${p} (use ${[...PEERS.keys()].join(', ')})`);
  if (!Number.isFinite(a.rows) || a.rows < 10_000) throw new Error('--rows must be at least 10000 (the batches need an update pool)');
  if (!Number.isFinite(a.settleMs) || a.settleMs < 0) throw new Error('--settle-ms must be a number of milliseconds, 0 or more');
  if ([a.cli, a.exportStep, a.stream].filter((x) => x === 'only').length > 1) throw new Error('--cli-only, --export-only and --stream-only exclude each other');
  if (!Number.isFinite(a.messages) || a.messages < 1) throw new Error('--messages must be a positive count');
  // Before any step runs: a standard run must not stop at the stream step after its long first steps.
  const streamProblemNow = runsStream(a) ? streamProblem(a.messages, a.broker, a.kafkaBrokers) : undefined;
  if (streamProblemNow !== undefined) throw new Error(streamProblemNow);
  if (a.scale !== undefined && (a.scale.length === 0 || a.scale.some((n) => !Number.isFinite(n) || n < 10_000))) throw new Error('--scale needs sizes of at least 10000 rows each');
  return a;
}

async function main(): Promise<number> {
  if (process.argv[2] === '--summarize') return summarizeFiles(process.argv.slice(3));
  if (process.argv[2] === '--ledger-only') return runLedgerBench(process.argv.slice(3));
  const args = parseArgs(process.argv.slice(2));
  if (args.peers.includes(LANCE)) await checkLance();
  const ownDir = args.dir === undefined;
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  // DuckDB spills in-memory databases to ./.tmp: keep that inside the bench directory, not the repo.
  const cwd = process.cwd();
  process.chdir(dir);
  const log = (m: string): void => void process.stderr.write(m + '\n');
  const records: StepRecord[] = [];
  const record = (r: StepRecord): void => {
    records.push(r);
    if (args.json) process.stdout.write(JSON.stringify(r) + '\n');
  };
  const emit = (r: StepRecord): void => {
    record(r);
    const secs = r.seconds === null ? '' : ` ${r.seconds.toFixed(4)} s`;
    log(`  ${r.peer.padEnd(15)} ${r.step.padEnd(20)}${secs}${r.step === 'correctness' ? ` ${r.result}${r.ok ? '' : ': ' + (r.problems as string[]).join('; ')}` : ''}  (step RSS ${r.step_rss_mb ?? '-'} MiB, peak ${r.peak_rss_mb} MiB${r.isolated ? ', own process' : ''})`);
  };

  const env = await environment(args);
  if (args.json) process.stdout.write(JSON.stringify(env) + '\n');
  log(`tidemark bench: ${args.cli === 'only' ? 'cli only' : args.exportStep === 'only' ? `export only, ${fmtCount(args.rows)} rows` : args.stream === 'only' ? `stream only, ${fmtCount(args.messages)} messages through ${args.broker}` : args.scale ? `scale ${args.scale.map(fmtCount).join(', ')}` : `${fmtCount(args.rows)} rows`}, ${args.repeat} repeat(s), dir ${dir}`);
  log(`  node ${env.node}, ${env.nproc} cores (${env.cpu}), ${env.mem_gib} GiB, duckdb ${env.duckdb}, load average ${env.load_1m}`);
  if (Number(env.load_1m) > 0.5) log('  note: the machine is busy (load average > 0.5); timings will be noisy, use --repeat 3 or more');

  const sizes = args.cli === 'only' || args.exportStep === 'only' || args.stream === 'only' ? [] : args.scale ?? [args.rows];
  const scaleMode = args.scale !== undefined;
  const isolate = runsIsolated(args);
  if (sizes.length) log(isolate ? '  isolated: each peer, size and repeat runs in fresh child processes (the load in one, the steps after it in another); RSS figures are those processes\' own' : '  not isolated: every peer runs in this process; RSS figures are whole-process');
  const crashes: string[] = [];
  let cliOk = true;
  let exportOk = true;
  let streamOk = true;
  try {
    if (runsCli(args)) cliOk = await runCli({ dir, repeat: args.repeat, keep: args.keep, record, log });
    if (runsExport(args)) exportOk = await runExport({ dir, rows: args.rows, seed: args.seed, repeat: args.repeat, keep: args.keep, record, log });
    if (runsStream(args)) streamOk = await runStream({ dir, messages: args.messages, broker: args.broker, kafkaBrokers: args.kafkaBrokers, seed: args.seed, repeat: args.repeat, keep: args.keep, cwd, record, log });
    // Every size's data first, so that a scale run can take its sizes in turn within each repeat:
    // the machine's speed drifts over minutes, and sizes timed minutes apart would compare the drift.
    const sets: Array<{ n: number; data: DataSet; spec: RunSpec; shape: { days: number; batch_rows: number } }> = [];
    for (const n of sizes) {
      const data = await buildDataSet(n, args.seed, dir, scaleMode);
      const exp = data.expected;
      const shape = { days: data.days, batch_rows: data.batches.b2.n };
      if (args.json) {
        const line = { peer: 'data', step: 'expected', rows: exp.count, seconds: +data.stageSeconds.toFixed(3), bytes_on_disk: data.stageBytes, peak_rss_mb: peakRssMb(), sum_qty: exp.sumQty, sum_amount: +exp.sumAmount.toFixed(2), lookup_ids: data.lookupIds, ...shape, ...(scaleMode ? { scale_rows: n } : {}) };
        process.stdout.write(JSON.stringify(line) + '\n');
      }
      log(`data: ${fmtCount(n)} rows in ${data.days} days + batches of ${data.batches.b1.n}/${data.batches.b2.n}/${data.batches.b3.n} staged in ${data.stageSeconds.toFixed(1)} s (${(data.stageBytes / 2 ** 20).toFixed(0)} MiB parquet); expected ${exp.count} rows, sum(qty) ${exp.sumQty}, sum(amount) ${exp.sumAmount.toFixed(2)}, lookup ids ${data.lookupIds.join(',')}; peak RSS ${peakRssMb()} MiB`);
      sets.push({ n, data, spec: runSpec(data), shape });
    }
    if (!isolate && sets.length) await warmUp(args.peers, sets[0]!.spec, dir, args.memoryLimit);
    for (let rep = 0; rep < args.repeat; rep++) {
      // The sizes in turn, their order reversed every other repeat (as the peers' order is).
      for (const { n, data, spec, shape } of rep % 2 === 0 ? sets : [...sets].reverse()) {
        const exp = data.expected;
        const extra = { repeat: rep, ...(scaleMode ? { scale_rows: n, ...shape } : {}) };
        if (!isolate) {
          // Step by step, the peers' order rotating by repeat (see driver.ts runInterleaved).
          const order = rotated(args.peers, rep);
          const roots = order.map((name) => path.join(dir, `${name}-${n}-r${rep}`));
          const peers: Peer[] = [];
          try {
            for (const [i, name] of order.entries()) peers.push(await PEERS.get(name)!(roots[i]!, args.memoryLimit));
            await runInterleaved(peers.map((peer) => ({ peer, extra })), spec, emit, args.settleMs);
          } finally {
            for (const peer of peers) peer.close();
            if (!args.keep) for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
          }
          continue;
        }
        for (const name of args.peers) {
          const root = path.join(dir, `${name}-${n}-r${rep}`);
          try {
            // The load in one child, the steps after it in another (see --isolate in the header).
            for (const part of ['load', 'after-load'] as const) {
              const got = await runIsolated({ peer: name, dir, root, memoryLimit: args.memoryLimit, spec, extra, warmUp: true, part }, emit, cwd);
              if (got.failure === undefined) {
                if (got.ok) continue;
                break; // a failed step, already reported by the child: nothing more to run on this table
              }
              const what = `${name} at ${fmtCount(n)} rows, repeat ${rep} (${part}): ${got.failure}`;
              crashes.push(what);
              log(`\n!!! bench child FAILED, ${what}; ${got.output ? `its output ended with:\n${got.output}` : 'it wrote nothing'}\n`);
              const problems = [`child process failed: ${got.failure}`];
              emit({ peer: name, step: 'correctness', rows: exp.count, seconds: null, bytes_on_disk: duBytes(root), peak_rss_mb: got.peakRssMb, ok: false, result: 'fail', problems, crashed: true, isolated: true, ...extra });
              break;
            }
          } finally {
            if (!args.keep) fs.rmSync(root, { recursive: true, force: true });
          }
        }
      }
    }
    if (!args.keep) for (const { n } of sets) fs.rmSync(path.join(dir, `stage-${n}`), { recursive: true, force: true });
    if (!args.keep) fs.rmSync(path.join(dir, '.tmp'), { recursive: true, force: true });
  } finally {
    process.chdir(cwd);
    if (!args.keep && ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }

  if (!args.json) printSummary(records, scaleMode, args.repeat, args.rows, args.peers);
  if (crashes.length) {
    log(`\nbench failed: ${crashes.length} child process(es) did not finish:\n  - ${crashes.join('\n  - ')}`);
    return 2;
  }
  const peersOk = sizes.length === 0 || args.peers.every((p) => correctness(records, p).ok);
  return peersOk && cliOk && exportOk && streamOk ? 0 : 1;
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
  const peers = PEER_NAMES.filter((p) => records.some((r) => r.peer === p));
  printSummary(records, records.some((r) => r.scale_rows !== undefined), runs, rows, peers);
  return peers.every((p) => correctness(records, p).ok) && records.every((r) => (r.peer !== CLI && r.peer !== EXPORT && r.peer !== STREAM) || r.ok !== false) ? 0 : 1;
}

function printSummary(records: StepRecord[], scaleMode: boolean, repeats: number, rows: number, peers: ReadonlyArray<string>): void {
  if (records.some((r) => r.peer === CLI)) process.stdout.write(`\n## cli: the tidemark binary, start to exit, beside its floors\n\n${cliTable(records, repeats)}\n`);
  if (records.some((r) => r.peer === EXPORT)) process.stdout.write(`\n## export: the standard table through \`tidemark read --format …\`, beside DuckDB's own COPY\n\n${exportTable(records, repeats)}\n`);
  if (records.some((r) => r.peer === STREAM)) process.stdout.write(`\n## stream: JSON messages of the standard rows through a pipeline into a table, beside a plain read into DuckDB and COPY to Parquet\n\n${streamTable(records, repeats)}\n`);
  if (records.some((r) => PEER_NAMES.includes(r.peer))) printPeerSummary(records, scaleMode, repeats, rows, peers);
  const loads = records.filter((r) => typeof r.load_1m === 'number').map((r) => r.load_1m as number);
  if (loads.length) {
    const cores = os.availableParallelism();
    process.stdout.write(`\n1-minute load average during the run: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} on ${cores} cores (the bench itself accounts for about ${cores}; well above that, other work competed and timings are inflated).\n`);
  }
}

/** The peers' tables: the standard run's or the scale curve, the goals, load and memory notes, failures. */
function printPeerSummary(records: StepRecord[], scaleMode: boolean, repeats: number, rows: number, peers: ReadonlyArray<string>): void {
  {
    const out = (m: string): void => void process.stdout.write(m + '\n');
    out('');
    if (scaleMode) {
      const perDay = fmtCount(Math.round(SCALE_REF_ROWS / DAYS / 100) * 100);
      const daily = fmtCount(shapeFor(SCALE_REF_ROWS, true).batchRows);
      out(`## Scale: a table grown by days (about ${perDay} rows per day partition; ${DAYS} days at ${fmtCount(SCALE_REF_ROWS)}), load + the daily upsert_skewed batch (${daily} rows from ${fmtCount(SCALE_REF_ROWS)} up, in the 2 latest days); medians over ${repeats} repeat(s)\n`);
      out(scaleTable(records));
      out('\n' + goalTable(goals([], records).slice(-2)));
    } else {
      out(`## ${fmtCount(rows)} rows: tidemark vs ${FLOOR}\n`);
      out(stepTable(records, repeats));
      if (peers.includes(LANCE)) {
        out(`\n## ${fmtCount(rows)} rows: tidemark vs ${LANCE}\n`);
        out(`LanceDB writes from in-memory Arrow tables (read from the same staged files, untimed), as peers.mjs does. ${stepTable(records, repeats, LANCE)}`);
      }
      out('\n' + goalTable(goals(records)));
    }
    if (records.some((r) => r.isolated === true)) {
      out(
        "\nRSS is each peer's own: every (peer, size, repeat) ran in fresh child processes, the load in one and the steps after it in another. step RSS = highest RSS of that child sampled during the step; " +
          "maxRSS = the highest of the children's peaks over their lives (start-up, the untimed warm-up on a 1% batch, the timed steps; not the parent's data generation and model, not the other peer); " +
          "start = the highest of the children's RSS before their first timed step (node, tsx, the DuckDB library, the warm-up's leftovers).\n",
      );
      out(rssTable(records));
    } else {
      out(`\nstep RSS = highest whole-process RSS sampled during the step; process peak RSS ${Math.max(0, ...records.map((r) => r.peak_rss_mb))} MiB (maxRSS, running max over the whole run, includes data generation and every peer).`);
    }
    for (const p of peers) {
      const c = correctness(records, p);
      if (!c.ok) out(`\n${p} correctness FAILED:\n  - ${c.problems.join('\n  - ')}`);
    }
  }
}

/** Whether the cli step runs: by default in the standard run, not with --scale, --export-only or --stream-only. */
function runsCli(args: Args): boolean {
  return args.cli === 'only' || (args.cli === 'on' && args.scale === undefined && args.exportStep !== 'only' && args.stream !== 'only');
}

/** Whether the export step runs: by default in the standard run, not with --scale, --cli-only or --stream-only. */
function runsExport(args: Args): boolean {
  return args.exportStep === 'only' || (args.exportStep === 'on' && args.scale === undefined && args.cli !== 'only' && args.stream !== 'only');
}

/** Whether the stream step runs: by default in the standard run (after the export step), not with --scale, --cli-only or --export-only. */
function runsStream(args: Args): boolean {
  return args.stream === 'only' || (args.stream === 'on' && args.scale === undefined && args.cli !== 'only' && args.exportStep !== 'only');
}

/** Whether each peer runs in child processes of its own: --isolate, by default only with --scale. */
function runsIsolated(args: Args): boolean {
  return args.isolate ?? args.scale !== undefined;
}

/**
 * The peers in the order of repeat `rep`: the list turned left by `rep` places, so over as many
 * repeats as peers each peer takes every place once (with two peers: alternating). Reversing every
 * other repeat, as before, put the first of three peers first in two repeats of three and the middle
 * one always in the middle.
 */
function rotated<T>(peers: ReadonlyArray<T>, rep: number): T[] {
  const k = peers.length === 0 ? 0 : rep % peers.length;
  return [...peers.slice(k), ...peers.slice(0, k)];
}

async function environment(args: Args): Promise<StepRecord> {
  const isolated = runsIsolated(args);
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  const duckdb = String((await conn.runAndReadAll('SELECT version() AS v')).getRowObjects()[0]!.v);
  conn.closeSync();
  inst.closeSync();
  return {
    peer: 'env',
    step: 'info',
    rows: args.scale || args.cli === 'only' || args.stream === 'only' ? null : args.rows,
    ...(runsStream(args) ? { messages: args.messages, broker: args.broker } : {}),
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
    // Without --memory-limit each peer keeps its own default: Tidemark's (session.ts), DuckDB's for the floor.
    memory_limit: args.memoryLimit ?? `each peer's default: tidemark ${defaultMemoryLimit()}, the floor DuckDB's 80% of RAM`,
    // Isolated children are always started with --expose-gc (isolate.ts); this process only by `npm run bench`.
    gc_before_steps: isolated || typeof (globalThis as { gc?: unknown }).gc === 'function',
    isolated,
    settle_ms: isolated ? 0 : args.settleMs,
  };
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 2;
}
