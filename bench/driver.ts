/**
 * Runs one peer through the workload and measures every step the same way for every peer: wall
 * seconds of the call, bytes under the table's directory afterwards, the process's peak RSS so far
 * (`peak_rss_mb`, process-wide running max), the RSS peak sampled during the step (`step_rss_mb`) and
 * the 1-minute load average (`load_1m`: anything else running on the machine skews the figures).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { duBytes, median, peakRssMb, round4, sampled, timeReps } from './measure.ts';
import type { Expected } from './model.ts';
import type { Peer, SnapshotResult, WriteExtras } from './peer.ts';
import { openFloor } from './peer-floor.ts';
import { openLance } from './peer-lance.ts';
import { openTidemark } from './peer-tidemark.ts';
import { FLOOR, LANCE, TIDEMARK } from './report.ts';
import type { BatchKey, DataSet } from './stage.ts';

/** The peers by name. */
/**
 * Opens a peer on `root`: a new, empty table directory, or with `reopen` the table a peer (in
 * another process) left there, to run the steps after the load on it.
 */
export type OpenPeer = (root: string, memoryLimit?: string, reopen?: boolean) => Promise<Peer>;

export const PEERS: ReadonlyMap<string, OpenPeer> = new Map<string, OpenPeer>([
  [TIDEMARK, openTidemark],
  [FLOOR, openFloor],
  [LANCE, openLance],
]);

/** One output line. */
export interface StepRecord {
  peer: string;
  step: string;
  rows: number | null;
  seconds: number | null;
  bytes_on_disk: number | null;
  peak_rss_mb: number;
  [extra: string]: unknown;
}

export type Emit = (r: StepRecord) => void;

const READ_REPS = 5;

/** A batch's size and mix, as the commit counts are checked against. */
interface BatchCounts {
  n: number;
  nFresh: number;
  nStale: number;
  nIns: number;
}

/**
 * What a peer run needs from a data set, as plain data (a child process gets it over IPC): the staged
 * files, the upsert steps, each batch's mix, the expected snapshot and the point lookups with the
 * partition and qty the model holds. The checks are the same whether they run here or in a child.
 */
export interface RunSpec {
  n: number;
  files: Readonly<Record<'base' | BatchKey, string>>;
  steps: ReadonlyArray<readonly [string, BatchKey]>;
  batches: Readonly<Record<BatchKey, BatchCounts>>;
  expected: Expected;
  lookups: ReadonlyArray<{ id: number; dt: string; qty: number }>;
}

export function runSpec(data: DataSet): RunSpec {
  const counts = (k: BatchKey): BatchCounts => {
    const b = data.batches[k];
    return { n: b.n, nFresh: b.nFresh, nStale: b.nStale, nIns: b.nIns };
  };
  return {
    n: data.n,
    files: data.files,
    steps: data.steps,
    batches: { b1: counts('b1'), b2: counts('b2'), b3: counts('b3') },
    expected: data.expected,
    lookups: data.lookupIds.map((id) => ({ id, dt: data.dtOf(id), qty: data.model.qty[id]! })),
  };
}

/**
 * One peer's run as phases, each timing one step (the lookups are one phase: point_lookup and
 * point_lookup_pruned are measured id by id, side by side), and `finish`, which emits and returns
 * correctness. A phase that throws records the error and every later phase is skipped. Full mode:
 * load, the three upserts, snapshot_read, the lookups. Scale mode (`data.steps` has only
 * upsert_skewed): load, upsert_skewed, the snapshot (for correctness, untimed).
 */
