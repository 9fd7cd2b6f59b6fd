/**
 * Which file group each inserted record goes to, in SQL, without copying the batch. A partition
 * whose inserts all go to one file group (the usual case) is a join with a tiny map. A partition
 * that needs several (Hudi's rules: fill the small file groups, then new ones of at most
 * maxFileSize / record size records) is cut by input row number: records are counted per block of
 * `B` consecutive input rows and the buckets filled block by block, so a record's group follows
 * from its row number by a range join. With B = 1 (small batches) this is exactly the record-by-record
 * split; on large batches B grows so the count stays small, and a bucket may end up to one block's
 * share short of full. A window numbering every record would hold the whole batch in memory.
 */
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlString } from '../../storage/duckdb/sql.ts';
import type { InsertBucket } from '../../table/insert-buckets.ts';
import { WC } from './working-columns.ts';

/** Per-(partition, block) counts are kept below this many rows. */
const MAX_BLOCKS = 100_000;

/**
 * What the assignment produced: the inserts relation (with `__tm_fg`), the same records' keys alone
 * (`__tm_row`, `__tm_rk`, `__tm_pp`, `__tm_fg`: what the bloom filters need, read without the records' other
 * columns), and records per file group.
 */
export interface InsertAssignment {
  readonly relation: string;
  readonly keys: string;
  readonly perGroup: ReadonlyMap<number, number>;
}

/**
 * Assigns the records of `insertRows` (SQL with `__tm_pp`, `__tm_row`) to file groups. `keyRows` is
 * SQL of the same records with only `__tm_row`, `__tm_rk` and `__tm_pp` (it may be cheaper to read).
 * `buckets(pp, n)` gives Hudi's buckets for n inserts into partition pp; `group(pp, bucket)` the
 * file group index of a bucket (creating it); `newBucket()` is an empty new file group's bucket capacity.
 */
export async function assignInsertRows(
  duck: DuckSession,
  prefix: string,
  insertRows: string,
  keyRows: string,
  partitions: ReadonlyArray<{ readonly pp: string; readonly n: number }>,
  buckets: (pp: string, n: number) => InsertBucket[],
  group: (pp: string, bucket: InsertBucket) => number,
  newBucket: number,
): Promise<InsertAssignment> {
  const perGroup = new Map<number, number>();
  const single: Array<{ pp: string; fg: number }> = [];
  const multi = new Map<string, InsertBucket[]>();
  for (const { pp, n } of partitions) {
    const bs = buckets(pp, n);
    if (bs.length === 1) {
      const fg = group(pp, bs[0]!);
      perGroup.set(fg, (perGroup.get(fg) ?? 0) + n);
      single.push({ pp, fg });
    } else if (bs.length > 1) multi.set(pp, bs);
  }
  // Each join is written once, over either the records or their keys.
  const branches: Array<(rows: string) => string> = [];
  if (single.length > 0) {
    const map = `(VALUES ${single.map((r) => `(${sqlString(r.pp)}, ${r.fg})`).join(', ')}) m(pp, fg)`;
    branches.push((rows) => `SELECT i.*, m.fg AS ${WC.fg} FROM (${rows}) i JOIN ${map} ON i.${WC.pp} = m.pp`);
  }
  if (multi.size > 0) {
    const total = partitions.filter((p) => multi.has(p.pp)).reduce((s, p) => s + p.n, 0);
    // Blocks never hold more of a partition's rows than a new file group takes.
    const block = Math.max(1, Math.min(newBucket, Math.ceil((total * multi.size) / MAX_BLOCKS)));
    const counts = await duck.rows(`SELECT ${WC.pp} AS pp, ${WC.row} // ${block} AS blk, count(*) AS n FROM (${keyRows})
      WHERE ${WC.pp} IN (${[...multi.keys()].map(sqlString).join(', ')}) GROUP BY ALL ORDER BY pp, blk`);
    const ranges: Array<{ pp: string; lo: number; hi: number; fg: number }> = [];
    let at = 0;
    for (const [pp, bs] of multi) {
      const blocks: Array<{ blk: number; n: number }> = [];
      for (; at < counts.length && String(counts[at]!.pp) === pp; at++) blocks.push({ blk: Number(counts[at]!.blk), n: Number(counts[at]!.n) });
      let k = 0;
      let current: { first: number; last: number; n: number } | undefined;
      const close = (): void => {
        if (current === undefined) return;
        const bucket = bs[k] ?? { fileId: undefined, count: newBucket };
        const fg = group(pp, bucket);
        perGroup.set(fg, (perGroup.get(fg) ?? 0) + current.n);
        ranges.push({ pp, lo: current.first * block, hi: (current.last + 1) * block - 1, fg });
        current = undefined;
      };
      for (const b of blocks) {
        // The next bucket with room for the block (Hudi's order); an empty new group always has room.
        while ((current?.n ?? 0) + b.n > (bs[k]?.count ?? newBucket)) {
          if (current !== undefined) close();
          k++;
        }
        current = current === undefined ? { first: b.blk, last: b.blk, n: b.n } : { ...current, last: b.blk, n: current.n + b.n };
      }
      close();
    }
    const values = ranges.map((r) => `(${sqlString(r.pp)}, ${r.lo}, ${r.hi}, ${r.fg})`).join(', ');
    await duck.run(`CREATE TABLE ${prefix}insranges AS SELECT * FROM (VALUES ${values}) b(pp, lo, hi, fg)`);
    branches.push((rows) => `SELECT i.*, b.fg AS ${WC.fg} FROM (${rows}) i JOIN ${prefix}insranges b ON i.${WC.pp} = b.pp AND i.${WC.row} BETWEEN b.lo AND b.hi`);
  }
  const union = (rows: string): string =>
    branches.length === 0 ? `(SELECT *, NULL::INTEGER AS ${WC.fg} FROM (${rows}) WHERE false)` : `(${branches.map((b) => b(rows)).join(' UNION ALL ')})`;
  return { relation: union(insertRows), keys: union(keyRows), perGroup };
}
