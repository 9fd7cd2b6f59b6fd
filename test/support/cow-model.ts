/**
 * An in-memory model of Tidemark's copy-on-write semantics, written from the documented rules and
 * nothing else: precombine within a batch (largest ordering value, ties to the later row), event-time
 * ordering against stored copies, inserts that do not look up, deletes that remove every copy.
 */

/** A record of the model tables: partition, key, ordering value and a payload. */
export interface ModelRow {
  readonly p: string;
  readonly id: number;
  readonly ts: number;
  readonly v: string;
  readonly del: boolean;
}

/** A stored copy, with the instant that last wrote it. */
export interface StoredRow extends ModelRow {
  readonly commit: string;
}

export type ModelOp = 'upsert' | 'insert' | 'delete';

const keyOf = (r: { p: string; id: number }): string => `${r.p}\u0000${r.id}`;

/** The table's state after each commit. */
export class CowModel {
  private rows: StoredRow[] = [];
  readonly history = new Map<string, ReadonlyArray<StoredRow>>();

  /** Applies a batch; returns whether anything changed (so the engine must have committed). */
  apply(op: ModelOp, batch: ReadonlyArray<ModelRow>, instant: string): boolean {
    const winners = new Map<string, ModelRow>();
    for (const r of batch) {
      const seen = winners.get(keyOf(r));
      if (seen === undefined || op === 'delete' || r.ts >= seen.ts) winners.set(keyOf(r), r);
    }
    let changed = false;
    let next = [...this.rows];
    for (const r of winners.values()) {
      const stored = next.filter((s) => keyOf(s) === keyOf(r));
      if (op === 'insert') {
        if (!r.del) {
          next.push({ ...r, commit: instant });
          changed = true;
        }
        continue;
      }
      if (stored.length === 0) {
        if (op === 'upsert' && !r.del) {
          next.push({ ...r, commit: instant });
          changed = true;
        }
        continue;
      }
      next = next.flatMap((s) => {
        if (keyOf(s) !== keyOf(r)) return [s];
        if (op === 'delete') {
          changed = true;
          return [];
        }
        if (r.ts < s.ts) return [s];
        changed = true;
        return r.del ? [] : [{ ...r, del: false, commit: instant }];
      });
    }
    if (changed) {
      this.rows = next;
      this.history.set(instant, [...next]);
    }
    return changed;
  }

  /** Snapshot as of an instant (the latest state at or before it). */
  snapshot(asOf: string): ReadonlyArray<StoredRow> {
    let best: string | undefined;
    for (const t of this.history.keys()) if (t <= asOf && (best === undefined || t > best)) best = t;
    return best === undefined ? [] : this.history.get(best)!;
  }

  /** A restore to the savepoint `to`: every later commit undone, its history forgotten. */
  restore(to: string): void {
    this.rows = [...this.snapshot(to)];
    for (const t of [...this.history.keys()]) if (t > to) this.history.delete(t);
  }

  /** Incremental read: the latest state of records committed in (since, until]. */
  incremental(since: string, until: string): ReadonlyArray<StoredRow> {
    return this.snapshot(until).filter((r) => r.commit > since && r.commit <= until);
  }
}
