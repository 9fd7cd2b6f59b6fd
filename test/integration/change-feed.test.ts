/**
 * The change feed (`read --changes`, `tidemark_changes`, `Tidemark.read(…, { changes: true })`)
 * against a model: random upserts, deletes, partition moves (global index) and overwrites; every
 * window's feed replayed onto the window's starting snapshot gives its ending snapshot. A window
 * starting at a rolled-back commit, or before what the cleaner kept, fails saying a full reload is needed.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { InvalidInstantError } from '../../src/errors.ts';
import type { Row } from '../../src/storage/duckdb/values.ts';
import { splitmix32 } from '../../src/util/random.ts';
import { useEngine, useSession } from '../support/engine.ts';
import type { TidemarkSession } from '../../src/session.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { definePipeline } from '../../src/pipeline/definition.ts';
import { tableOptions } from '../support/table-options.ts';

/** A snapshot: `key@partition` → the record's `ts=v`. */
type Snapshot = Map<string, string>;
const id = (r: Row): string => `${String(r._hoodie_record_key)}@${String(r._hoodie_partition_path)}`;
const value = (r: Row): string => `${String(r.ts)}=${String(r.v)}`;

/** Applies a feed to a snapshot, checking each preimage and delete against what is there. */
function replay(start: Snapshot, feed: ReadonlyArray<Row>): Snapshot {
  const out = new Map(start);
  for (const r of feed) {
    const k = id(r);
    switch (r._change_type) {
      case 'insert':
        expect(out.has(k), `insert of ${k} that exists`).toBe(false);
        out.set(k, value(r));
        break;
      case 'update_preimage':
      case 'delete':
        expect(out.get(k), `${String(r._change_type)} of ${k}`).toBe(value(r));
        out.delete(k);
        break;
      case 'update_postimage':
        out.set(k, value(r));
        break;
      default:
        throw new Error(`unknown change type ${String(r._change_type)}`);
    }
  }
  return out;
}

describe('the change feed', () => {
  let tm: Tidemark;
  let dir: string;
  useEngine('changes', (s) => ({ tm, dir } = s));
  const snapshot = async (base: string): Promise<Snapshot> => new Map((await tm.read(base)).map((r) => [id(r), value(r)]));

  it('replayed onto any window start, gives the window end (upserts, deletes, moves, overwrites)', async () => {
    const base = path.join(dir, 'model');
    const random = splitmix32(5);
    const day = (): string => `d${Math.floor(random() * 4)}`;
    const snapshots: Array<{ instant: string; rows: Snapshot }> = [];
    let ts = 0;
    for (let step = 0; step < 14; step++) {
      const kind = step === 0 ? 'upsert' : ['upsert', 'upsert', 'delete', 'move', 'overwrite'][Math.floor(random() * 5)]!;
      const ids = [...new Set(Array.from({ length: 6 }, () => Math.floor(random() * 12)))];
      const rows = ids.map((n) => ({ id: n, ts: ++ts, day: day(), v: `s${step}` }));
      let result;
      if (kind === 'delete') {
        const stored = (await tm.read(base, { columns: ['id', 'day'] })).slice(0, 3);
        result = await tm.write(base, { rows: stored.map((r) => ({ id: r.id, ts: ++ts, day: r.day })) }, { operation: 'delete' });
      } else if (kind === 'overwrite') {
        result = await tm.write(base, { rows }, { operation: 'insert_overwrite_table' });
      } else {
        result = await tm.upsert(base, { rows }, { create: tableOptions('model', { partitionFields: ['day'] }), globalIndex: kind === 'move' });
      }
      if (result.instant !== undefined) snapshots.push({ instant: result.instant, rows: await snapshot(base) });
    }
    expect(snapshots.length).toBeGreaterThan(10);
    // From the start: the feed replayed onto nothing is the latest snapshot.
    expect(replay(new Map(), await tm.read(base, { changes: true }))).toEqual(snapshots.at(-1)!.rows);
    for (let i = 0; i < snapshots.length; i++) {
      for (let j = i; j < snapshots.length; j++) {
        const feed = await tm.read(base, { changes: true, since: snapshots[i]!.instant, until: snapshots[j]!.instant });
        expect(replay(snapshots[i]!.rows, feed), `window (${i}, ${j}]`).toEqual(snapshots[j]!.rows);
        expect(feed.every((r) => String(r._commit_time) > snapshots[i]!.instant && String(r._commit_time) <= snapshots[j]!.instant)).toBe(true);
        expect(feed.map((r) => Number(r._change_order))).toEqual(feed.map((_, k) => k + 1));
      }
    }
  });

  it('names the change types as Delta does: an update is a preimage and a postimage, a move too', async () => {
    const base = path.join(dir, 'types');
    const create = tableOptions('types', { partitionFields: ['day'] });
    const first = await tm.upsert(base, { rows: [{ id: 1, ts: 1, day: 'a', v: 'x' }, { id: 2, ts: 1, day: 'a', v: 'y' }, { id: 3, ts: 1, day: 'b', v: 'z' }] }, { create });
    await tm.upsert(base, { rows: [{ id: 1, ts: 2, day: 'a', v: 'x2' }, { id: 4, ts: 2, day: 'b', v: 'w' }] });
    await tm.write(base, { rows: [{ id: 2, ts: 3, day: 'a' }] }, { operation: 'delete' });
    const moved = await tm.upsert(base, { rows: [{ id: 3, ts: 4, day: 'c', v: 'z2' }] }, { globalIndex: true });
    const feed = await tm.sql(`SELECT id, day, v, _change_type AS t FROM tidemark_changes('${base}', since => '${first.instant!}') ORDER BY _change_order`);
    expect(feed.map((r) => `${String(r.t)} ${String(r.id)}@${String(r.day)}=${String(r.v)}`)).toEqual([
      'update_preimage 1@a=x',
      'update_postimage 1@a=x2',
      'insert 4@b=w',
      'delete 2@a=y',
      'update_preimage 3@b=z',
      'update_postimage 3@c=z2',
    ]);
    // A window with no commit is empty, with the feed's columns.
    const none = await tm.read(base, { changes: true, since: moved.instant! });
    expect(none).toEqual([]);
  });

  it('a window starting at a rolled-back commit, or before what the cleaner kept, needs a full reload', async () => {
    const base = path.join(dir, 'undone');
    const create = tableOptions('undone', { partitionFields: ['day'] });
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, day: 'a', v: 'x' }] }, { create });
    const gone = await tm.upsert(base, { rows: [{ id: 1, ts: 2, day: 'a', v: 'x2' }] });
    await tm.rollback(base, gone.instant!);
    await expect(tm.read(base, { changes: true, since: gone.instant! })).rejects.toThrow(/is not a commit of the table, and the rollback \d+ undid commits after it.*a full reload is needed/);
    const commits: string[] = [];
    for (let i = 3; i < 7; i++) commits.push((await tm.upsert(base, { rows: [{ id: 1, ts: i, day: 'a', v: `x${i}` }] })).instant!);
    await tm.clean(base, { retainCommits: 2 });
    const error = await tm.read(base, { changes: true, since: commits[0]! }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInstantError);
    expect(String(error)).toMatch(/needs the snapshot of commit \d+, which the cleaner removed .*a full reload is needed/);
    // The last commit's changes need only the snapshot before it, which the cleaner kept.
    const last = await tm.read(base, { changes: true, since: commits.at(-2)! });
    expect(last.map((r) => String(r._change_type))).toEqual(['update_preimage', 'update_postimage']);
  });
});

