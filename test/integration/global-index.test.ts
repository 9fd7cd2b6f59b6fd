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
import { pipelineStatus } from '../../src/pipeline/status.ts';
import { TidemarkSession } from '../../src/session.ts';
import { useEngine } from '../support/engine.ts';
import { tableOptions } from '../support/table-options.ts';

const create = tableOptions('events', { partitionFields: ['day'] });

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
    expect(r.keysInTwoPartitions).toBe(1);
    expect(await rows(base)).toEqual(['1@d1=a', '1@d2=a2']);
  });

  it('without it counts the keys a write leaves in two partitions, wherever the other copy is', async () => {
    for (const [label, key] of [['integer', (n: number) => n], ['text', (n: number) => `k${n}`]] as const) {
      const base = path.join(dir, `count-${label}`);
      const row = (n: number, day: string, ts = 1): Record<string, unknown> => ({ id: key(n), ts, day, v: `${n}${day}` });
      // A first write meets nothing stored: only its own keys in two partitions count (id 9).
      const first = await tm.upsert(base, { rows: [row(1, 'd1'), row(2, 'd1'), row(3, 'd2'), row(4, 'd3'), row(9, 'd8'), row(9, 'd9')] }, { create });
      expect([label, first.keysInTwoPartitions]).toEqual([label, 1]);
      await tm.write(base, { rows: [row(9, 'd8'), row(9, 'd9')] }, { operation: 'delete' });
      // Into d1 (touched, so its keys were looked up): id 3 is stored in d2, id 4 in d3 (untouched).
      // id 5 is new everywhere, id 1 an update in place, id 6 arrives in two partitions at once.
      const r = await tm.upsert(base, { rows: [row(3, 'd1', 2), row(4, 'd1', 2), row(5, 'd1'), row(1, 'd1', 2), row(6, 'd4'), row(6, 'd5')] });
      expect([label, r.inserted, r.updated, r.keysInTwoPartitions]).toEqual([label, 5, 1, 3]);
      // An update of a key already stored twice, and a move by a delete in the same batch, add none.
      const again = await tm.upsert(base, { rows: [row(3, 'd1', 3), { ...row(2, 'd1', 3), _hoodie_is_deleted: true }, row(2, 'd6', 3)] });
      expect([label, again.inserted, again.deleted, again.keysInTwoPartitions]).toEqual([label, 1, 1, 0]);
      // insert (no lookup): every partition's files are read.
      const ins = await tm.write(base, { rows: [row(5, 'd7'), row(7, 'd7')] }, { operation: 'insert' });
      expect([label, ins.keysInTwoPartitions]).toEqual([label, 1]);
    }
    const flat = path.join(dir, 'unpartitioned');
    await tm.upsert(flat, { rows: [{ id: 1, ts: 1, v: 'a' }] }, { create: { ...create, partitionFields: [] } });
    expect((await tm.upsert(flat, { rows: [{ id: 2, ts: 1, v: 'b' }] })).keysInTwoPartitions).toBe(0);
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

  it('with the default index reports the key left in two partitions, and `unique` fails on it', async () => {
    const landing = path.join(root, 'landing-default');
    fs.mkdirSync(landing, { recursive: true });
    const land = (name: string, rows: object[]): void => fs.writeFileSync(path.join(landing, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    land('a.jsonl', [{ id: 1, ts: 1, day: 'd1', email: 'a@x' }, { id: 2, ts: 1, day: 'd1', email: 'b@x' }]);
    const target = { recordKey: ['id'], precombine: 'ts', partitionBy: ['day'] };
    const source = { kind: 'files', path: path.join(landing, '*.jsonl') } as const;
    const checked = definePipeline({ name: 'checked', source, target: { table: 'g.checked', ...target }, checks: [{ kind: 'unique', column: 'id' }, { kind: 'unique', column: 'email' }] });
    const plain = definePipeline({ name: 'plain', source, target: { table: 'g.plain', ...target } });
    for (const def of [checked, plain]) expect((await runPipeline(session.context, def)).error).toBeUndefined();
    // id 1 moves to d2; id 3 (new) takes id 2's email.
    land('b.jsonl', [{ id: 1, ts: 2, day: 'd2', email: 'a@x' }, { id: 3, ts: 1, day: 'd1', email: 'b@x' }]);
    const failed = await runPipeline(session.context, checked);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain("[check] 2 checks failed: unique(id), unique(email)");
    expect(failed.error).toContain("unique(id): 2 rows fail, e.g. id=1 day='d1', id=1 day='d2'");
    // id 1's two copies share an email too.
    expect(failed.error).toContain("unique(email): 4 rows fail, e.g. id=1 email='a@x' day='d1', id=1 email='a@x' day='d2', id=2 email='b@x' day='d1', id=3 email='b@x' day='d1'");
    const rows = async (table: string): Promise<string[]> => (await session.engine.read(path.join(root, 'warehouse', 'g', table), { columns: ['id', 'day'] })).map((r) => `${String(r.id)}@${String(r.day)}`).sort();
    expect(await rows('checked')).toEqual(['1@d1', '2@d1']); // nothing written
    // Without the check the run succeeds, and its result, its log row and `status` say how many keys are doubled.
    const ran = await runPipeline(session.context, plain);
    expect([ran.status, ran.inserted, ran.keysInTwoPartitions]).toEqual(['SUCCESS', 2, 1]);
    expect(await rows('plain')).toEqual(['1@d1', '1@d2', '2@d1', '3@d1']);
    const [logged] = await session.context.metastore.runs({ pipelineName: 'plain', newestFirst: true, limit: 1 });
    expect(logged!.keysInTwoPartitions).toBe(1);
    const [status] = await pipelineStatus(session.context, { days: 1, pipeline: 'plain' });
    expect(status!.keysInTwoPartitions).toBe(1);
    // A rerun with nothing new leaves the count where it was: it is what each run did.
    expect((await runPipeline(session.context, plain)).keysInTwoPartitions).toBe(0);
  });
});
