/**
 * Which offsets a run reads, from the previous checkpoint and the offsets each partition holds at
 * the run's start. Pure: no I/O. The rules (the README's stream section):
 * - a first run starts every partition at `startingOffsets` (earliest by default); a full refresh
 *   at the earliest offset; a partition the checkpoint does not know (new) at its earliest;
 * - a checkpoint the partition no longer holds (below its earliest offset: retention deleted the
 *   messages; above its latest: the topic was recreated) fails the run unless `onOutOfRange` says
 *   where to go on, and the messages skipped are counted;
 * - `maxRecords` caps the run, spread evenly over the partitions with messages waiting.
 */
import { InvalidInputError } from '../errors.ts';
import type { OffsetRange, PartitionOffsets } from './stream-port.ts';

/** What the plan is given. */
export interface OffsetPlanInput {
  /** The topic or stream, for messages. */
  readonly name: string;
  readonly partitions: ReadonlyArray<PartitionOffsets>;
  /** The previous checkpoint's offsets (next offset per partition); undefined on a first run. */
  readonly checkpoint: ReadonlyMap<number, bigint> | undefined;
  /** Where the checkpoint was read from (its commit), for messages. */
  readonly checkpointFrom?: string;
  readonly startingOffsets: 'earliest' | 'latest';
  readonly onOutOfRange: 'fail' | 'earliest' | 'latest';
  readonly maxRecords?: number;
  /** Start every partition at its earliest offset (a full refresh). */
  readonly fromEarliest?: boolean;
}

/** A checkpoint the partition no longer held, and where the run went on instead. */
export interface OutOfRange {
  readonly partition: number;
  readonly checkpoint: bigint;
  readonly earliest: bigint;
  readonly latest: bigint;
  /** Where reading resumed. */
  readonly resumedAt: bigint;
  /** Messages passed over (a count; 0 when the topic was recreated below the checkpoint). */
  readonly skipped: bigint;
}

/** The ranges to read, and the checkpoint once they are read. */
export interface OffsetPlan {
  /** Non-empty ranges only, by partition. */
  readonly ranges: ReadonlyArray<OffsetRange>;
  /** Every partition's next offset after the ranges are read. */
  readonly next: ReadonlyMap<number, bigint>;
  /** Messages in the ranges (a count). */
  readonly messages: number;
  /** Messages left for later runs by `maxRecords` (a count, as of the run's start). */
  readonly lag: number;
  readonly outOfRange: ReadonlyArray<OutOfRange>;
}

/** Plans a run's reads; throws `InvalidInputError` for a checkpoint out of range under `fail`. */
export function planOffsets(input: OffsetPlanInput): OffsetPlan {
  const starts = new Map<number, bigint>();
  const outOfRange: OutOfRange[] = [];
  for (const p of input.partitions) {
    const known = input.checkpoint?.get(p.partition);
    if (input.fromEarliest === true) starts.set(p.partition, p.earliest);
    else if (input.checkpoint === undefined) starts.set(p.partition, input.startingOffsets === 'latest' ? p.latest : p.earliest);
    else if (known === undefined) starts.set(p.partition, p.earliest);
    else if (known >= p.earliest && known <= p.latest) starts.set(p.partition, known);
    else {
      if (input.onOutOfRange === 'fail') throw outOfRangeError(input, p, known);
      const resumedAt = input.onOutOfRange === 'earliest' ? p.earliest : p.latest;
      // Below the earliest offset the gap is known; above the latest (a recreated topic) it is not.
      const skipped = known < p.earliest ? resumedAt - known : resumedAt - p.earliest;
      outOfRange.push({ partition: p.partition, checkpoint: known, earliest: p.earliest, latest: p.latest, resumedAt, skipped });
      starts.set(p.partition, resumedAt);
    }
  }
  const takes = share(input.partitions.map((p) => ({ partition: p.partition, available: p.latest - starts.get(p.partition)! })), input.maxRecords);
  const ranges: OffsetRange[] = [];
  const next = new Map<number, bigint>();
  let messages = 0n;
  let lag = 0n;
  for (const p of input.partitions) {
    const from = starts.get(p.partition)!;
    const to = from + takes.get(p.partition)!;
    if (to > from) ranges.push({ partition: p.partition, from, to });
    next.set(p.partition, to);
    messages += to - from;
    lag += p.latest - to;
  }
  return { ranges, next, messages: Number(messages), lag: Number(lag), outOfRange };
}

/** How many messages each partition gives: all, or `max` spread evenly (a partition with fewer gives what it has). */
function share(waiting: ReadonlyArray<{ partition: number; available: bigint }>, max: number | undefined): Map<number, bigint> {
  if (max === undefined) return new Map(waiting.map((w) => [w.partition, w.available]));
  const takes = new Map<number, bigint>();
  let left = BigInt(max);
  // Smallest first: what a short partition leaves over goes to the others.
  const sorted = [...waiting].sort((a, b) => (a.available < b.available ? -1 : a.available > b.available ? 1 : a.partition - b.partition));
  sorted.forEach((w, i) => {
    const fair = (left + BigInt(sorted.length - i) - 1n) / BigInt(sorted.length - i);
    const take = w.available < fair ? w.available : fair;
    takes.set(w.partition, take);
    left -= take;
  });
  return takes;
}

function outOfRangeError(input: OffsetPlanInput, p: PartitionOffsets, known: bigint): InvalidInputError {
  const why = known < p.earliest
    ? `its earliest retained offset is ${p.earliest}: messages ${known} to ${p.earliest - 1n} were deleted (retention) before this pipeline read them`
    : `its latest offset is ${p.latest}, below the checkpoint (was the topic recreated?)`;
  return new InvalidInputError(
    `${input.name} partition ${p.partition}: the checkpoint offset ${known}${input.checkpointFrom === undefined ? '' : ` (from ${input.checkpointFrom})`} is out of range: ${why}. ` +
      "Nothing was read. Set the source's onOffsetOutOfRange to 'earliest' or 'latest' to go on from there (the skipped messages are counted), or run with --full-refresh",
    { value: String(known) },
  );
}
