/**
 * Partition values are data, never paths: `..`, `.`, `.hoodie` and their kin are written inside the
 * table (dots escaped as `%2E`) and read back as written; rollback and clean never touch anything
 * outside the table, even when timeline metadata names such a path; a first write that fails leaves
 * no table; thousands of partitions are written in one commit with few files open at once; a killed writer's temporary files are
 * removed by the next writer; the default partition is pruned as the unpruned scan reads it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tidemark } from '../../src/engine/tidemark.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import { encodeCleanerPlan } from '../../src/timeline/avro-instants.ts';
import { useEngine } from '../support/engine.ts';
import { treeFingerprint } from '../support/tree.ts';
import { tableOptions } from '../support/table-options.ts';

const VALUES = ['..', '.', '.hoodie', '../x', 'a/../..', '.hidden', '...', './.', 'plain'];

/** Every file under `root`, except those under `skip`: what a write must not change. */
function outside(root: string, skip: string): string[] {
  const rel = path.relative(root, skip);
  return treeFingerprint(root).filter((line) => !(line.startsWith(`${rel}/`) || line.startsWith(`${rel} `)));
}

/** Relative paths of every file under `dir`. */
function files(dir: string): string[] {
  return treeFingerprint(dir).map((line) => line.slice(0, line.indexOf(' ')));
}

