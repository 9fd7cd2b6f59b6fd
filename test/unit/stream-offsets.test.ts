import { describe, expect, it } from 'vitest';
import { CHECKPOINT_KEY, formatCheckpoint, parseCheckpoint } from '../../src/streams/stream-checkpoint.ts';
import { planOffsets } from '../../src/streams/offset-plan.ts';
import { InvalidInputError, TableFormatError } from '../../src/errors.ts';

const parts = (...p: Array<[number, number, number]>) => p.map(([partition, earliest, latest]) => ({ partition, earliest: BigInt(earliest), latest: BigInt(latest) }));
const cp = (o: Record<number, number>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), BigInt(v)]));
const base = { name: 'events', startingOffsets: 'earliest' as const, onOutOfRange: 'fail' as const };

describe('stream checkpoints in Hudi format', () => {
  it('is written as HoodieStreamer writes it: topic, then partition:next-offset in partition order', () => {
    expect(CHECKPOINT_KEY).toBe('deltastreamer.checkpoint.key');
    expect(formatCheckpoint({ name: 'events', offsets: cp({ 1: 456, 0: 123 }) })).toBe('events,0:123,1:456');
  });

  it('reads back what it wrote, and one written by Hudi', () => {
    const back = parseCheckpoint('impressions,0:3,1:0,2:17', 'commit 20240101000000000');
    expect(back.name).toBe('impressions');
    expect([...back.offsets]).toEqual([[0, 3n], [1, 0n], [2, 17n]]);
    expect(parseCheckpoint(formatCheckpoint(back), 'x')).toEqual(back);
  });

  it('names the commit of a malformed checkpoint', () => {
    for (const bad of ['', ',0:1', 'events,0:x', 'events,0:1,0:2', 'events,-1:3']) {
      expect(() => parseCheckpoint(bad, 'commit 20240101000000000')).toThrow(TableFormatError);
    }
    expect(() => parseCheckpoint('events,0:x', 'commit 20240101000000000')).toThrow(/in commit 20240101000000000/);
  });
});

describe('planning the offsets a run reads', () => {
  it('a first run reads every retained message, or none with startingOffsets latest', () => {
    const plan = planOffsets({ ...base, partitions: parts([0, 0, 5], [1, 2, 4], [2, 0, 0]), checkpoint: undefined });
    expect(plan.ranges).toEqual([{ partition: 0, from: 0n, to: 5n }, { partition: 1, from: 2n, to: 4n }]);
    expect([...plan.next]).toEqual([[0, 5n], [1, 4n], [2, 0n]]);
    expect(plan.messages).toBe(7);
    expect(plan.lag).toBe(0);
    const latest = planOffsets({ ...base, startingOffsets: 'latest', partitions: parts([0, 0, 5]), checkpoint: undefined });
    expect(latest.ranges).toEqual([]);
    expect([...latest.next]).toEqual([[0, 5n]]);
  });

  it('goes on from the checkpoint; a new partition starts at its earliest offset', () => {
    const plan = planOffsets({ ...base, partitions: parts([0, 0, 9], [1, 0, 4], [2, 3, 6]), checkpoint: cp({ 0: 5, 1: 4 }) });
    expect(plan.ranges).toEqual([{ partition: 0, from: 5n, to: 9n }, { partition: 2, from: 3n, to: 6n }]);
    expect(plan.messages).toBe(7);
  });

  it('nothing new: no range, the same checkpoint', () => {
    const plan = planOffsets({ ...base, partitions: parts([0, 0, 9]), checkpoint: cp({ 0: 9 }) });
    expect(plan.ranges).toEqual([]);
    expect([...plan.next]).toEqual([[0, 9n]]);
  });

  it('a full refresh starts every partition at its earliest offset', () => {
    const plan = planOffsets({ ...base, fromEarliest: true, partitions: parts([0, 2, 9]), checkpoint: cp({ 0: 9 }) });
    expect(plan.ranges).toEqual([{ partition: 0, from: 2n, to: 9n }]);
  });

  it('maxRecords is spread over the partitions, the short ones leaving their share to the others', () => {
    const plan = planOffsets({ ...base, maxRecords: 10, partitions: parts([0, 0, 100], [1, 0, 2], [2, 0, 100]), checkpoint: undefined });
    expect(plan.ranges).toEqual([{ partition: 0, from: 0n, to: 4n }, { partition: 1, from: 0n, to: 2n }, { partition: 2, from: 0n, to: 4n }]);
    expect(plan.messages).toBe(10);
    expect(plan.lag).toBe(192);
    expect(planOffsets({ ...base, maxRecords: 3, partitions: parts([0, 0, 1], [1, 0, 1]), checkpoint: undefined }).messages).toBe(2);
  });

  it('a checkpoint below the earliest retained offset fails, naming the partition, the checkpoint and the earliest offset', () => {
    const run = () => planOffsets({ ...base, partitions: parts([0, 0, 9], [1, 50, 60]), checkpoint: cp({ 0: 3, 1: 20 }), checkpointFrom: 'commit 20240101000000000' });
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(/events partition 1: the checkpoint offset 20 \(from commit 20240101000000000\) is out of range: its earliest retained offset is 50: messages 20 to 49 were deleted/);
  });

  it('a checkpoint above the latest offset (a recreated topic) fails too', () => {
    expect(() => planOffsets({ ...base, partitions: parts([0, 0, 4]), checkpoint: cp({ 0: 30 }) })).toThrow(/latest offset is 4, below the checkpoint/);
  });

  it('onOutOfRange earliest or latest goes on from there and counts what it skipped', () => {
    const earliest = planOffsets({ ...base, onOutOfRange: 'earliest', partitions: parts([0, 50, 60]), checkpoint: cp({ 0: 20 }) });
    expect(earliest.ranges).toEqual([{ partition: 0, from: 50n, to: 60n }]);
    expect(earliest.outOfRange).toEqual([{ partition: 0, checkpoint: 20n, earliest: 50n, latest: 60n, resumedAt: 50n, skipped: 30n }]);
    const latest = planOffsets({ ...base, onOutOfRange: 'latest', partitions: parts([0, 50, 60]), checkpoint: cp({ 0: 20 }) });
    expect(latest.ranges).toEqual([]);
    expect(latest.outOfRange[0]!.skipped).toBe(40n);
    const recreated = planOffsets({ ...base, onOutOfRange: 'earliest', partitions: parts([0, 0, 4]), checkpoint: cp({ 0: 30 }) });
    expect(recreated.ranges).toEqual([{ partition: 0, from: 0n, to: 4n }]);
    expect(recreated.outOfRange[0]!.skipped).toBe(0n);
  });
});
