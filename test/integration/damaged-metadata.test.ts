/**
 * Damaged timeline metadata is an error naming the file, never a quietly older or smaller table: an
 * empty completed commit, and an archive file that is missing, empty, cut short or absent from its
 * sequence. Reads and writes both refuse, and nothing is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { TableFormatError } from '../../src/errors.ts';
import { useEngine } from '../support/engine.ts';
import { treeFingerprint } from '../support/tree.ts';
import { tableOptions } from '../support/table-options.ts';

const ARCHIVE = '.hoodie/archived/.commits_.archive.1_1-0-1';

describe('damaged timeline metadata', () => {
  let tm: Tidemark;
  let root: string;
  let archivedTemplate: string;
  useEngine('damaged', (e) => ({ tm, dir: root } = e));

  let copies = 0;
  const copy = (from: string): string => {
    const base = path.join(root, `t${++copies}`);
    fs.cpSync(from, base, { recursive: true });
    return base;
  };
  /** Both a read and an upsert fail with a TableFormatError whose message contains `names`; nothing changes on disk. */
  const refused = async (base: string, names: string): Promise<void> => {
    const before = treeFingerprint(base);
    for (const attempt of [() => tm.read(base), () => tm.upsert(base, { rows: [{ id: 99, ts: 99, p: 'hot', v: 'x' }] })]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TableFormatError);
      expect((error as TableFormatError).message).toContain(names);
      expect((error as TableFormatError).table).toBe(base);
    }
    expect(treeFingerprint(base)).toEqual(before);
  };

  beforeAll(async () => {
    // Partition `cold` is written once, by the first commit; `hot` by every commit (each rewrites its file group).
    archivedTemplate = path.join(root, 'archived');
    const create = tableOptions('a', { partitionFields: ['p'], commitsRetained: 1, keepMinCommits: 2, keepMaxCommits: 3 });
    await tm.upsert(archivedTemplate, { rows: [{ id: 0, ts: 0, p: 'cold', v: 'kept' }, { id: 1, ts: 0, p: 'hot', v: 'v0' }] }, { create });
    for (let i = 2; i <= 8; i++) await tm.upsert(archivedTemplate, { rows: [{ id: i, ts: i, p: 'hot', v: `v${i}` }] });
    expect(fs.statSync(path.join(archivedTemplate, ARCHIVE)).size).toBeGreaterThan(0);
    expect((await tm.read(archivedTemplate)).length).toBe(9);
  });

  it('an empty latest completed commit is named; the table is not read as its previous state', async () => {
    const base = copy(archivedTemplate);
    const latest = fs.readdirSync(path.join(base, '.hoodie')).filter((n) => /^\d+\.commit$/.test(n)).sort().at(-1)!;
    const file = path.join(base, '.hoodie', latest);
    const before = (await tm.read(archivedTemplate)).length; // not `base`: its state would stay cached (the file names do not change)
    fs.writeFileSync(file, '');
    await refused(base, file);
    // As the error says: deleting it leaves a pending commit, which the next write rolls back.
    fs.rmSync(file);
    await tm.upsert(base, { rows: [{ id: 99, ts: 99, p: 'hot', v: 'x' }] });
    expect((await tm.read(base)).length).toBe(before); // the latest commit (a new key) undone, one key added
  });

  it('an empty completed clean or rollback is named too (their Avro metadata is never empty)', async () => {
    const base = copy(archivedTemplate);
    const file = path.join(base, '.hoodie/20200101000000000.rollback');
    fs.writeFileSync(file, '');
    await refused(base, file);
  });

  it('a deleted archive is detected from the active commits that build on archived ones', async () => {
    const base = copy(archivedTemplate);
    fs.rmSync(path.join(base, ARCHIVE));
    await refused(base, 'archived commits are missing');
  });

  it('an empty archive file is named', async () => {
    const base = copy(archivedTemplate);
    fs.truncateSync(path.join(base, ARCHIVE), 0);
    await refused(base, `${path.join(base, ARCHIVE)} is empty`);
  });

  it('an archive file cut short is named', async () => {
    const base = copy(archivedTemplate);
    const file = path.join(base, ARCHIVE);
    fs.truncateSync(file, fs.statSync(file).size - 10);
    await refused(base, file);
  });

  it('a gap in the archive files is named', async () => {
    const base = copy(archivedTemplate);
    fs.renameSync(path.join(base, ARCHIVE), path.join(base, '.hoodie/archived/.commits_.archive.2_1-0-1'));
    await refused(base, `${path.join(base, ARCHIVE)} is missing`);
  });
});