describe('partition values that spell paths', () => {
  let tm: Tidemark;
  let root: string;
  useEngine('pescape', (e) => {
    tm = e.tm;
    root = e.dir;
  });

  for (const hiveStyle of [false, true]) {
    describe(hiveStyle ? 'hive-style' : 'plain', () => {
      let base: string;
      let before: string[];
      let instants: string[];
      const rows = (round: number) => [
        ...VALUES.map((v, i) => ({ id: i, ts: round, p1: v, p2: v, v: `${v}@${round}` })),
        { id: 100, ts: round, p1: '..', p2: '.hoodie', v: `mixed@${round}` },
      ];
      beforeAll(async () => {
        base = path.join(root, hiveStyle ? 'hive' : 'plain', 'wh', 't');
        fs.mkdirSync(path.dirname(base), { recursive: true });
        fs.writeFileSync(path.join(root, 'victim.txt'), 'keep');
        before = outside(root, base);
        const create = tableOptions('t', { partitionFields: ['p1', 'p2'], hiveStylePartitioning: hiveStyle });
        instants = [];
        for (let round = 1; round <= 3; round++) instants.push((await tm.upsert(base, { rows: rows(round) }, round === 1 ? { create } : {})).instant!);
      });

      it('writes every file inside the table, data files outside .hoodie', () => {
        expect(outside(root, base)).toEqual(before);
        const all = files(base);
        const data = all.filter((f) => f.endsWith('.parquet') || f.endsWith('.hoodie_partition_metadata'));
        expect(data.length).toBeGreaterThan(0);
        for (const f of data) expect(f.startsWith('.hoodie/'), f).toBe(false);
        for (const f of data) expect(f.split('/').every((level) => level !== '..' && level !== '.'), f).toBe(true);
        if (!hiveStyle) expect(fs.existsSync(path.join(base, '%2E%2E', '%2E%2E'))).toBe(true);
      });

      it('reads every value back as written, with and without pruning', async () => {
        const all = await tm.read(base, { columns: ['id', 'p1', 'p2', 'v'] });
        expect(all.map((r) => [r.p1, r.p2, r.v]).sort()).toEqual(rows(3).map((r) => [r.p1, r.p2, r.v]).sort());
        for (const value of VALUES) {
          const literal = `'${value.replaceAll("'", "''")}'`;
          const pruned = await tm.read(base, { columns: ['id'], where: `p1 = ${literal}` });
          const expected = rows(3).filter((r) => r.p1 === value).map((r) => r.id);
          expect(pruned.map((r) => Number(r.id)).sort(), value).toEqual(expected.sort());
        }
      });

      it('clean and rollback touch nothing outside the table', async () => {
        const cleaned = await tm.clean(base, { retainCommits: 1 });
        expect(cleaned.filesDeleted.length).toBeGreaterThan(0);
        for (const f of cleaned.filesDeleted) expect(path.relative(base, f).split(path.sep)[0], f).not.toBe('..');
        expect(outside(root, base)).toEqual(before);
        const rolled = await tm.rollback(base, instants[2]!);
        expect(rolled.filesDeleted.length).toBeGreaterThan(0);
        for (const f of rolled.filesDeleted) expect(path.relative(base, f).split(path.sep)[0], f).not.toBe('..');
        expect(outside(root, base)).toEqual(before);
        const after = await tm.read(base, { columns: ['p1', 'p2', 'v'] });
        expect(after.map((r) => [r.p1, r.p2, r.v]).sort()).toEqual(rows(2).map((r) => [r.p1, r.p2, r.v]).sort());
      });
    });
  }

  it('a table without URL encoding refuses values that are not plain directory names, and leaves no table', async () => {
    const base = path.join(root, 'noenc', 't');
    const create = tableOptions('t', { partitionFields: ['p'], urlEncodePartitions: false });
    for (const p of ['..', '.', '.hoodie', '../x', 'a/../..', '.hidden']) {
      const error = await tm.upsert(base, { rows: [{ id: 1, ts: 1, p }] }, { create }).catch((e: unknown) => e);
      expect(error, p).toMatchObject({ code: 'INVALID_INPUT' });
      expect((error as Error).message).toContain(JSON.stringify(p));
      expect((error as Error).message).toContain('urlencode=false');
      expect(fs.existsSync(base), p).toBe(false);
    }
    expect(fs.existsSync(path.join(root, 'noenc', 'x'))).toBe(false);
    // Ordinary values (a `/` makes levels, as Hudi does without encoding) are still written.
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, p: '2024/01/01' }] }, { create });
    expect(fs.existsSync(path.join(base, '2024', '01', '01', '.hoodie_partition_metadata'))).toBe(true);
  });

  describe('timeline metadata naming a path outside the table', () => {
    let base: string;
    let victim: string;
    let commitFile: string;
    beforeAll(async () => {
      base = path.join(root, 'crafted', 'wh', 't');
      const create = tableOptions('t', { partitionFields: ['p'] });
      const { instant } = await tm.upsert(base, { rows: [{ id: 1, ts: 1, p: 'a' }] }, { create });
      commitFile = path.join(base, '.hoodie', `${instant!}.commit`);
      // A file outside the table, named like a base file of the commit.
      victim = path.join(root, 'crafted', `00000000-0000-0000-0000-000000000000-0_0-0-0_${instant!}.parquet`);
      fs.writeFileSync(victim, 'not the table');
    });

    it('a write stat path ../../evil makes rollback refuse, deleting nothing', async () => {
      const original = fs.readFileSync(commitFile, 'utf8');
      const metadata = JSON.parse(original) as { partitionToWriteStats: Record<string, Array<Record<string, unknown>>> };
      const stat = metadata.partitionToWriteStats.a![0]!;
      metadata.partitionToWriteStats.a!.push({ ...stat, path: `../../${path.basename(victim)}` });
      fs.writeFileSync(commitFile, JSON.stringify(metadata));
      const tree = treeFingerprint(path.join(root, 'crafted'));
      await expect(tm.rollback(base, path.basename(commitFile, '.commit'))).rejects.toMatchObject({ code: 'TABLE_FORMAT', message: expect.stringContaining('outside table') });
      expect(fs.readFileSync(victim, 'utf8')).toBe('not the table');
      expect(treeFingerprint(path.join(root, 'crafted'))).toEqual(tree);
      fs.writeFileSync(commitFile, original);
    });

    it('a partition ../.. makes rollback refuse, deleting nothing', async () => {
      const original = fs.readFileSync(commitFile, 'utf8');
      const metadata = JSON.parse(original) as { partitionToWriteStats: Record<string, unknown[]> };
      metadata.partitionToWriteStats['../..'] = [];
      fs.writeFileSync(commitFile, JSON.stringify(metadata));
      const tree = treeFingerprint(path.join(root, 'crafted'));
      await expect(tm.rollback(base, path.basename(commitFile, '.commit'))).rejects.toMatchObject({ code: 'TABLE_FORMAT' });
      expect(fs.existsSync(victim)).toBe(true);
      expect(treeFingerprint(path.join(root, 'crafted'))).toEqual(tree);
      fs.writeFileSync(commitFile, original);
    });

    it('a pending clean whose plan names a file outside the table is refused by the next writer', async () => {
      const meta = path.join(base, '.hoodie');
      const c = '29991231235959999';
      const plan = encodeCleanerPlan({
        earliestInstantToRetain: null,
        lastCompletedCommitTimestamp: path.basename(commitFile, '.commit'),
        policy: 'KEEP_LATEST_COMMITS',
        filesToBeDeletedPerPartition: null,
        version: 2,
        filePathsToBeDeletedPerPartition: { a: [{ filePath: victim, isBootstrapBaseFile: false }] },
        partitionsToBeDeleted: [],
        extraMetadata: null,
      });
      fs.writeFileSync(path.join(meta, `${c}.clean.requested`), plan);
      fs.writeFileSync(path.join(meta, `${c}.clean.inflight`), plan);
      await expect(tm.upsert(base, { rows: [{ id: 2, ts: 1, p: 'a' }] })).rejects.toMatchObject({ code: 'TABLE_FORMAT', message: expect.stringContaining('outside table') });
      expect(fs.readFileSync(victim, 'utf8')).toBe('not the table');
      fs.rmSync(path.join(meta, `${c}.clean.requested`));
      fs.rmSync(path.join(meta, `${c}.clean.inflight`));
    });

    it('with the metadata intact, rollback deletes only the table\'s files', async () => {
      await tm.rollback(base, path.basename(commitFile, '.commit'));
      expect(fs.existsSync(victim)).toBe(true);
      expect(await tm.read(base)).toEqual([]);
    });
  });

  describe('a first write that fails leaves no table', () => {
    it('a 300-byte value: refused up front, naming the value, the column, the table and the file', async () => {
      const base = path.join(root, 'long', 't');
      fs.mkdirSync(path.dirname(base));
      const file = path.join(root, 'long', 'in.json');
      const long = 'x'.repeat(300);
      fs.writeFileSync(file, JSON.stringify([{ id: 1, ts: 1, p: 'ok' }, { id: 2, ts: 1, p: long }]));
      const create = tableOptions('longp', { partitionFields: ['p'] });
      const error = (await tm.upsert(base, { file }, { create }).catch((e: unknown) => e)) as Error & { code: string; file?: string };
      expect(error.code).toBe('INVALID_INPUT');
      for (const part of [long, 'partition column p', 'longp', '300 bytes']) expect(error.message).toContain(part);
      expect(error.message).toContain(file);
      expect(fs.existsSync(base)).toBe(false);
      expect(fs.readdirSync(path.join(root, 'long'))).toEqual(['in.json']);
    });

    it('a failure while writing the files', async () => {
      class FailingStore extends LocalFileStore {
        override async rename(from: string, to: string): Promise<void> {
          if (to.endsWith('.parquet')) throw new Error('disk on fire');
          return super.rename(from, to);
        }
      }
      const failing = await Tidemark.open({ store: new FailingStore() });
      try {
        const base = path.join(root, 'forced', 't');
        const create = tableOptions('t', { partitionFields: ['p'] });
        await expect(failing.upsert(base, { rows: [{ id: 1, ts: 1, p: 'a' }, { id: 2, ts: 1, p: 'b' }] }, { create })).rejects.toThrow('disk on fire');
        expect(fs.existsSync(base)).toBe(false);
        // An existing empty directory stays, and stays empty.
        fs.mkdirSync(base, { recursive: true });
        await expect(failing.upsert(base, { rows: [{ id: 1, ts: 1, p: 'a' }] }, { create })).rejects.toThrow('disk on fire');
        expect(fs.readdirSync(base).filter((n) => n !== '.hoodie')).toEqual([]);
        expect(files(base)).toEqual([]);
      } finally {
        failing.close();
      }
    });
  });

  // 1,500, not 10,000: DuckDB spends ~10-20 ms per Parquet file (10,000 took minutes on two busy
  // cores). What broke at 10,000 was opening every marker and partition metadata file at once (EMFILE):
  // the open descriptors are sampled, and must stay far below one per partition.
  it('1,500 partitions in one commit, with a bounded number of open files', async () => {
    const base = path.join(root, 'many', 't');
    const create = tableOptions('t', { partitionFields: ['p'] });
    const rows = Array.from({ length: 1_500 }, (_, i) => ({ id: i, ts: 1, p: `p${i}` }));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, fs.readdirSync('/proc/self/fd').length)), 2);
    try {
      const result = await tm.upsert(base, { rows }, { create });
      expect(result.filesWritten).toBe(1_500);
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeLessThan(500);
    expect((await tm.read(base, { columns: ['id'], where: "p = 'p1499'" })).map((r) => Number(r.id))).toEqual([1499]);
    expect(fs.readdirSync(path.join(base, '.hoodie', '.temp'))).toEqual([]);
  }, 300_000);

  it('the next writer removes temporary files a killed writer left in .hoodie', async () => {
    const base = path.join(root, 'tmp', 't');
    const create = tableOptions('t');
    const { instant } = await tm.upsert(base, { rows: [{ id: 1, ts: 1 }] }, { create });
    const meta = path.join(base, '.hoodie');
    // A writer killed while publishing T (its requested and inflight files stay) and one killed
    // while writing the archive; and files that only look like temporary files.
    const t = String(BigInt(instant!) + 1n);
    fs.writeFileSync(path.join(meta, `${t}.commit.requested`), '');
    fs.writeFileSync(path.join(meta, `${t}.inflight`), '');
    const dead = [
      path.join(meta, `.${t}.commit.0b6b3c6e-5c1f-4f39-9a7e-1f2d3c4b5a69.tmp`),
      path.join(meta, `.${instant!}.commit.11111111-2222-4333-8444-555555555555.tmp`),
      path.join(meta, 'archived', '.commits_.archive.1_1-0-1.aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee.tmp'),
    ];
    const alien = [path.join(meta, 'notes.tmp'), path.join(meta, `.${t}.commit.not-a-uuid.tmp`)];
    const old = new Date(Date.now() - 60_000);
    for (const f of [...dead, ...alien]) {
      fs.writeFileSync(f, 'partial');
      fs.utimesSync(f, old, old);
    }
    await tm.upsert(base, { rows: [{ id: 2, ts: 1 }] });
    for (const f of dead) expect(fs.existsSync(f), f).toBe(false);
    for (const f of alien) expect(fs.existsSync(f), f).toBe(true);
    expect(fs.existsSync(path.join(meta, `${t}.inflight`))).toBe(false);
    expect((await tm.read(base, { columns: ['id'] })).map((r) => Number(r.id)).sort()).toEqual([1, 2]);
  });

  it('the default partition is pruned as the unpruned scan reads it', async () => {
    const base = path.join(root, 'empty', 't');
    const create = tableOptions('t', { partitionFields: ['p'] });
    const rows = [
      { id: 1, ts: 1, p: '' },
      { id: 2, ts: 1, p: null },
      { id: 3, ts: 1, p: '__HIVE_DEFAULT_PARTITION__' },
      { id: 4, ts: 1, p: 'a' },
    ];
    await tm.upsert(base, { rows }, { create });
    for (const where of ["p = ''", 'p IS NULL', "p = '__HIVE_DEFAULT_PARTITION__'", 'p IS NOT NULL', "p <> 'a'", "coalesce(p, 'n') = 'n'", "p = 'a'"]) {
      const pruned = await tm.read(base, { columns: ['id'], where });
      // A term naming a non-partition column is never used for pruning: the unpruned read.
      const unpruned = await tm.read(base, { columns: ['id'], where: `(${where}) OR id IS NULL` });
      expect(pruned.map((r) => Number(r.id)).sort(), where).toEqual(unpruned.map((r) => Number(r.id)).sort());
      expect(unpruned.length, where).toBeGreaterThan(0);
    }
  });
});
