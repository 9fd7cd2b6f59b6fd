/** What the driver needs from a peer: the same operations, run and timed the same way for each. */

/** Aggregates over the latest snapshot. */
export interface SnapshotResult {
  readonly count: number;
  readonly sumQty: number;
  readonly sumAmount: number;
  /** Rows with qty < 0: stale updates that won. */
  readonly stale: number;
}

/** What a write reports, when the peer knows (Tidemark's CommitResult). */
export type WriteExtras = Record<string, unknown> & {
  readonly inserted?: number;
  readonly updated?: number;
  readonly skipped_as_older?: number;
};

export interface Peer {
  readonly name: string;
  /** The table's directory, for bytes on disk. */
  readonly root: string;
  /** Untimed, before a run's first step: whatever the peer must do with the input files first. */
  prepare?(files: ReadonlyArray<string>): Promise<void>;
  /** Creates the table from the base file. */
  load(file: string): Promise<WriteExtras>;
  /** Upserts one batch file. */
  upsert(file: string): Promise<WriteExtras>;
  snapshot(): Promise<SnapshotResult>;
  /** qty of every visible row with this id. */
  lookup(id: number): Promise<number[]>;
  /** The same, with the id's partition known. */
  lookupPruned(id: number, dt: string): Promise<number[]>;
  close(): void;
}

/** The snapshot aggregate every peer runs, over a relation. */
export function snapshotSql(relation: string): string {
  return `SELECT count(*) AS count, sum(qty) AS sum_qty, sum(amount) AS sum_amount, count(*) FILTER (WHERE qty < 0) AS stale FROM ${relation}`;
}

export function toSnapshot(rows: ReadonlyArray<Record<string, unknown>>): SnapshotResult {
  const r = rows[0] ?? {};
  return { count: Number(r.count), sumQty: Number(r.sum_qty), sumAmount: Number(r.sum_amount), stale: Number(r.stale) };
}
