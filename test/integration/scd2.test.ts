/**
 * History targets (`target.mode: 'scd2'`, issue #23 part 5): runs with changes, no-ops, deletes and
 * late rows, compared row for row with a small model of dbt snapshot semantics written here,
 * independently of the SQL in `scd2.ts`. Real DuckDB, embedded PGlite, files in a temp dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TidemarkSession } from '../../src/session.ts';
import { type RunResult, runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { type PipelineDefinition, definePipeline, validatePipeline } from '../../src/pipeline/definition.ts';
import type { Window } from '../../src/pipeline/window.ts';
import { useSession } from '../support/engine.ts';

type Rec = Record<string, unknown>;
let session: TidemarkSession;
const { root, warehouse } = useSession('scd2', (s) => (session = s));

/** Writes one landing file of a pipeline's feed (each run reads the files it has not loaded). */
function land(feed: string, n: number, rows: Rec[]): void {
  const dir = path.join(root, 'landing', feed);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${String(n).padStart(3, '0')}.jsonl`), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
const feed = (name: string, target: Partial<PipelineDefinition['target']>): PipelineDefinition =>
  definePipeline({ name, source: { kind: 'files', path: path.join(root, 'landing', name, '*.jsonl'), format: 'json' }, target: { table: `hist.${name}`, recordKey: ['id'], mode: 'scd2', ...target } });
const day = (d: number): Date => new Date(Date.UTC(2024, 4, d));
const windowOf = (d: number): Window => ({ start: d === 1 ? null : day(d - 1), end: day(d) });
const run = (def: PipelineDefinition, d: number): Promise<RunResult> => runPipeline(session.context, def, { window: windowOf(d) });

/** Plain comparable values: bigints as numbers, timestamps as ISO strings with milliseconds. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return new Date(v).toISOString();
  if (v instanceof Date) return v.toISOString();
  return v;
}
/** The stored history, meta columns left out, ordered by key and valid_from. */
async function history(table: string, validFrom = 'dbt_valid_from'): Promise<Rec[]> {
  const rows = await session.engine.read(path.join(warehouse, 'hist', table));
  const out = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_hoodie_')).map(([k, v]) => [k, plain(v)])));
  return sortHistory(out, validFrom);
}
const sortHistory = (rows: Rec[], vf: string): Rec[] => [...rows].sort((a, b) => Number(a.id) - Number(b.id) || String(plain(a[vf])).localeCompare(String(plain(b[vf])), 'en', { numeric: true }));

interface ModelCounts { inserted: number; updated: number; deleted: number; skippedAsOlder: number }
interface ModelOptions { readonly precombine?: string; readonly runTime: Date; readonly cols?: { vf: string; vt: string; cur: string } }

/**
 * dbt snapshot semantics, one key at a time: valid_from is the precombine value (timestamp
 * strategy) or the run time (check strategy); rows not newer than the key's latest event are
 * ignored (an exact replay silently, anything else counted as older); a delete closes the current
 * version; a row whose columns differ from the current version closes it and opens a new one.
 */
function snapshotModel(stored: Rec[], batch: Rec[], o: ModelOptions): { rows: Rec[]; counts: ModelCounts } {
  const { vf, vt, cur } = o.cols ?? { vf: 'dbt_valid_from', vt: 'dbt_valid_to', cur: 'is_current' };
  const rows = stored.map((r) => ({ ...r }));
  const counts = { inserted: 0, updated: 0, deleted: 0, skippedAsOlder: 0 };
  const from = (r: Rec): unknown => plain(o.precombine === undefined ? o.runTime : r[o.precombine]);
  const seen = new Set<string>();
  const events = batch
    .map((r): Rec => ({ ...r, _hoodie_is_deleted: r._hoodie_is_deleted === true }))
    .filter((r) => !seen.has(JSON.stringify(r)) && seen.add(JSON.stringify(r)))
    .sort((a, b) => Number(a.id) - Number(b.id) || String(from(a)).localeCompare(String(from(b)), 'en', { numeric: true }));
  const after = (a: unknown, b: unknown): number => (typeof a === 'number' ? a - (b as number) : String(a).localeCompare(String(b)));
  for (const e of events) {
    const { _hoodie_is_deleted: deleted, ...values } = e;
    const t = from(e);
    const versions = rows.filter((r) => r.id === e.id).sort((a, b) => after(a[vf], b[vf]));
    const latest = versions.at(-1);
    const open = latest !== undefined && latest[cur] === true;
    const same = open && Object.entries(values).every(([k, v]) => plain(latest[k]) === plain(v));
    if (latest !== undefined) {
      const last = open ? latest[vf] : latest[vt];
      const cmp = after(t, last);
      if (cmp < 0 || (cmp === 0 && !(deleted ? !open : same))) counts.skippedAsOlder += 1;
      if (cmp <= 0) continue;
    }
    if (deleted) {
      if (open) Object.assign(latest, { [vt]: t, [cur]: false }), (counts.deleted += 1);
      continue;
    }
    if (same) continue;
    if (open) Object.assign(latest, { [vt]: t, [cur]: false }), (counts.updated += 1);
    rows.push({ ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, plain(v)])), [vf]: t, [vt]: null, [cur]: true });
    counts.inserted += 1;
  }
  return { rows: sortHistory(rows, vf), counts };
}

describe('scd2 targets (timestamp strategy: valid_from is the precombine value)', () => {
  const def = feed('customers', { precombine: 'ts', partitionBy: ['tier'] }); // a change of tier moves a record's new version to another partition
  const customer = (id: number, name: string, tier: string, ts: number, deleted = false): Rec => ({ id, name, tier, ts, _hoodie_is_deleted: deleted });
  const batches: Rec[][] = [
    [customer(1, 'ann', 'gold', 1), customer(2, 'bob', 'silver', 1), customer(3, 'cy', 'bronze', 1), customer(3, 'cy', 'bronze', 1)],
    // 1 changes, 2 is replayed unchanged, 3 is deleted at the source, 4 is new.
    [customer(1, 'ann', 'platinum', 2), customer(2, 'bob', 'silver', 1), customer(3, 'cy', 'bronze', 2, true), customer(4, 'dee', 'gold', 2)],
    // 1 replayed (a no-op), 2 changes, 3 comes back, 4 late (older than its current version), 5 a delete of a key never seen.
    [customer(1, 'ann', 'platinum', 2), customer(2, 'bob', 'gold', 3), customer(3, 'cy', 'silver', 3), customer(4, 'dee', 'tin', 1), customer(5, 'eve', 'x', 3, true)],
  ];

  it('three runs with changes, no-ops and a delete match the dbt snapshot model row for row', async () => {
    let model: Rec[] = [];
    for (const [i, batch] of batches.entries()) {
      land('customers', i + 1, batch);
      const r = await run(def, i + 1);
      expect(r.error).toBeUndefined();
      const expected = snapshotModel(model, batch, { precombine: 'ts', runTime: day(i + 1) });
      model = expected.rows;
      expect(await history('customers')).toEqual(model);
      expect({ inserted: r.inserted, updated: r.updated, deleted: r.deleted, skippedAsOlder: r.skippedAsOlder }).toEqual(expected.counts);
    }
    // Spelled out once, so the model itself is checked against dbt's documented behaviour.
    expect(model.filter((r) => r.id === 1).map((r) => [r.tier, r.dbt_valid_from, r.dbt_valid_to, r.is_current])).toEqual([['gold', 1, 2, false], ['platinum', 2, null, true]]);
    expect(model.filter((r) => r.id === 3).map((r) => [r.tier, r.dbt_valid_from, r.dbt_valid_to, r.is_current])).toEqual([['bronze', 1, 2, false], ['silver', 3, null, true]]);
    expect(model.filter((r) => r.id === 4).map((r) => [r.tier, r.dbt_valid_to])).toEqual([['gold', null]]);
    expect(model.some((r) => r.id === 5)).toBe(false);
    const [last] = await session.metastore.runs({ pipelineName: 'customers' }).then((rs) => rs.slice(-1));
    expect(last).toMatchObject({ status: 'SUCCESS', recordsSkippedOlder: 1 });
  });

  it('late rows and replays are skipped; only the late rows count, and nothing is committed', async () => {
    const before = await history('customers');
    land('customers', 4, [customer(2, 'bob', 'old', 2), customer(1, 'ann', 'platinum', 2), customer(3, 'cy', 'stale', 3)]);
    const r = await run(def, 4);
    expect(r).toMatchObject({ status: 'SUCCESS', inserted: 0, updated: 0, deleted: 0, skippedAsOlder: 2, instant: undefined });
    expect(await history('customers')).toEqual(before);
  });

  it('several versions of a key in one batch each open, in precombine order', async () => {
    const versions = feed('versions', { precombine: 'ts' });
    const v = (id: number, tier: string, ts: number, deleted = false): Rec => ({ id, tier, ts, _hoodie_is_deleted: deleted });
    land('versions', 1, [v(1, 'a', 1)]);
    expect((await run(versions, 1)).inserted).toBe(1);
    const batch = [v(1, 'c', 4), v(1, 'b', 2), v(1, 'b', 3), v(2, 'x', 1), v(2, 'x', 2, true), v(2, 'y', 5)];
    land('versions', 2, batch);
    const r = await run(versions, 2);
    const model = snapshotModel(snapshotModel([], [v(1, 'a', 1)], { precombine: 'ts', runTime: day(1) }).rows, batch, { precombine: 'ts', runTime: day(2) });
    expect(await history('versions')).toEqual(model.rows);
    expect({ inserted: r.inserted, updated: r.updated, deleted: r.deleted, skippedAsOlder: r.skippedAsOlder }).toEqual(model.counts);
    expect(model.rows.filter((x) => x.id === 1).map((x) => [x.tier, x.ts, x.dbt_valid_to])).toEqual([['a', 1, 2], ['b', 2, 3], ['b', 3, 4], ['c', 4, null]]);
    expect(model.rows.filter((x) => x.id === 2).map((x) => [x.tier, x.dbt_valid_from, x.dbt_valid_to])).toEqual([['x', 1, 2], ['y', 5, null]]);

    land('versions', 3, [v(7, 'p', 1), v(7, 'q', 1)]);
    const tie = await run(versions, 3);
    expect(tie.status).toBe('FAILED');
    expect(tie.error).toMatch(/^\[write\] the history \(scd2\) batch of pipeline versions for hist\.versions: record id=7 has 2 different versions in the batch with one valid_from: they have the same ts/);
  });
});

describe('scd2 targets (check strategy: no precombine, valid_from is the window end)', () => {
  const cols = { vf: 'valid_from', vt: 'valid_to', cur: 'current' };
  const def = feed('plans', { scd2: { validFrom: 'valid_from', validTo: 'valid_to', current: 'current' } });
  const plan = (id: number, price: number, deleted = false): Rec => ({ id, price, _hoodie_is_deleted: deleted });

  it('closes and opens at the window end, ignores identical rows, closes deletes; custom column names', async () => {
    const batches = [[plan(1, 10), plan(2, 20)], [plan(1, 10), plan(2, 25)], [plan(1, 11), plan(2, 25, true)]];
    let model: Rec[] = [];
    for (const [i, batch] of batches.entries()) {
      land('plans', i + 1, batch);
      const r = await run(def, i + 1);
      expect(r.error).toBeUndefined();
      const expected = snapshotModel(model, batch, { runTime: day(i + 1), cols });
      model = expected.rows;
      expect(await history('plans', 'valid_from')).toEqual(model);
      expect({ inserted: r.inserted, updated: r.updated, deleted: r.deleted, skippedAsOlder: r.skippedAsOlder }).toEqual(expected.counts);
    }
    expect(model.filter((r) => r.id === 2).map((r) => [r.price, r.valid_from, r.valid_to, r.current])).toEqual([
      [20, day(1).toISOString(), day(2).toISOString(), false],
      [25, day(2).toISOString(), day(3).toISOString(), false],
    ]);
    const table = await session.engine.table(path.join(warehouse, 'hist', 'plans'));
    expect(table.config.recordKeyFields).toEqual(['id', 'valid_from']);
  });

  it('two different rows of one key in a batch fail the run: one version per key per run', async () => {
    land('plans', 4, [plan(1, 12), plan(1, 13)]);
    const r = await run(def, 4);
    expect(r.status).toBe('FAILED');
    expect(r.error).toMatch(/record id=1 has 2 different versions in the batch with one valid_from: the target has no precombine field/);
  });
});

describe('scd2 targets over a table source', () => {
  it("the upstream's meta columns are not data: a full refresh replays every row and writes nothing", async () => {
    const upstream = definePipeline({ ...feed('dimsrc', {}), target: { table: 'hist.dimsrc', recordKey: ['id'], precombine: 'ts' } });
    const dim = definePipeline({ name: 'dim', source: { kind: 'table', table: 'hist.dimsrc' }, target: { table: 'hist.dim', recordKey: ['id'], precombine: 'ts', mode: 'scd2' } });
    land('dimsrc', 1, [{ id: 1, v: 'a', ts: 1 }, { id: 2, v: 'b', ts: 1 }]);
    expect((await run(upstream, 1)).status).toBe('SUCCESS');
    expect(await runPipeline(session.context, dim)).toMatchObject({ status: 'SUCCESS', inserted: 2 });
    land('dimsrc', 2, [{ id: 1, v: 'c', ts: 2 }]);
    expect((await run(upstream, 2)).status).toBe('SUCCESS');
    expect(await runPipeline(session.context, dim)).toMatchObject({ status: 'SUCCESS', recordsRead: 1, inserted: 1, updated: 1 });
    expect(await runPipeline(session.context, dim, { fullRefresh: true })).toMatchObject({ status: 'SUCCESS', recordsRead: 2, inserted: 0, updated: 0, skippedAsOlder: 0, instant: undefined });
    const rows = await history('dim');
    expect(rows.map((r) => [r.id, r.v, r.dbt_valid_from, r.dbt_valid_to, r.is_current])).toEqual([[1, 'a', 1, 2, false], [1, 'c', 2, null, true], [2, 'b', 1, null, true]]);
    expect(Object.keys(rows[0]!).sort()).toEqual(['dbt_valid_from', 'dbt_valid_to', 'id', 'is_current', 'ts', 'v']);
  });
});

describe('scd2 definitions', () => {
  const base = { name: 'p', source: { kind: 'files', path: 'x/*.csv' } };
  it('validates mode and the validity column names', () => {
    expect(() => validatePipeline({ ...base, target: { table: 'a.b', recordKey: ['id'], mode: 'history' } }, 'p.ts')).toThrow(/target.mode "history" is not upsert or scd2/);
    expect(() => validatePipeline({ ...base, target: { table: 'a.b', recordKey: ['id'], scd2: { validFrom: 'vf' } } }, 'p.ts')).toThrow(/needs target.mode: 'scd2'/);
    expect(() => validatePipeline({ ...base, target: { table: 'a.b', recordKey: ['id'], mode: 'scd2', scd2: { validTo: 'dbt_valid_from' } } }, 'p.ts')).toThrow(/names one column twice/);
    expect(() => validatePipeline({ ...base, target: { table: 'a.b', recordKey: ['id'], mode: 'scd2', scd2: { current: 'id' } } }, 'p.ts')).toThrow(/is also the record key/);
    expect(validatePipeline({ ...base, target: { table: 'a.b', recordKey: ['id'], mode: 'scd2' } }, 'p.ts').target.mode).toBe('scd2');
  });

  it('an upsert target cannot become a history table in place', async () => {
    land('convert', 1, [{ id: 1, v: 1 }]);
    const upsert = definePipeline({ ...feed('convert', {}), target: { table: 'hist.convert', recordKey: ['id'] } });
    expect((await run(upsert, 1)).status).toBe('SUCCESS');
    land('convert', 2, [{ id: 1, v: 2 }]);
    const r = await run(feed('convert', {}), 2);
    expect(r.error).toMatch(/record key is \(id\), not \(id, dbt_valid_from\)/);
  });
});
