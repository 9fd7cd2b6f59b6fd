/**
 * Archived commits stay part of the table: after writes archive the oldest instants (Hudi's keep
 * 20–30 commits), snapshots, time travel, incremental reads and upserts still see the files that
 * only archived commits name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { tableOptions } from '../support/table-options.ts';

describe('reads and writes across the archived timeline', () => {
  let tm: Tidemark;
  let base: string;
  const instants: string[] = [];
  useEngine('archived', (e) => {
    tm = e.tm;
    base = path.join(e.dir, 't');
  });
  beforeAll(async () => {
    const create = tableOptions('t', { partitionFields: ['p'] });
    // Partition `cold` is written once, by the first commit; `hot` by every commit after it.
    instants.push((await tm.upsert(base, { rows: [{ id: 0, ts: 0, p: 'cold', v: 'kept' }] }, { create })).instant!);
    for (let i = 1; i <= 40; i++) instants.push((await tm.upsert(base, { rows: [{ id: i, ts: i, p: 'hot', v: `v${i}` }] })).instant!);
  });

  it('writes archive the oldest instants once more than 30 commits are active', async () => {
    const active = fs.readdirSync(path.join(base, '.hoodie')).filter((f) => f.endsWith('.commit'));
    expect(active.length).toBeGreaterThanOrEqual(20);
    expect(active.length).toBeLessThanOrEqual(30);
    expect(active).not.toContain(`${instants[0]}.commit`);
    expect(fs.readdirSync(path.join(base, '.hoodie/archived')).some((f) => f.startsWith('.commits_.archive'))).toBe(true);
  });

  it('the snapshot still has the row only an archived commit wrote', async () => {
    const rows = await tm.read(base, { columns: ['id', 'v'], where: `p = 'cold'` });
    expect(rows.map((r) => [Number(r.id), r.v])).toEqual([[0, 'kept']]);
    expect((await tm.read(base)).length).toBe(41);
  });

  it('time travel and incremental reads reach archived instants', async () => {
    expect((await tm.read(base, { asOf: instants[3] })).length).toBe(4);
    expect((await tm.read(base, { since: instants[0], until: instants[5], columns: ['id'] })).map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  });

  it('an upsert of a key in an archived file group updates it in place, no duplicate', async () => {
    const r = await tm.upsert(base, { rows: [{ id: 0, ts: 1, p: 'cold', v: 'updated' }] });
    expect([r.updated, r.inserted]).toEqual([1, 0]);
    expect((await tm.read(base, { columns: ['v'], where: 'id = 0' })).map((x) => x.v)).toEqual(['updated']);
  });
});
