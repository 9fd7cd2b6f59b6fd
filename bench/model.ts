/** The expected table state the peers are checked against (peers.mjs's Model), and the batch mix. */
import type { Batch } from './data.ts';

/** Fresh, stale and inserted rows of a batch of `u` rows. */
export function batchMix(u: number): { nFresh: number; nStale: number; nIns: number } {
  const nFresh = Math.round(u * 0.75);
  const nStale = Math.round(u * 0.05);
  return { nFresh, nStale, nIns: u - nFresh - nStale };
}

/**
 * Expected table state: qty, amount and ts by id. Like peers.mjs's Model, with a presence flag so a
 * subset of the batches can be applied (--scale applies only upsert_skewed, whose new ids then do not
 * follow the base ids densely).
 */
export class Model {
  /** Base rows; `load` marks ids 0..n-1 present. */
  n = 0;
  readonly present: Uint8Array;
  readonly qty: Int32Array;
  readonly amount: Float64Array;
  readonly ts: Float64Array;
  constructor(capacity: number) {
    this.present = new Uint8Array(capacity);
    this.qty = new Int32Array(capacity);
    this.amount = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
  }
  /** Applies an upsert batch: new ids inserted, stored ids replaced only by a strictly newer ts. */
  apply(b: Batch): void {
    for (let k = 0; k < b.n; k++) {
      const id = b.id[k]!;
      if (this.present[id] === 0) {
        this.present[id] = 1;
        this.set(id, b, k);
      } else if (b.ts[k]! > this.ts[id]!) this.set(id, b, k);
    }
  }
  private set(id: number, b: Batch, k: number): void {
    this.qty[id] = b.qty[k]!;
    this.amount[id] = b.amount[k]!;
    this.ts[id] = b.ts[k]!;
  }
  /** Marks the base rows 0..n-1 present (their values are filled by the generator). */
  loaded(n: number): void {
    this.n = n;
    this.present.fill(1, 0, n);
  }
  sums(): Expected {
    let q = 0;
    let a = 0;
    let count = 0;
    for (let i = 0; i < this.present.length; i++) {
      if (this.present[i] === 0) continue;
      count++;
      q += this.qty[i]!;
      a += this.amount[i]!;
    }
    return { count, sumQty: q, sumAmount: a };
  }
}

export interface Expected {
  count: number;
  sumQty: number;
  sumAmount: number;
}

