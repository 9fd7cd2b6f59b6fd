/** `mapConcurrent`: results in order, never more than `limit` calls in flight, the first failure raised after all started calls settle. */
import { describe, expect, it } from 'vitest';
import { mapConcurrent } from '../../src/util/concurrency.ts';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapConcurrent', () => {
  it('keeps the items order and the limit', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3, 0, 6], 3, async (ms, i) => {
      most = Math.max(most, ++inFlight);
      await tick(ms);
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:6']);
    expect(most).toBe(3);
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });

  it('raises the first failure once every started call has settled, and starts no more', async () => {
    const settled: number[] = [];
    const started: number[] = [];
    const run = mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick(n === 1 ? 1 : 10);
      settled.push(n);
      if (n === 1) throw new Error('boom 1');
      return n;
    });
    await expect(run).rejects.toThrow('boom 1');
    expect(started).toEqual([0, 1]);
    expect(settled.sort()).toEqual([0, 1]);
  });
});
