/**
 * I/O errors at every step of a write: an upsert (with the automatic clean and archiving, which run
 * after it) is repeated on a fresh copy of one table with the K-th file operation failing (EIO), for
 * every K. After each, the table is readable and equals exactly the state before or after the
 * upsert; a write that reported failure left the state before (none reported failed yet landed);
 * and the next write works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tidemark } from '../../src/engine/tidemark.ts';
import { FaultyStore } from '../support/faulty-store.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { tableOptions } from '../support/table-options.ts';

const create = tableOptions('f', { partitionFields: ['p'], cleanAutomatic: true, commitsRetained: 1, keepMinCommits: 2, keepMaxCommits: 3 });
const batch = (n: number, ts: number): Array<Record<string, unknown>> => Array.from({ length: 6 }, (_, i) => ({ id: (i + n) % 9, ts, p: i % 2 === 0 ? 'a' : 'b', v: `v${n}.${i}` }));
const upsert = batch(4, 4);
const followUp = [{ id: 0, ts: 9, p: 'a', v: 'after' }, { id: 42, ts: 9, p: 'b', v: 'new' }];

describe('an upsert with an I/O error at each file operation', () => {
  const store = new FaultyStore();
  const warnings: string[] = [];
  let tm: Tidemark;
  const dir = useTempDir('faults');
  let template: string;
  const rows = async (base: string): Promise<string[]> =>
    (await tm.read(base, { columns: ['p', 'id', 'ts', 'v'] })).map((r) => JSON.stringify([r.p, Number(r.id), Number(r.ts), r.v])).sort();
  let copies = 0;
  const copy = (): string => {
    const base = path.join(dir, `t${++copies}`);
    fs.cpSync(template, base, { recursive: true });
    return base;
  };

  beforeAll(async () => {
    tm = await Tidemark.open({ store, onWarning: (m) => warnings.push(m) });
    template = path.join(dir, 'template');
    await tm.upsert(template, { rows: batch(1, 1) }, { create });
    for (const n of [2, 3]) await tm.upsert(template, { rows: batch(n, n) });
  });
  afterAll(() => {
    tm?.close();
  });

  it('leaves the state before or after it, never reports failure for a commit that landed, and the next write works', async () => {
    const before = await rows(template);
    // Without a fault: how many operations the upsert makes, and the states to expect.
    const clean = copy();
    store.arm(undefined);
    const r = await tm.upsert(clean, { rows: upsert });
    const operations = store.ops;
    const after = await rows(clean);
    const names = fs.readdirSync(path.join(clean, '.hoodie'));
    expect(names.some((n) => n.endsWith('.clean')), 'the upsert cleans').toBe(true);
    expect(fs.readdirSync(path.join(clean, '.hoodie/archived')).length, 'the upsert archives').toBeGreaterThan(0);
    expect(r.warnings).toBeUndefined();
    expect(after).not.toEqual(before);
    await tm.upsert(clean, { rows: followUp });
    const afterThenFollowUp = await rows(clean);
    const old = copy();
    await tm.upsert(old, { rows: followUp });
    const beforeThenFollowUp = await rows(old);
    expect(operations).toBeGreaterThan(20);

    const problems: string[] = [];
    let failedWrites = 0;
    let warned = 0;
    for (let k = 1; k <= operations; k++) {
      const base = copy();
      store.arm(k);
      const outcome = await tm.upsert(base, { rows: upsert }).then(
        (res) => ({ threw: false as const, warnings: res.warnings?.length ?? 0 }),
        (error: unknown) => ({ threw: true as const, error }),
      );
      const failedOp = store.failed;
      store.arm(undefined);
      if (outcome.threw) failedWrites += 1;
      else if (outcome.warnings > 0) warned += 1;
      const at = `K=${k} (${failedOp ?? 'no operation failed'})`;
      let state: string[];
      try {
        state = await rows(base);
      } catch (error) {
        problems.push(`${at}: unreadable: ${String(error)}`);
        continue;
      }
      const landed = JSON.stringify(state) === JSON.stringify(after);
      if (!landed && JSON.stringify(state) !== JSON.stringify(before)) problems.push(`${at}: neither the old nor the new state`);
      if (outcome.threw && landed) problems.push(`${at}: reported failed but landed`);
      if (!outcome.threw && !landed) problems.push(`${at}: reported success but did not land`);
      try {
        await tm.upsert(base, { rows: followUp });
        const next = await rows(base);
        if (JSON.stringify(next) !== JSON.stringify(landed ? afterThenFollowUp : beforeThenFollowUp)) problems.push(`${at}: the next write gave the wrong rows`);
      } catch (error) {
        problems.push(`${at}: the next write failed: ${String(error)}`);
      }
    }
    expect(problems).toEqual([]);
    // Both kinds happened: failures before publication, warnings after it.
    expect(failedWrites).toBeGreaterThan(0);
    expect(warned).toBeGreaterThan(0);
    expect(warnings.length).toBeGreaterThan(0);
  }, 120_000);

  it('a commit file written in full whose write still reports an error counts as landed', async () => {
    const base = copy();
    const before = await rows(base);
    store.arm(undefined);
    store.failAfterWriting = /\d{17}\.commit$/;
    try {
      const r = await tm.upsert(base, { rows: upsert });
      expect(r.warnings?.join('\n')).toContain(`${r.instant}.commit reported an error`);
    } finally {
      store.failAfterWriting = undefined;
    }
    expect(await rows(base)).not.toEqual(before);
    await tm.upsert(base, { rows: followUp });
  });
});
