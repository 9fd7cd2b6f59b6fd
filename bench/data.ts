/**
 * The team's standard workload (see /work/shared/bench/README.md), ported so the project does not
 * depend on the shared folder: a deterministic data set (seeded splitmix32), three upsert batches and
 * the in-memory model every peer is checked against.
 *
 * The random stream is consumed in exactly the order of the shared `peers.mjs`, so the same seed and
 * row count give the same rows (in the standard shape: DAYS days, batches of 1% of N). The base set
 * is streamed to a sink chunk by chunk instead of being held as JS strings; only the columns the
 * batches and the model need (day, ts, qty, amount) stay in typed arrays.
 *
 * The scale shape (`shapeFor(n, true)`) differs only in its two parameters: the number of day
 * partitions grows with N and the batch size stays that of the reference size (see `shapeFor`).
 */
import { type Model, batchMix } from './model.ts';

/** Day partitions of the standard workload, whatever N. */
export const DAYS = 30;
/** The scale mode's reference size: DAYS days of about 66.7k rows each, daily batch of 1% = 20k rows. */
export const SCALE_REF_ROWS = 2_000_000;
export const DAY_US = 86_400_000_000;
/** 2024-01-01T00:00:00Z in microseconds. */
export const EPOCH_US = Date.UTC(2024, 0, 1) * 1000;

/** The `dt` values of `days` day partitions, 2024-01-01 onwards day by day. */
export function dayStrings(days: number): readonly string[] {
  return Array.from({ length: days }, (_, d) => new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10));
}

/** A data set's shape: how many day partitions its N rows spread over, and the upsert batches' size. */
export interface Shape {
  readonly days: number;
  readonly batchRows: number;
}

/**
 * Standard (`scale` false): DAYS days and batches of 1% of N, as peers.mjs; the batch grows with the
 * table and so does every partition it touches. Scale: a table that has grown by days, each day
 * partition holding about SCALE_REF_ROWS / DAYS rows (days = round(DAYS * N / SCALE_REF_ROWS), at least
 * DAYS: 30 at 2M, 300 at 20M), and a batch of the reference size's 1% (round(0.01 * N * DAYS / days):
 * 20k rows from 2M up; 1% of N below 2M), so the daily late-data batch does the same work at every N.
 */
export function shapeFor(n: number, scale: boolean): Shape {
  if (!scale) return { days: DAYS, batchRows: Math.round(n * 0.01) };
  const days = Math.max(DAYS, Math.round((DAYS * n) / SCALE_REF_ROWS));
  return { days, batchRows: days === DAYS ? Math.round(n * 0.01) : Math.round((0.01 * n * DAYS) / days) };
}
export const STATUS: readonly string[] = ['new', 'paid', 'shipped', 'delivered', 'returned', 'cancelled'];
export const CITY: readonly string[] = Array.from(
  { length: 50 },
  (_, i) => ['Lisbon', 'Porto', 'Madrid', 'Paris', 'Berlin', 'Vienna', 'Prague', 'Warsaw', 'Oslo', 'Rome'][i % 10]! + '-' + ((i / 10) | 0),
);

/** A seeded generator of floats in [0, 1). */
export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

/** One chunk of rows as the staging appender wants them (ts in microseconds since the epoch). */
export interface RowChunk {
  n: number;
  id: bigint[];
  tsUs: bigint[];
  dt: string[];
  amount: number[];
  qty: number[];
  score: number[];
  status: string[];
  user: string[];
  city: string[];
  note: string[];
}

/** An upsert batch, kept whole (it is small): kind 0 fresh update, 1 stale update, 2 insert. */
export interface Batch {
  n: number;
  id: Float64Array;
  ts: Float64Array;
  day: Uint16Array;
  amount: Float64Array;
  qty: Int32Array;
  score: Float64Array;
  status: Uint8Array;
  user: string[];
  city: Uint8Array;
  note: string[];
  kind: Uint8Array;
  nFresh: number;
  nStale: number;
  nIns: number;
}

/** The base set as far as batches and checks need it. */
export interface Base {
  n: number;
  day: Uint16Array;
}

/** Rows per staging chunk (DuckDB's vector size). */
export const CHUNK = 2048;

/** The generator: one random stream for everything, in peers.mjs's order, over `days` day partitions. */
export class Workload {
  private readonly rnd: () => number;
  private readonly words: string[];
  /** Day partitions the rows spread over, and the `dt` of each day index. */
  readonly days: number;
  readonly dt: readonly string[];
  constructor(seed: number, days: number = DAYS) {
    if (!Number.isInteger(days) || days < 2 || days > 65_535) throw new Error(`days must be an integer in 2..65535, got ${days}`);
    this.days = days;
    this.dt = dayStrings(days);
    this.rnd = splitmix32(seed);
    const r = splitmix32(seed ^ 0x5eed);
    const a = 'abcdefghijklmnopqrstuvwxyz';
    this.words = [];
    for (let i = 0; i < 512; i++) {
      const L = 3 + ((r() * 10) | 0);
      let s = '';
      for (let k = 0; k < L; k++) s += a[(r() * 26) | 0];
      this.words.push(s);
    }
  }

  private note(): string {
    const rnd = this.rnd;
    let s = this.words[(rnd() * 512) | 0]!;
    for (let k = 0; k < 7; k++) s += ' ' + this.words[(rnd() * 512) | 0]!;
    return s;
  }

