/**
 * Partition values that are names of JavaScript's Object.prototype (`__proto__`, `constructor`,
 * `toString`) are ordinary partitions: they key commit metadata (JSON), clean and rollback plans and
 * archived commits (Avro maps), and none of those may lose or confuse them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { tableOptions } from '../support/table-options.ts';

const PARTITIONS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

describe('partitions named like Object.prototype members', () => {
  let tm: Tidemark;
  let base: string;
  const instants: string[] = [];
  useEngine('proto', (e) => {
    tm = e.tm;
    base = path.join(e.dir, 't');
  });
  beforeAll(async () => {
    // Cleaning keeps 1 commit, archiving keeps 2-3 active: plans and archived commits are written.
    const create = tableOptions('t', { partitionFields: ['p'], cleanAutomatic: true, commitsRetained: 1, keepMinCommits: 2, keepMaxCommits: 3 });
    for (let round = 1; round <= 6; round++) {
      const rows = PARTITIONS.map((p, i) => ({ id: i, ts: round, p, v: `${p}@${round}` }));
      instants.push((await tm.upsert(base, { rows }, round === 1 ? { create } : {})).instant!);
    }
  });

  it('writes, cleans and archives them; the snapshot has every partition', async () => {
    expect(fs.readdirSync(path.join(base, '.hoodie/archived')).some((f) => f.startsWith('.commits_.archive'))).toBe(true);
    expect(fs.readdirSync(path.join(base, '.hoodie')).some((f) => f.endsWith('.clean'))).toBe(true);
    const rows = await tm.read(base, { columns: ['p', 'v'] });
    expect(rows.map((r) => String(r.v)).sort()).toEqual(PARTITIONS.map((p) => `${p}@6`).sort());
    expect((await tm.fileSlices(base)).map((s) => s.partitionPath).sort()).toEqual([...PARTITIONS].sort());
  });

  it('commit history, including archived commits, names every partition', async () => {
    const commits = (await tm.commits(base)).filter((c) => c.action === 'commit');
    expect(commits.map((c) => [c.time, c.filesWritten, c.updated + c.inserted])).toEqual(instants.map((i) => [i, 4, 4]));
    const state = await tm.table(base);
    for (const i of instants) expect(Object.keys(state.commits.get(i)!.partitionToWriteStats).sort(), i).toEqual([...PARTITIONS].sort());
  });

  it('incremental reads see every partition', async () => {
    const changed = await tm.read(base, { since: instants[4]!, until: instants[5]!, columns: ['p', 'v'] });
    expect(changed.map((r) => String(r.v)).sort()).toEqual(PARTITIONS.map((p) => `${p}@6`).sort());
  });

  it('rollback of the latest commit restores every partition', async () => {
    await tm.rollback(base, instants.at(-1)!);
    const rows = await tm.read(base, { columns: ['v'] });
    expect(rows.map((r) => String(r.v)).sort()).toEqual(PARTITIONS.map((p) => `${p}@5`).sort());
  });
});