export function peerPhases(peer: Peer, data: RunSpec, emit: Emit, extra: Record<string, unknown> = {}): { phases: Array<() => Promise<void>>; finish: () => boolean; failed: () => boolean } {
  const full = data.steps.length === 3;
  const out = (r: { step: string; rows: number | null; seconds: number | null; bytes_on_disk: number | null; [extra: string]: unknown }): void => {
    const { step, rows, seconds, bytes_on_disk, ...rest } = r;
    emit({ peer: peer.name, step, rows, seconds, bytes_on_disk, peak_rss_mb: peakRssMb(), ...rest, load_1m: +os.loadavg()[0]!.toFixed(2), ...extra });
  };
  const problems: string[] = [];
  let failed = false;
  const phase =
    (fn: () => Promise<void>) =>
    async (): Promise<void> => {
      if (failed) return;
      try {
        await fn();
      } catch (error) {
        failed = true;
        problems.push(`error: ${String((error as Error)?.stack ?? error).split('\n').slice(0, 4).join(' | ')}`);
      }
    };
  const phases = [
    phase(async () => {
      const ld = await sampled(() => peer.load(data.files.base));
      out({ step: 'load', rows: data.n, seconds: round4(ld.seconds), bytes_on_disk: duBytes(peer.root), step_rss_mb: ld.stepRssMb, ...ld.value });
    }),
    ...data.steps.map(([step, key]) =>
      phase(async () => {
        const b = data.batches[key];
        const up = await sampled(() => peer.upsert(data.files[key]));
        out({ step, rows: b.n, seconds: round4(up.seconds), bytes_on_disk: duBytes(peer.root), step_rss_mb: up.stepRssMb, ...up.value });
        problems.push(...checkCounts(step, up.value, b));
      }),
    ),
    phase(async () => {
      const sr = await timeReps(() => peer.snapshot(), full ? READ_REPS : 1);
      if (full) {
        out({ step: 'snapshot_read', rows: sr.value.count, seconds: round4(sr.seconds), bytes_on_disk: duBytes(peer.root), step_rss_mb: sr.stepRssMb, first_s: sr.first_s, min_s: sr.min_s, reps: READ_REPS });
      }
      problems.push(...checkSnapshot(sr.value, data));
    }),
  ];
  if (full) {
    phases.push(
      phase(async () => {
        const lookups: Array<{ id: number; got: number[]; pruned: number[] }> = [];
        const tl: number[] = [];
        const tp: number[] = [];
        let rss = 0;
        for (const { id, dt } of data.lookups) {
          const a = await sampled(() => peer.lookup(id));
          const p = await sampled(() => peer.lookupPruned(id, dt));
          tl.push(a.seconds);
          tp.push(p.seconds);
          rss = Math.max(rss, a.stepRssMb, p.stepRssMb);
          lookups.push({ id, got: a.value, pruned: p.value });
        }
        const note = `median of ${data.lookups.length} ids`;
        out({ step: 'point_lookup', rows: 1, seconds: round4(median(tl)), bytes_on_disk: null, step_rss_mb: rss, min_s: round4(Math.min(...tl)), max_s: round4(Math.max(...tl)), note });
        out({ step: 'point_lookup_pruned', rows: 1, seconds: round4(median(tp)), bytes_on_disk: null, step_rss_mb: rss, min_s: round4(Math.min(...tp)), max_s: round4(Math.max(...tp)), note: `${note}, partition known` });
        for (const [i, l] of lookups.entries()) {
          const { qty: want, dt } = data.lookups[i]!;
          if (l.got.length !== 1 || l.got[0] !== want) problems.push(`point_lookup id=${l.id}: got qty [${l.got.join(', ')}], want [${want}]`);
          if (l.pruned.length !== 1 || l.pruned[0] !== want) problems.push(`point_lookup_pruned id=${l.id} (dt ${dt}): got qty [${l.pruned.join(', ')}], want [${want}]`);
        }
      }),
    );
  }
  const finish = (): boolean => {
    const ok = problems.length === 0;
    out({ step: 'correctness', rows: data.expected.count, seconds: null, bytes_on_disk: duBytes(peer.root), ok, result: ok ? 'ok' : 'fail', problems });
    return ok;
  };
  return { phases, finish, failed: () => failed };
}

/**
 * Which of a peer's phases a run takes: all of them, only the load, or every phase after the load (on
 * the table a `load` run left, reopened).
 */
export type RunPart = 'all' | 'load' | 'after-load';

/**
 * Runs one peer's phases in order; returns whether correctness passed. A `load` part emits no
 * correctness record unless the load failed (the `after-load` part checks the table).
 */
export async function runPeer(peer: Peer, data: RunSpec, emit: Emit, extra: Record<string, unknown> = {}, part: RunPart = 'all'): Promise<boolean> {
  const run = peerPhases(peer, data, emit, extra);
  // The load phase reads the base file, the phases after it the batches: the same cut of both lists.
  const cut = <T,>(all: ReadonlyArray<T>): ReadonlyArray<T> => (part === 'load' ? all.slice(0, 1) : part === 'after-load' ? all.slice(1) : all);
  const phases = cut(run.phases);
  await peer.prepare?.(cut(inputFiles(data)));
  for (const p of phases) {
    collectGarbage();
    await p();
  }
  return part === 'load' && !run.failed() ? true : run.finish();
}

/**
 * Runs several peers step by step: each step is done by every peer, in the order given, before the
 * next step starts, so the peers of one step are timed seconds apart, under the same machine state
 * (on a shared VM, minutes apart can differ by more than the differences measured). Returns whether
 * each peer's correctness passed.
 */
