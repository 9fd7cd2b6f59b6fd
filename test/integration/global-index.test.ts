/**
 * The global index (#23): with `globalIndex`, a record key is unique across partitions — an upsert
 * whose partition value changed deletes the old copy and writes the new one in the same commit
 * (an incremental read of that commit shows the record in its new partition), and an incoming
 * record older than the copy in another partition is skipped. Without it (Hudi's default), the key
 * is stored in both partitions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { definePipeline, validatePipeline } from '../../src/pipeline/definition.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { TidemarkSession } from '../../src/session.ts';
import { useEngine } from '../support/engine.ts';

const create = { name: 'events', recordKeyFields: ['id'], precombineField: 'ts', partitionFields: ['day'] };

describe('an upsert whose partition value changed', () => {
  let tm: Tidemark;
  let dir: string;
  useEngine('global-index', (e) => ({ tm, dir } = e));
  const rows = async (base: string, options = {}): Promise<string[]> =>
    (await tm.read(base, { columns: ['id', 'day', 'v', '_hoodie_partition_path'], ...options })).map((r) => `${String(r.id)}@${String(r.day)}=${String(r.v)}`).sort();

  it('with the global index moves the record: one copy, in its new partition, in one commit', async () => {
    const base = path.join(dir, 'global');
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, day: 'd1', v: 'a' }, { id: 2, ts: 1, day: 'd1', v: 'b' }, { id: 3, ts: 5, day: 'd1', v: 'c' }] }, { create });
    const before = (await tm.table(base)).timeline.latestCompletedWrite()!.time;
    const moved = await tm.upsert(base, { rows: [{ id: 1, ts: 2, day: 'd2', v: 'a2' }, { id: 3, ts: 4, day: 'd2', v: 'late' }, { id: 4, ts: 1, day: 'd2', v: 'd' }] }, { globalIndex: true });
    expect(moved.moved).toBe(1);
    expect(moved.skippedAsOlder).toBe(1); // id 3: the copy in d1 is newer
    expect(await rows(base)).toEqual(['1@d2=a2', '2@d1=b', '3@d1=c', '4@d2=d']);
    // The commit holds the move: the incremental read of it shows the record in its new partition.
    expect(await rows(base, { since: before })).toEqual(['1@d2=a2', '4@d2=d']);
    expect((await tm.table(base)).timeline.completedWrites().length).toBe(2);
    // Two versions of a key in one batch, in two partitions: the later one wins, alone.
    await tm.upsert(base, { rows: [{ id: 2, ts: 2, day: 'd3', v: 'b2' }, { id: 2, ts: 3, day: 'd4', v: 'b3' }] }, { globalIndex: true });
    expect(await rows(base)).toEqual(['1@d2=a2', '2@d4=b3', '3@d1=c', '4@d2=d']);
    // A delete given in another partition deletes the key where it is.
    await tm.upsert(base, { rows: [{ id: 4, ts: 9, day: 'd9', v: null, _hoodie_is_deleted: true }] }, { globalIndex: true });
    expect(await rows(base)).toEqual(['1@d2=a2', '2@d4=b3', '3@d1=c']);
  });

  it("without it (Hudi's default) keeps a copy in each partition", async () => {
    const base = path.join(dir, 'local');
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, day: 'd1', v: 'a' }] }, { create });
    const r = await tm.upsert(base, { rows: [{ id: 1, ts: 2, day: 'd2', v: 'a2' }] });
    expect(r.moved).toBeUndefined();
    expect(await rows(base)).toEqual(['1@d1=a', '1@d2=a2']);
  });
});

describe("a pipeline with target.index 'global'", () => {
  let session: TidemarkSession;
  let root: string;
  useEngine('global-pipeline', (e) => (root = e.dir));
  beforeAll(async () => {
    session = await TidemarkSession.open({ warehouse: path.join(root, 'warehouse'), catalog: path.join(root, 'no-catalog') });
  });
  afterAll(async () => session?.close());

  it('moves an event to its new day, so the target holds each key once', async () => {
    const landing = path.join(root, 'landing');
    fs.mkdirSync(landing, { recursive: true });
    const land = (name: string, rows: object[], mtime: Date): void => {
      fs.writeFileSync(path.join(landing, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      fs.utimesSync(path.join(landing, name), mtime, mtime);
    };
    land('a.jsonl', [{ id: 1, ts: 1, day: 'd1' }, { id: 2, ts: 1, day: 'd1' }], new Date(Date.now() - 3_600_000));
    const def = definePipeline({
      name: 'moves',
      source: { kind: 'files', path: path.join(landing, '*.jsonl') },
      target: { table: 'g.moves', recordKey: ['id'], precombine: 'ts', partitionBy: ['day'], index: 'global' },
    });
    expect((await runPipeline(session.context, def)).error).toBeUndefined();
    land('b.jsonl', [{ id: 1, ts: 2, day: 'd2' }], new Date());
    expect((await runPipeline(session.context, def)).error).toBeUndefined();
    const stored = await session.engine.read(path.join(root, 'warehouse', 'g', 'moves'), { columns: ['id', 'day'] });
    expect(stored.map((r) => `${String(r.id)}@${String(r.day)}`).sort()).toEqual(['1@d2', '2@d1']);
    const bad = { name: 'x', source: { kind: 'files', path: 'x' }, target: { table: 'g.x', recordKey: ['id'], index: 'everywhere' } };
    expect(() => validatePipeline(bad, 'x.mjs')).toThrow(/target\.index "everywhere" is not partition or global/);
  });
});
