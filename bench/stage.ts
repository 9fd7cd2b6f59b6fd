/**
 * Builds a data set once per row count (not timed as a peer step): generates base rows and the three
 * batches in the standard or the scale shape (data.ts `shapeFor`), stages each to a Parquet file
 * through the DuckDB appender (as peers.mjs does), and computes what a correct table must hold
 * afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BIGINT, DOUBLE, DuckDBDataChunk, DuckDBInstance, INTEGER, VARCHAR, type DuckDBAppender } from '@duckdb/node-api';
import { type Base, type Batch, CHUNK, CITY, type RowChunk, STATUS, Workload, shapeFor } from './data.ts';
import { type Expected, Model, batchMix } from './model.ts';

const TYPES = [BIGINT, BIGINT, VARCHAR, DOUBLE, INTEGER, DOUBLE, VARCHAR, VARCHAR, VARCHAR, VARCHAR];
const STAGE_DDL = `(id BIGINT, ts_us BIGINT, dt VARCHAR, amount DOUBLE, qty INTEGER, score DOUBLE, status VARCHAR, user_name VARCHAR, city VARCHAR, note VARCHAR)`;
const SELECT_TYPED = `id, make_timestamp(ts_us) AS ts, dt, amount, qty, score, status, user_name, city, note`;

export type BatchKey = 'b1' | 'b2' | 'b3';
/** The upsert steps in order, and the batch each one writes. */
export const UPSERT_STEPS: ReadonlyArray<readonly [string, BatchKey]> = [
  ['upsert', 'b1'],
  ['upsert_skewed', 'b2'],
  ['upsert_small', 'b3'],
];

/** Everything a peer run needs. */
export interface DataSet {
  readonly n: number;
  /** Day partitions the base rows spread over (30, or more in the scale shape). */
  readonly days: number;
  /** `dt` of each day index. */
  readonly dt: readonly string[];
  readonly files: Readonly<Record<'base' | BatchKey, string>>;
  readonly batches: Readonly<Record<BatchKey, Batch>>;
  /** The upsert steps this data set's model reflects (all three, or only upsert_skewed for --scale). b1 and b2 have the shape's batch size, b3 100 rows. */
  readonly steps: ReadonlyArray<readonly [string, BatchKey]>;
  readonly model: Model;
  readonly expected: Expected;
  /** Fresh update, stale target and insert of b2, fresh update of b1, an untouched base row. */
  readonly lookupIds: ReadonlyArray<number>;
  readonly dtOf: (id: number) => string;
  readonly stageSeconds: number;
  readonly stageBytes: number;
}

/**
 * Appends chunks through one reused data chunk: a new native chunk per 2048 rows is freed only when
 * V8 collects its wrapper, which lets native memory pile up to gigabytes on large data sets.
 */
function chunkAppender(ap: DuckDBAppender): (c: RowChunk) => void {
  const ch = DuckDBDataChunk.create(TYPES, CHUNK);
  return (c) => {
    ch.reset();
    ch.setColumns([c.id, c.tsUs, c.dt, c.amount, c.qty, c.score, c.status, c.user, c.city, c.note]);
    ap.appendDataChunk(ch);
  };
}

/**
 * Generates and stages a data set of `n` base rows under `dir/stage-N`. Standard (`scale` false): 30
 * days, batches of 1% of N, and the model reflects all three batches. Scale (the --scale run): the
 * scale shape (days grow with N, batches of the reference size's 1%), and the model reflects load +
 * upsert_skewed only, the steps the scale run times. b1 and b3 are generated and staged in both
 * (the random stream stays in peers.mjs's order; the warm-up uses them).
 */
