/** Timeline archiving: Hudi's rules for what leaves `.hoodie/`, the archive file, and reading it back. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { archiveTimeline } from '../../src/engine/services/archive.ts';
import { readArchivedTimeline } from '../../src/engine/load/archived-timeline.ts';
import { loadTable } from '../../src/engine/load/table-state.ts';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import type { FileStore } from '../../src/storage/file-store.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import { formatInstantTime, parseInstantTime } from '../../src/time/clock.ts';
import { parseBaseFilePath } from '../../src/table/base-file.ts';
import { fileSlicesAsOf } from '../../src/table/file-slice.ts';
import { ARCHIVED_META_ENTRY_SCHEMA_JSON, fromArchivedEntry } from '../../src/timeline/archived-entry.ts';
import { type CommitMetadata, parseCommitMetadata } from '../../src/timeline/commit-metadata.ts';
import { type AvroDataBlock, decodeLogBlocks } from '../../src/timeline/log-format.ts';
import { tableOptions } from '../support/table-options.ts';

const store = new LocalFileStore();
const ctx = { store };
const ARCHIVE = '.hoodie/archived/.commits_.archive.1_1-0-1';
const hoodie = (base: string): string[] => fs.readdirSync(path.join(base, '.hoodie')).filter((n) => /^\d/.test(n)).sort();
const filesOf = (base: string, time: string): string[] => hoodie(base).filter((n) => n.startsWith(`${time}.`));
/** An instant time 1 ms after `time`. */
const justAfter = (time: string): string => formatInstantTime(parseInstantTime(time)!.plus({ milliseconds: 1 }));

