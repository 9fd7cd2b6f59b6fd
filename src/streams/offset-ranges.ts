/**
 * The checks every stream adapter makes on the ranges it is asked to read, against the partitions'
 * offsets taken just before: a range of a partition the stream has, at most one per partition,
 * `from <= to`, and within the retained offsets (a range below `earliest` lost messages to
 * retention or a purge; one past `latest` asks for messages that do not exist yet).
 */
import { InvalidArgumentError, StorageError } from '../errors.ts';
import type { OffsetRange, PartitionOffsets } from './stream-port.ts';

/**
 * The non-empty ranges of `ranges`, checked against `offsets`. `where` names the stream for messages
 * (`Kafka topic "t" at host:9092`).
 */
export function rangesToRead(where: string, ranges: ReadonlyArray<OffsetRange>, offsets: ReadonlyArray<PartitionOffsets>): OffsetRange[] {
  const byPartition = new Map(offsets.map((o) => [o.partition, o]));
  const seen = new Set<number>();
  const toRead: OffsetRange[] = [];
  for (const range of ranges) {
    const label = `${where}: range ${range.partition}:[${range.from},${range.to})`;
    const held = byPartition.get(range.partition);
    if (held === undefined) throw new InvalidArgumentError(`${label}: no partition ${range.partition} (partitions: ${[...byPartition.keys()].join(', ')})`);
    if (seen.has(range.partition)) throw new InvalidArgumentError(`${label}: partition ${range.partition} is given more than one range`);
    seen.add(range.partition);
    if (range.from > range.to) throw new InvalidArgumentError(`${label}: from is after to`);
    if (range.from === range.to) continue;
    if (range.from < held.earliest) {
      throw new StorageError(`${label}: offsets below ${held.earliest} are no longer retained (deleted by retention or a purge)`);
    }
    if (range.to > held.latest) throw new InvalidArgumentError(`${label}: the partition ends at ${held.latest}`);
    toRead.push(range);
  }
  return toRead;
}