  /**
   * Generates the N base rows (ids 0..N-1), handing them to `sink` in chunks, and fills `model`
   * (which must have room for N) with their qty, amount and ts.
   */
  base(n: number, model: Model, sink: (chunk: RowChunk) => void): Base {
    const rnd = this.rnd;
    const days = this.days;
    const day = new Uint16Array(n);
    for (let off = 0; off < n; off += CHUNK) {
      const m = Math.min(CHUNK, n - off);
      const c: RowChunk = { n: m, id: [], tsUs: [], dt: [], amount: [], qty: [], score: [], status: [], user: [], city: [], note: [] };
      for (let j = 0; j < m; j++) {
        const i = off + j;
        const d = (rnd() * days) | 0;
        const ts = EPOCH_US + d * DAY_US + Math.floor(rnd() * DAY_US);
        // fillPayload, in order
        const amount = Math.round(rnd() * 1e6) / 100;
        const qty = (rnd() * 1000) | 0;
        const score = rnd();
        const status = (rnd() * 6) | 0;
        const user = 'user_' + ((rnd() * 1e6) | 0);
        const city = (rnd() * 50) | 0;
        const note = this.note();
        day[i] = d;
        model.qty[i] = qty;
        model.amount[i] = amount;
        model.ts[i] = ts;
        c.id.push(BigInt(i));
        c.tsUs.push(BigInt(ts));
        c.dt.push(this.dt[d]!);
        c.amount.push(amount);
        c.qty.push(qty);
        c.score.push(score);
        c.status.push(STATUS[status]!);
        c.user.push(user);
        c.city.push(CITY[city]!);
        c.note.push(note);
      }
      sink(c);
    }
    model.loaded(n);
    return { n, day };
  }

  /** An upsert batch of `u` rows (peers.mjs's genBatch). `dayFilter` confines updates and inserts to those days. */
  batch(base: Base, batchNo: number, u: number, dayFilter: readonly number[] | null, nextId: number): Batch {
    const rnd = this.rnd;
    const days = this.days;
    const { nFresh, nStale, nIns } = batchMix(u);
    let pool: Int32Array | null = null;
    if (dayFilter !== null) {
      // ids of the filtered days, day by day in day order, ascending ids within a day
      const ids: number[] = [];
      for (let d = 0; d < days; d++) if (dayFilter.includes(d)) for (let i = 0; i < base.n; i++) if (base.day[i] === d) ids.push(i);
      pool = Int32Array.from(ids);
    }
    const poolN = pool ? pool.length : base.n;
    if (nFresh + nStale > poolN * 0.5) throw new Error('update pool too small');
    const chosen = new Set<number>();
    const pick = (): number => {
      for (;;) {
        const j = (rnd() * poolN) | 0;
        const id = pool ? pool[j]! : j;
        if (!chosen.has(id)) {
          chosen.add(id);
          return id;
        }
      }
    };
    const c = newBatch(u);
    // newer than every base row (they lie in the data set's `days` days) and every earlier batch
    const newTsBase = EPOCH_US + (days + batchNo) * DAY_US;
    let i = 0;
    for (; i < nFresh + nStale; i++) {
      const id = pick();
      c.id[i] = id;
      c.day[i] = base.day[id]!;
      this.payload(c, i);
      if (i < nFresh) {
        c.ts[i] = newTsBase + Math.floor(rnd() * DAY_US);
        c.kind[i] = 0;
      } else {
        c.ts[i] = EPOCH_US - DAY_US + Math.floor(rnd() * DAY_US); // the day before the first partition: older than every row
        c.qty[i] = -1;
        c.note[i] = 'STALE ' + c.note[i]!;
        c.kind[i] = 1;
      }
    }
    for (let k = 0; k < nIns; k++, i++) {
      c.id[i] = nextId + k;
      c.day[i] = dayFilter ? dayFilter[(rnd() * dayFilter.length) | 0]! : (rnd() * days) | 0;
      c.ts[i] = newTsBase + Math.floor(rnd() * DAY_US);
      this.payload(c, i);
      c.kind[i] = 2;
    }
    // shuffle so updates, stale rows and inserts interleave (Fisher-Yates on a permutation)
    const perm = Array.from({ length: u }, (_, k) => k);
    for (let k = u - 1; k > 0; k--) {
      const j = (rnd() * (k + 1)) | 0;
      [perm[k], perm[j]] = [perm[j]!, perm[k]!];
    }
    const s = newBatch(u);
    for (let k = 0; k < u; k++) {
      const p = perm[k]!;
      s.id[k] = c.id[p]!;
      s.ts[k] = c.ts[p]!;
      s.day[k] = c.day[p]!;
      s.amount[k] = c.amount[p]!;
      s.qty[k] = c.qty[p]!;
      s.score[k] = c.score[p]!;
      s.status[k] = c.status[p]!;
      s.user[k] = c.user[p]!;
      s.city[k] = c.city[p]!;
      s.note[k] = c.note[p]!;
      s.kind[k] = c.kind[p]!;
    }
    return { ...s, nFresh, nStale, nIns };
  }

  private payload(c: Batch, i: number): void {
    const rnd = this.rnd;
    c.amount[i] = Math.round(rnd() * 1e6) / 100;
    c.qty[i] = (rnd() * 1000) | 0;
    c.score[i] = rnd();
    c.status[i] = (rnd() * 6) | 0;
    c.user[i] = 'user_' + ((rnd() * 1e6) | 0);
    c.city[i] = (rnd() * 50) | 0;
    c.note[i] = this.note();
  }
}

function newBatch(n: number): Batch {
  return {
    n,
    id: new Float64Array(n),
    ts: new Float64Array(n),
    day: new Uint16Array(n),
    amount: new Float64Array(n),
    qty: new Int32Array(n),
    score: new Float64Array(n),
    status: new Uint8Array(n),
    user: new Array<string>(n),
    city: new Uint8Array(n),
    note: new Array<string>(n),
    kind: new Uint8Array(n),
    nFresh: 0,
    nStale: 0,
    nIns: 0,
  };
}