export async function runInterleaved(runs: ReadonlyArray<{ peer: Peer; extra?: Record<string, unknown> }>, data: RunSpec, emit: Emit, settleMs = SETTLE_MS): Promise<boolean[]> {
  const all = runs.map((r) => peerPhases(r.peer, data, emit, r.extra));
  for (const r of runs) await r.peer.prepare?.(inputFiles(data));
  for (let i = 0; i < all[0]!.phases.length; i++) {
    for (const r of all) {
      collectGarbage();
      await settle(settleMs);
      await r.phases[i]!();
    }
  }
  return all.map((r) => r.finish());
}

/**
 * Untimed pause before each peer's step in a shared process (`--settle-ms`). Both peers' DuckDB
 * instances allocate through the process's one jemalloc, which hands the memory a step freed to
 * whatever runs next, and returns it to the system about a second after it was freed. Back to back,
 * the peer timed second in a step reused pages the first had just faulted in: measured on the 2M
 * skewed upsert (2026-12-06), three Tidemark upserts in a row took 23k, 8k and 8k page faults, the
 * first 8-20% slower, and after a pause of 1 s or more each took 21-23k. Interleaved with the floor
 * without a pause, whichever peer ran first was the slower by 15-20%, so with the order alternating
 * over three repeats the median went against the peer that led twice; after a 1.5 s pause before
 * each run, 12 interleaved pairs showed no order effect. Every step of every peer now starts from
 * the same allocator state, the one a job's fresh process starts from.
 */
export const SETTLE_MS = 1500;

/**
 * Untimed: a full garbage collection before each step, when the process runs with --expose-gc (`npm
 * run bench` and its children do), so no step pays for the JavaScript garbage an earlier step or a
 * peer's `prepare` left. LanceDB's `prepare` builds Arrow tables of every input file in JavaScript;
 * without this, in one process with LanceDB, the peer timed first after that took 15-30% longer for
 * the 2M load than when timed last (2026-12-06: Tidemark 3.2-3.6 s first, 2.8 s last). It does not
 * change a peer's own figures: Tidemark's load and spread upsert took as long with it as without.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function settle(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Untimed: each peer loads a batch file and upserts the small batch once, so code paths, the DuckDB
 * library's pages and thread pools are warm for whichever peer is timed first (in a shared process
 * for the first one, in a fresh child process for every peer; see run.ts).
 */
export async function warmUp(peers: ReadonlyArray<string>, data: RunSpec, dir: string, memoryLimit: string | undefined): Promise<void> {
  for (const name of peers) {
    const root = path.join(dir, `warmup-${name}-${process.pid}`);
    const peer = await PEERS.get(name)!(root, memoryLimit);
    try {
      await peer.prepare?.([data.files.b1, data.files.b3]);
      await peer.load(data.files.b1);
      await peer.upsert(data.files.b3);
      await peer.snapshot();
      await peer.lookup(data.lookups[0]!.id);
    } finally {
      peer.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
}

/** The files a full run reads: the base file and each upsert step's batch. */
function inputFiles(data: RunSpec): string[] {
  return [data.files.base, ...data.steps.map(([, key]) => data.files[key])];
}

/** What a write reports against what the batch holds (only for peers that report it). */
function checkCounts(step: string, r: WriteExtras, b: { nFresh: number; nStale: number; nIns: number }): string[] {
  const p: string[] = [];
  if (r.inserted !== undefined && r.inserted !== b.nIns) p.push(`${step}: commit reports ${r.inserted} inserted, batch has ${b.nIns} new ids`);
  if (r.updated !== undefined && r.updated !== b.nFresh) p.push(`${step}: commit reports ${r.updated} updated, batch has ${b.nFresh} fresh updates`);
  if (r.skipped_as_older !== undefined && r.skipped_as_older !== b.nStale) p.push(`${step}: commit reports ${r.skipped_as_older} skipped as older, batch has ${b.nStale} stale updates`);
  return p;
}

/** Count and sum(qty) exact, sum(amount) within 1e-6 relative, no stale row visible. */
function checkSnapshot(got: SnapshotResult, data: RunSpec): string[] {
  const exp = data.expected;
  const p: string[] = [];
  if (got.count !== exp.count) p.push(`snapshot count ${got.count}, want ${exp.count}`);
  if (got.sumQty !== exp.sumQty) p.push(`snapshot sum(qty) ${got.sumQty}, want ${exp.sumQty}`);
  if (!(Math.abs(got.sumAmount - exp.sumAmount) <= 1e-6 * Math.abs(exp.sumAmount))) p.push(`snapshot sum(amount) ${got.sumAmount}, want ${exp.sumAmount}`);
  if (got.stale !== 0) p.push(`${got.stale} stale (older-ts, qty = -1) rows visible`);
  return p;
}
