/**
 * `npm run bench -- --ledger-only [--files 10000] [--repeat 3] [--json] [--dir DIR] [--keep]`: the
 * cost of the `files` source's ledger of loaded files (src/pipeline/sources/file-ledger.ts) on a
 * landing directory of many small files. One untimed first run loads them all (and records the
 * ledger in its commit); then, `--repeat` times each, timed:
 *
 *   ledger_idle      a whole run (embedded metastore, lock, window, log) with no new file: the glob,
 *                    one stat per file, the ledger read back from the target's latest commit
 *   ledger_one_new   a whole run with one new file among them: the same, plus reading and
 *                    fingerprinting that file, a one-row commit carrying the new ledger
 *
 * The figure to watch is ledger_idle: it is what every poll of a quiet directory costs. The ledger's
 * size in the commit (base64 of the gzip) is reported too, since every commit of the target carries
 * one. Wall seconds by `performance.now()`; the machine's load is printed first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPipeline } from '../src/pipeline/run-pipeline.ts';
import type { PipelineDefinition } from '../src/pipeline/definition.ts';
import { LEDGER_KEY } from '../src/pipeline/sources/file-ledger.ts';
import { TidemarkSession } from '../src/session.ts';
import { forEachFlag, median, peakRssMb, round4 } from './measure.ts';

interface LedgerArgs {
  files: number;
  repeat: number;
  json: boolean;
  dir: string | undefined;
  keep: boolean;
}

function parseLedgerArgs(argv: ReadonlyArray<string>): LedgerArgs {
  const a: LedgerArgs = { files: 10_000, repeat: 3, json: false, dir: undefined, keep: false };
  forEachFlag(argv, (f, val) => {
    if (f === '--files') a.files = Number.parseInt(val(), 10);
    else if (f === '--repeat') a.repeat = Math.max(1, Number.parseInt(val(), 10));
    else if (f === '--json') a.json = true;
    else if (f === '--dir') a.dir = path.resolve(val());
    else if (f === '--keep') a.keep = true;
    else throw new Error(`unknown option ${f} for --ledger-only (--files N, --repeat K, --json, --dir DIR, --keep)`);
  });
  if (!Number.isFinite(a.files) || a.files < 1) throw new Error('--files must be a positive number');
  return a;
}

/** Runs the ledger step; 0 when every run succeeded and read what it should, else 1. */
export async function runLedgerBench(argv: ReadonlyArray<string>): Promise<number> {
  const args = parseLedgerArgs(argv);
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-bench-ledger-'));
  const landing = path.join(dir, 'landing');
  const warehouse = path.join(dir, 'warehouse');
  fs.mkdirSync(landing, { recursive: true });
  const log = (m: string): void => void process.stderr.write(m + '\n');
  log(`tidemark bench: ledger only, ${args.files} files, ${args.repeat} repeat(s), dir ${dir}, load average ${os.loadavg()[0]!.toFixed(2)}, ${os.cpus().length} cores`);
  const old = new Date('2001-01-01T00:00:00Z');
  const land = (i: number): void => {
    const file = path.join(landing, `f${String(i).padStart(6, '0')}.jsonl`);
    fs.writeFileSync(file, `${JSON.stringify({ id: i, ts: 1, payload: 'x'.repeat(64) })}\n`);
    fs.utimesSync(file, old, old);
  };
  for (let i = 0; i < args.files; i++) land(i);
  const def: PipelineDefinition = {
    name: 'ledger_bench',
    source: { kind: 'files', path: path.join(landing, '*.jsonl'), format: 'json' },
    target: { table: 'bench.ledger', recordKey: ['id'], precombine: 'ts' },
  };
  const session = await TidemarkSession.open({ warehouse, catalog: path.join(dir, 'no-catalog') });
  let ok = true;
  try {
    const t0 = performance.now();
    const first = await runPipeline(session.context, def);
    const firstSeconds = (performance.now() - t0) / 1000;
    if (first.status !== 'SUCCESS' || first.recordsRead !== args.files) throw new Error(`the first run did not load ${args.files} files: ${first.status} ${first.error ?? ''} (read ${first.recordsRead})`);
    const state = await session.engine.table(path.join(warehouse, 'bench', 'ledger'));
    const ledgerBytes = state.commits.get(first.instant!)!.extraMetadata[LEDGER_KEY]!.length;
    log(`  first run (untimed): ${args.files} files loaded in ${firstSeconds.toFixed(2)} s; ledger in the commit: ${(ledgerBytes / 1024).toFixed(0)} KiB`);
    const times: Record<string, number[]> = { ledger_idle: [], ledger_one_new: [] };
    for (let rep = 0; rep < args.repeat; rep++) {
      for (const step of ['ledger_idle', 'ledger_one_new'] as const) {
        if (step === 'ledger_one_new') land(args.files + rep);
        const t = performance.now();
        const r = await runPipeline(session.context, def);
        const seconds = (performance.now() - t) / 1000;
        const want = step === 'ledger_idle' ? 0 : 1;
        const good = r.status === 'SUCCESS' && r.recordsRead === want;
        ok &&= good;
        times[step]!.push(seconds);
        const line = { peer: 'ledger', step, rows: r.recordsRead, files: args.files + rep, seconds: round4(seconds), ledger_bytes: ledgerBytes, peak_rss_mb: peakRssMb(), ok: good, repeat: rep };
        if (args.json) process.stdout.write(JSON.stringify(line) + '\n');
        log(`  ledger          ${step.padEnd(16)} ${seconds.toFixed(4)} s  read ${r.recordsRead} row(s)${good ? '' : `  WRONG: ${r.status} ${r.error ?? ''}`}  (peak ${peakRssMb()} MiB)`);
      }
    }
    log(`ledger: median ledger_idle ${median(times.ledger_idle!).toFixed(4)} s, ledger_one_new ${median(times.ledger_one_new!).toFixed(4)} s over ${args.files} files`);
  } finally {
    await session.close();
    if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  return ok ? 0 : 1;
}
