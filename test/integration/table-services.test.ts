/** clean, savepoint and restore on written tables, with Hudi's Avro instants, and recovery of an interrupted clean. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { InvalidInstantError } from '../../src/errors.ts';
import { decodeCleanMetadata, decodeCleanerPlan, decodeRestoreMetadata, decodeSavepointMetadata, encodeCleanerPlan } from '../../src/timeline/avro-instants.ts';
import { tableOptions } from '../support/table-options.ts';

const parquet = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort();

describe('table services', () => {
  let tm: Tidemark;
  let root: string;
  useEngine('services', (e) => ({ tm, dir: root } = e));

  /** A table with one file group rewritten by `n` commits; returns the instants. */
  async function history(name: string, n: number, extra: object = {}): Promise<{ base: string; instants: string[] }> {
    const base = path.join(root, name);
    const instants: string[] = [];
    for (let i = 1; i <= n; i++) {
      const r = await tm.upsert(base, { rows: [{ id: 1, ts: i, v: `v${i}` }] }, { create: tableOptions(name, extra) });
      instants.push(r.instant!);
    }
    return { base, instants };
  }
  const value = async (base: string, asOf?: string): Promise<unknown> => (await tm.read(base, { columns: ['v'], ...(asOf ? { asOf } : {}) }))[0]?.v;

  it('clean keeps what reads of the last N commits need, records Hudi clean instants, and refuses reads of cleaned instants', async () => {
    const { base, instants } = await history('cleaned', 5);
    expect(parquet(base)).toHaveLength(5);
    let out = '';
    expect(await main(['clean', base, '--retain-commits', '2', '--json'], { stdout: (s) => void (out += s), stderr: () => undefined })).toBe(0);
    const r = JSON.parse(out);
    // Commits 4 and 5 stay readable; as Hudi does, the newest slice older than commit 4 (commit 3's) is kept too.
    expect(r.earliestCommitToRetain).toBe(instants[3]);
    expect(parquet(base).map((f) => f.slice(-25, -8))).toEqual([instants[2], instants[3], instants[4]]);
    expect(r.filesDeleted).toHaveLength(2);
    expect(await value(base)).toBe('v5');
    expect(await value(base, instants[3])).toBe('v4');
    const error = await tm.read(base, { asOf: instants[1] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInstantError);
    expect(String(error)).toMatch(/was cleaned: commits from \d{17} on/);
    const c = r.cleanInstant as string;
    const plan = decodeCleanerPlan(fs.readFileSync(path.join(base, `.hoodie/${c}.clean.requested`)), 'plan');
    expect(plan).toMatchObject({ policy: 'KEEP_LATEST_COMMITS', earliestInstantToRetain: { timestamp: instants[3] } });
    const meta = decodeCleanMetadata(fs.readFileSync(path.join(base, `.hoodie/${c}.clean`)), 'meta');
    expect(meta).toMatchObject({ totalFilesDeleted: 2, earliestCommitToRetain: instants[3] });
    expect(meta.partitionMetadata['']!.successDeleteFiles).toHaveLength(2);
    expect(fs.existsSync(path.join(base, `.hoodie/${c}.clean.inflight`))).toBe(true);
    expect((await tm.clean(base, { retainCommits: 2 })).cleanInstant).toBeUndefined();
  });

  it('a savepoint keeps its files through cleaning and stays readable; restore returns to it', async () => {
    const { base, instants } = await history('saved', 3);
    expect(await main(['savepoint', base, instants[1]!, '--comment', 'before the migration'], { stdout: () => undefined, stderr: () => undefined })).toBe(0);
    const sp = decodeSavepointMetadata(fs.readFileSync(path.join(base, `.hoodie/${instants[1]}.savepoint`)), 'sp');
    expect(sp.comments).toBe('before the migration');
    expect(sp.partitionMetadata['']!.savepointDataFile).toEqual([parquet(base).find((f) => f.includes(instants[1]!))]);
    for (let i = 4; i <= 6; i++) await tm.upsert(base, { rows: [{ id: 1, ts: i, v: `v${i}` }] });
    await tm.clean(base, { retainCommits: 1 });
    expect(parquet(base).some((f) => f.includes(instants[1]!))).toBe(true);
    expect(await value(base, instants[1])).toBe('v2');
    await expect(tm.read(base, { asOf: instants[0] })).rejects.toBeInstanceOf(InvalidInstantError);
    await expect(tm.restore(base, instants[2]!)).rejects.toThrow(/no savepoint at/);
    const restored = await tm.restore(base, instants[1]!);
    expect(restored.rolledBack).toHaveLength(4);
    expect(await value(base)).toBe('v2');
    const meta = decodeRestoreMetadata(fs.readFileSync(path.join(base, `.hoodie/${restored.restoreInstant}.restore`)), 'restore');
    expect(meta.instantsToRollback).toEqual(restored.rolledBack);
    expect(Object.keys(meta.hoodieRestoreMetadata).sort()).toEqual([...restored.rolledBack].sort());
    expect((await tm.commits(base)).filter((c) => c.action === 'commit' && c.state === 'COMPLETED').map((c) => c.time)).toEqual(instants.slice(0, 2));
    const after = await tm.upsert(base, { rows: [{ id: 1, ts: 9, v: 'v9' }] });
    expect(after.instant! > restored.restoreInstant).toBe(true);
    expect(await value(base)).toBe('v9');
  });

  it('tables can clean themselves after every write', async () => {
    const { base } = await history('auto', 6, { cleanAutomatic: true, commitsRetained: 2 });
    expect(parquet(base)).toHaveLength(3);
    expect((await tm.commits(base)).filter((c) => c.action === 'clean' && c.state === 'COMPLETED').length).toBeGreaterThan(0);
  });

  it('a clean a crash interrupted is finished by the next writer', async () => {
    const { base, instants } = await history('interrupted', 3);
    const doomed = path.join(base, parquet(base).find((f) => f.includes(instants[0]!))!);
    const plan = {
      earliestInstantToRetain: { timestamp: instants[2]!, action: 'commit', state: 'COMPLETED' },
      lastCompletedCommitTimestamp: instants[2]!,
      policy: 'KEEP_LATEST_COMMITS',
      filesToBeDeletedPerPartition: null,
      version: 2,
      filePathsToBeDeletedPerPartition: { '': [{ filePath: doomed, isBootstrapBaseFile: false }] },
      partitionsToBeDeleted: [],
      extraMetadata: null,
    };
    const c = '29990101000000000';
    fs.writeFileSync(path.join(base, `.hoodie/${c}.clean.requested`), encodeCleanerPlan(plan));
    fs.writeFileSync(path.join(base, `.hoodie/${c}.clean.inflight`), encodeCleanerPlan(plan));
    // The clean's instant lies in the future: the write's instant must still come after it.
    const r = await tm.upsert(base, { rows: [{ id: 2, ts: 1, v: 'x' }] });
    expect(r.instant! > c).toBe(true);
    expect(fs.existsSync(doomed)).toBe(false);
    expect(fs.existsSync(path.join(base, `.hoodie/${c}.clean`))).toBe(true);
  });
});