describe("a table source with changes: true", () => {
  let session: TidemarkSession;
  const { warehouse } = useSession('changes-pipeline', (s) => (session = s));
  const bronze = (): string => path.join(warehouse, 'bronze', 'orders');
  const silver = definePipeline({
    name: 'silver_orders',
    source: { kind: 'table', table: 'bronze.orders', changes: true },
    transform: 'SELECT id, ts, v, _hoodie_is_deleted FROM source',
    target: { table: 'silver.orders', recordKey: ['id'], precombine: 'ts' },
  });
  const silverRows = async () => (await session.engine.read(path.join(warehouse, 'silver', 'orders'), { columns: ['id', 'v'] })).map((r) => `${String(r.id)}=${String(r.v)}`).sort();

  it('carries inserts, updates and deletes downstream; the first run reads the snapshot', async () => {
    const create = { ...tableOptions('orders'), database: 'bronze' };
    await session.engine.upsert(bronze(), { rows: [{ id: 1, ts: 1, v: 'a' }, { id: 2, ts: 1, v: 'b' }, { id: 3, ts: 1, v: 'c' }] }, { create });
    await session.engine.write(bronze(), { rows: [{ id: 3, ts: 2 }] }, { operation: 'delete' });
    const state = await session.engine.table(bronze());
    await session.metastore.registerTable({ database: 'bronze', name: 'orders', basePath: bronze(), recordKeyFields: ['id'], precombineField: 'ts', partitionFields: [], tableType: 'COPY_ON_WRITE', schema: null, properties: {}, latestInstant: state.timeline.latestCompletedWrite()!.time });
    const first = await runPipeline(session.context, silver);
    expect(first.error).toBeUndefined();
    expect(await silverRows()).toEqual(['1=a', '2=b']);
    await session.engine.upsert(bronze(), { rows: [{ id: 1, ts: 3, v: 'a2' }, { id: 4, ts: 3, v: 'd' }] });
    await session.engine.write(bronze(), { rows: [{ id: 2, ts: 4 }] }, { operation: 'delete' });
    const second = await runPipeline(session.context, silver);
    expect(second.error).toBeUndefined();
    expect({ inserted: second.inserted, updated: second.updated, deleted: second.deleted }).toEqual({ inserted: 1, updated: 1, deleted: 1 });
    expect(await silverRows()).toEqual(['1=a2', '4=d']);
  });
});