describe('archiveTimeline', () => {
  let tm: Tidemark;
  let root: string;
  let template: string;
  let instants: string[];
  let metadata: Map<string, CommitMetadata>;

  useEngine('archive', (e) => ({ tm, dir: root } = e));
  beforeAll(async () => {
    template = path.join(root, 'template');
    instants = [];
    // Two partitions, a few keys: every commit rewrites one file group and leaves the others.
    for (let i = 1; i <= 35; i++) {
      const r = await tm.upsert(template, { rows: [{ id: i % 4, region: i % 2 === 0 ? 'eu' : 'us', ts: i, v: `v${i}` }] }, {
        create: tableOptions('archived', { partitionFields: ['region'], keepMaxCommits: 1000 }), // archived by hand below, not by the writes
      });
      instants.push(r.instant!);
    }
    metadata = new Map(instants.map((t) => [t, parseCommitMetadata(fs.readFileSync(path.join(template, `.hoodie/${t}.commit`), 'utf8'), t)]));
  });

  let copies = 0;
  const copy = (): string => {
    const base = path.join(root, `t${++copies}`);
    fs.cpSync(template, base, { recursive: true });
    return base;
  };

  it('keeps 20 of 35 commits active, archives 15 with their metadata, and a second run archives nothing', async () => {
    const base = copy();
    const result = await archiveTimeline(ctx, await loadTable(store, base));
    expect(result.archived).toEqual(instants.slice(0, 15));
    expect(result.file).toBe(path.join(base, ARCHIVE));

    const active = await loadTable(store, base);
    expect(active.activeTimeline.completedWrites().map((i) => i.time)).toEqual(instants.slice(15));
    // The loaded table still counts the archived commits as part of its history.
    expect(active.timeline.completedWrites().map((i) => i.time)).toEqual(instants);
    for (const t of instants.slice(0, 15)) expect(filesOf(base, t)).toEqual([]);
    expect(filesOf(base, instants[15]!)).toEqual([`${instants[15]}.commit`, `${instants[15]}.commit.requested`, `${instants[15]}.inflight`]);

    // One Avro data block with only a SCHEMA header, one HoodieArchivedMetaEntry per instant file.
    const blocks = decodeLogBlocks(fs.readFileSync(path.join(base, ARCHIVE)), ARCHIVE);
    expect(blocks).toHaveLength(1);
    const block = blocks[0] as AvroDataBlock;
    expect([...block.header.keys()]).toEqual(['SCHEMA']);
    expect(JSON.parse(block.schema)).toMatchObject({ name: 'HoodieArchivedMetaEntry', namespace: 'org.apache.hudi.avro.model' });
    expect(block.schema).toBe(ARCHIVED_META_ENTRY_SCHEMA_JSON);
    expect(block.records).toHaveLength(45);
    expect(block.records[2]).toMatchObject({
      commitTime: instants[0],
      actionType: 'commit',
      actionState: 'COMPLETED',
      stateTransitionTime: expect.stringMatching(/^\d{17}$/),
      hoodieCommitMetadata: { operationType: 'UPSERT', extraMetadata: { ROLLING_STAT: '' }, version: null },
    });

    const archived = await readArchivedTimeline(store, base);
    const commits = archived.filter((a) => a.state === 'COMPLETED');
    expect(commits.map((a) => [a.time, a.action])).toEqual(instants.slice(0, 15).map((t) => [t, 'commit']));
    for (const a of commits) expect(a.commitMetadata).toEqual(metadata.get(a.time));
    expect(archived.filter((a) => a.state === 'REQUESTED').every((a) => a.commitMetadata === undefined)).toBe(true);
    // The inflight entry holds the plan: one stat per target file group.
    expect(archived.find((a) => a.state === 'INFLIGHT')!.commitMetadata!.partitionToWriteStats).not.toEqual({});
    // Entries convert back to the files they came from.
    const back = fromArchivedEntry(commits[3]!.entry, ARCHIVE);
    expect(back.instant).toEqual({ time: instants[3], action: 'commit', state: 'COMPLETED' });
    expect(parseCommitMetadata(new TextDecoder().decode(back.content), 'back')).toEqual(metadata.get(instants[3]!));

    const size = fs.statSync(path.join(base, ARCHIVE)).size;
    expect(await archiveTimeline(ctx, await loadTable(store, base))).toEqual({ archived: [], file: undefined });
    expect(fs.statSync(path.join(base, ARCHIVE)).size).toBe(size);
    expect((await tm.read(base, { columns: ['id', 'v'] })).sort((a, b) => Number(a.id) - Number(b.id)).map((r) => r.v)).toEqual(['v32', 'v33', 'v34', 'v35']);
  });

  it('never archives past a pending instant: the last completed commit before it stays too', async () => {
    const base = copy();
    // A dead writer's instant between the 11th and the 12th commit.
    const pending = justAfter(instants[10]!);
    expect(pending > instants[10]! && pending < instants[11]!).toBe(true);
    fs.writeFileSync(path.join(base, `.hoodie/${pending}.commit.requested`), '');
    fs.writeFileSync(path.join(base, `.hoodie/${pending}.inflight`), '{}');
    const result = await archiveTimeline(ctx, await loadTable(store, base));
    expect(result.archived).toEqual(instants.slice(0, 10));
    expect(filesOf(base, pending)).toEqual([`${pending}.commit.requested`, `${pending}.inflight`]);
    expect(filesOf(base, instants[10]!)).toHaveLength(3);
  });

  it('never archives a savepointed commit or anything after it, and keeps the savepoint', async () => {
    const base = copy();
    await tm.savepoint(base, instants[5]!);
    const result = await archiveTimeline(ctx, await loadTable(store, base));
    expect(result.archived).toEqual(instants.slice(0, 5));
    expect(filesOf(base, instants[5]!)).toEqual([
      `${instants[5]}.commit`,
      `${instants[5]}.commit.requested`,
      `${instants[5]}.inflight`,
      `${instants[5]}.savepoint`,
      `${instants[5]}.savepoint.inflight`,
    ]);
  });

  it("stops at the cleaner's earliest retained commit; older rollbacks go with the commits, the latest clean stays", async () => {
    const base = copy();
    const extra = await tm.upsert(base, { rows: [{ id: 9, region: 'eu', ts: 1, v: 'x' }] });
    const rollback = await tm.rollback(base, extra.instant!);
    // Rolled back after commit 35: only archived once a later archive passes it, so move it earlier.
    const early = justAfter(instants[2]!);
    expect(early < instants[3]!).toBe(true);
    for (const n of filesOf(base, rollback.rollbackInstant)) {
      fs.renameSync(path.join(base, '.hoodie', n), path.join(base, '.hoodie', n.replace(rollback.rollbackInstant, early)));
    }
    const clean = await tm.clean(base, { retainCommits: 25 });
    expect(clean.earliestCommitToRetain).toBe(instants[10]);
    const result = await archiveTimeline(ctx, await loadTable(store, base));
    expect(result.archived).toEqual([...instants.slice(0, 3), early, ...instants.slice(3, 10)]);
    expect(filesOf(base, early)).toEqual([]);
    expect(filesOf(base, clean.cleanInstant!)).toHaveLength(3);
    const rb = (await readArchivedTimeline(store, base)).filter((a) => a.action === 'rollback');
    expect(rb.map((a) => a.state)).toEqual(['REQUESTED', 'INFLIGHT', 'COMPLETED']);
    expect(rb[2]!.entry.hoodieRollbackMetadata).toMatchObject({ commitsRollback: [extra.instant] });
    expect(rb[0]!.entry.hoodieRollbackMetadata).toBeNull();
  });

  it('a crash between appending and deleting leaves both copies; the next run only deletes', async () => {
    const base = copy();
    let removals = 0;
    const crashing: FileStore = Object.assign(Object.create(store) as FileStore, {
      remove: async (p: string) => {
        if (++removals > 7) throw new Error('power cut');
        await store.remove(p);
      },
    });
    await expect(archiveTimeline({ store: crashing }, await loadTable(store, base))).rejects.toThrow('power cut');
    expect((await readArchivedTimeline(store, base)).filter((a) => a.state === 'COMPLETED')).toHaveLength(15);
    expect((await loadTable(store, base)).activeTimeline.completedWrites().length).toBe(35);

    const again = await archiveTimeline(ctx, await loadTable(store, base));
    expect(again).toEqual({ archived: instants.slice(0, 15), file: undefined });
    expect(hoodie(base).filter((n) => instants.slice(0, 15).some((t) => n.startsWith(t)))).toEqual([]);
    const [block] = decodeLogBlocks(fs.readFileSync(path.join(base, ARCHIVE)), ARCHIVE) as AvroDataBlock[];
    expect(block!.records).toHaveLength(45);
  });

  it('appends blocks to the latest archive file and rolls over past the size limit', async () => {
    const base = copy();
    await archiveTimeline(ctx, await loadTable(store, base), { minCommits: 30, maxCommits: 32 });
    await archiveTimeline(ctx, await loadTable(store, base), { minCommits: 25, maxCommits: 29 });
    expect(decodeLogBlocks(fs.readFileSync(path.join(base, ARCHIVE)), ARCHIVE)).toHaveLength(2);
    const second = await archiveTimeline(ctx, await loadTable(store, base), { minCommits: 20, maxCommits: 24, rolloverBytes: 1 });
    expect(second.file).toBe(path.join(base, '.hoodie/archived/.commits_.archive.2_1-0-1'));
    const archived = (await readArchivedTimeline(store, base)).filter((a) => a.state === 'COMPLETED');
    expect(archived.map((a) => a.time)).toEqual(instants.slice(0, 15));
    expect(new Set(archived.map((a) => path.basename(a.file)))).toEqual(new Set(['.commits_.archive.1_1-0-1', '.commits_.archive.2_1-0-1']));
    await expect(archiveTimeline(ctx, await loadTable(store, base), { minCommits: 5, maxCommits: 5 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('the archived metadata names the files readers still need (the recipe for wiring readers)', async () => {
    const base = path.join(root, 'untouched');
    const create = tableOptions('untouched', { partitionFields: ['region'], keepMaxCommits: 1000 });
    const first = (await tm.upsert(base, { rows: [{ id: 1, region: 'a', ts: 1, v: 'kept' }] }, { create })).instant!;
    for (let i = 2; i <= 6; i++) await tm.upsert(base, { rows: [{ id: 2, region: 'b', ts: i, v: `b${i}` }] });
    expect((await archiveTimeline(ctx, await loadTable(store, base), { minCommits: 2, maxCommits: 3 })).archived).toContain(first);
    const state = await loadTable(store, base);
    // Partition a was last written by an archived commit: only the archive still names its file.
    const archived = (await readArchivedTimeline(store, base)).filter((a) => a.state === 'COMPLETED' && a.commitMetadata !== undefined);
    const archivedFiles = archived.flatMap((a) => Object.values(a.commitMetadata!.partitionToWriteStats).flat().map((s) => parseBaseFilePath(s.path!)!));
    const writes = state.activeTimeline.completedWrites();
    const slices = fileSlicesAsOf([...archivedFiles, ...state.files], {
      completed: new Set(writes.map((w) => w.time)),
      replacements: state.replacements,
      firstActiveInstant: writes[0]!.time,
    });
    expect(slices.map((s) => [s.partitionPath, s.baseFile.instant])).toEqual([
      ['a', first],
      ['b', writes.at(-1)!.time],
    ]);
  });
});

