/** `tidemark rollback`: undoing the latest commit as a Hudi rollback instant. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { InvalidInstantError } from '../../src/errors.ts';
import { decodeRollbackMetadata, decodeRollbackPlan } from '../../src/timeline/avro-instants.ts';
import { tableOptions } from '../support/table-options.ts';

describe('rollback of a completed commit', () => {
  let tm: Tidemark;
  let base: string;
  const instants: string[] = [];
  useEngine('rb', (e) => {
    tm = e.tm;
    base = path.join(e.dir, 't');
  });
  beforeAll(async () => {
    const create = tableOptions('t', { partitionFields: ['p'] });
    instants.push((await tm.upsert(base, { rows: [{ id: 1, ts: 1, p: 'a', v: 'one' }] }, { create })).instant!);
    instants.push((await tm.upsert(base, { rows: [{ id: 1, ts: 2, p: 'a', v: 'two' }, { id: 2, ts: 1, p: 'b', v: 'new' }] })).instant!);
  });

  it('refuses a commit that is not the latest', async () => {
    await expect(tm.rollback(base, instants[0]!)).rejects.toBeInstanceOf(InvalidInstantError);
    await expect(tm.rollback(base, '20000101000000000')).rejects.toThrow(/has no commit at instant/);
  });

  it('undoes the latest commit: previous state, its files gone, a rollback instant with Hudi metadata', async () => {
    const written = fs.readdirSync(path.join(base, 'b'));
    let out = '';
    const code = await main(['rollback', base, instants[1]!, '--json'], { stdout: (s) => void (out += s), stderr: () => undefined });
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.rolledBack).toBe(instants[1]);
    expect(r.filesDeleted).toHaveLength(2);
    expect((await tm.read(base, { columns: ['id', 'v'] })).map((x) => [Number(x.id), x.v])).toEqual([[1, 'one']]);
    expect(fs.readdirSync(path.join(base, 'b')).filter((f) => f.endsWith('.parquet'))).toEqual([]);
    expect(written.some((f) => f.endsWith('.parquet'))).toBe(true);
    const hoodie = fs.readdirSync(path.join(base, '.hoodie'));
    expect(hoodie.filter((f) => f.startsWith(instants[1]!))).toEqual([]);
    const rb = r.rollbackInstant as string;
    expect(hoodie.filter((f) => f.startsWith(rb)).sort()).toEqual([`${rb}.rollback`, `${rb}.rollback.inflight`, `${rb}.rollback.requested`]);
    const plan = decodeRollbackPlan(fs.readFileSync(path.join(base, `.hoodie/${rb}.rollback.requested`)), 'plan');
    expect(plan.instantToRollback).toEqual({ commitTime: instants[1], action: 'commit' });
    const meta = decodeRollbackMetadata(fs.readFileSync(path.join(base, `.hoodie/${rb}.rollback`)), 'meta');
    expect(meta).toMatchObject({ commitsRollback: [instants[1]], totalFilesDeleted: 2, instantsRollback: [{ commitTime: instants[1], action: 'commit' }] });
    expect(Object.keys(meta.partitionMetadata).sort()).toEqual(['a', 'b']);
    const next = await tm.upsert(base, { rows: [{ id: 3, ts: 1, p: 'a', v: 'after' }] });
    expect(next.instant! > rb).toBe(true);
    expect((await tm.read(base, { columns: ['id'] })).map((x) => Number(x.id)).sort()).toEqual([1, 3]);
  });
});