export async function buildDataSet(n: number, seed: number, dir: string, scale: boolean): Promise<DataSet> {
  const t0 = performance.now();
  const stageDir = path.join(dir, `stage-${n}`);
  fs.rmSync(stageDir, { recursive: true, force: true });
  fs.mkdirSync(stageDir, { recursive: true });
  const files = {
    base: path.join(stageDir, 'base.parquet'),
    b1: path.join(stageDir, 'b1.parquet'),
    b2: path.join(stageDir, 'b2.parquet'),
    b3: path.join(stageDir, 'b3.parquet'),
  };
  const { days, batchRows: u } = shapeFor(n, scale);
  const capacity = n + 2 * batchMix(u).nIns + batchMix(100).nIns;
  const model = new Model(capacity);
  const gen = new Workload(seed, days);
  const dt = gen.dt;

  // A memory limit and a spill directory keep staging from setting the process's peak RSS.
  const inst = await DuckDBInstance.create(':memory:', { memory_limit: '300MB', temp_directory: path.join(stageDir, 'spill') });
  const conn = await inst.connect();
  const stage = async (name: string, file: string, fill: (ap: DuckDBAppender) => void): Promise<void> => {
    await conn.run(`CREATE OR REPLACE TABLE ${name} ${STAGE_DDL}`);
    const ap = await conn.createAppender(name);
    fill(ap);
    ap.flushSync();
    ap.closeSync();
    await conn.run(`COPY (SELECT ${SELECT_TYPED} FROM ${name}) TO '${file}' (FORMAT parquet)`);
    await conn.run(`DROP TABLE ${name}`);
  };
  let base: Base | undefined;
  await stage('sb', files.base, (ap) => {
    base = gen.base(n, model, chunkAppender(ap));
  });
  const b = base!;
  const b1 = gen.batch(b, 1, u, null, n);
  const b2 = gen.batch(b, 2, u, [days - 2, days - 1], n + b1.nIns); // the 2 latest days
  const b3 = gen.batch(b, 3, 100, [days - 1], n + b1.nIns + b2.nIns); // 100 rows, the latest day
  const batches = { b1, b2, b3 };
  for (const k of ['b1', 'b2', 'b3'] as const) {
    await stage(`s${k}`, files[k], (ap) => {
      const append = chunkAppender(ap);
      for (const c of batchChunks(batches[k], dt)) append(c);
    });
  }
  conn.closeSync();
  inst.closeSync();
  fs.rmSync(path.join(stageDir, 'spill'), { recursive: true, force: true });

  const steps = scale ? UPSERT_STEPS.filter(([s]) => s === 'upsert_skewed') : UPSERT_STEPS;
  for (const [, k] of steps) model.apply(batches[k]);
  const expected = model.sums();

  const pickKind = (x: Batch, kind: number): number => {
    for (let i = 0; i < x.n; i++) if (x.kind[i] === kind) return x.id[i]!;
    return 0;
  };
  const touched = new Set<number>();
  for (const x of [b1, b2, b3]) for (let i = 0; i < x.n; i++) touched.add(x.id[i]!);
  let untouched = 0;
  while (touched.has(untouched)) untouched++;
  const lookupIds = [pickKind(b2, 0), pickKind(b2, 1), pickKind(b2, 2), pickKind(b1, 0), untouched];
  const dayOfNew = new Map<number, number>();
  for (const x of [b1, b2, b3]) for (let i = 0; i < x.n; i++) if (x.kind[i] === 2) dayOfNew.set(x.id[i]!, x.day[i]!);
  const dtOf = (id: number): string => dt[id < n ? b.day[id]! : dayOfNew.get(id)!]!;
  const stageBytes = Object.values(files).reduce((a, f) => a + fs.statSync(f).size, 0);
  return { n, days, dt, files, batches, steps, model, expected, lookupIds, dtOf, stageSeconds: (performance.now() - t0) / 1000, stageBytes };
}

/** A batch as staging chunks; `dt` maps its day indexes to partition values. */
function batchChunks(b: Batch, dt: readonly string[]): RowChunk[] {
  const out: RowChunk[] = [];
  for (let off = 0; off < b.n; off += CHUNK) {
    const m = Math.min(CHUNK, b.n - off);
    const c: RowChunk = { n: m, id: [], tsUs: [], dt: [], amount: [], qty: [], score: [], status: [], user: [], city: [], note: [] };
    for (let i = off; i < off + m; i++) {
      c.id.push(BigInt(b.id[i]!));
      c.tsUs.push(BigInt(b.ts[i]!));
      c.dt.push(dt[b.day[i]!]!);
      c.amount.push(b.amount[i]!);
      c.qty.push(b.qty[i]!);
      c.score.push(b.score[i]!);
      c.status.push(STATUS[b.status[i]!]!);
      c.user.push(b.user[i]!);
      c.city.push(CITY[b.city[i]!]!);
      c.note.push(b.note[i]!);
    }
    out.push(c);
  }
  return out;
}
