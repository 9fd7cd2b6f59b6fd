/**
 * `daily-run` and `status` through the CLI, on a catalog of plain `.mjs` modules and the embedded
 * metastore: dependency order, a failure stopping only its downstream, incremental flow through
 * table sources, dry runs, backfills, full refreshes, exit codes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { bronzeEvents, landJsonl, writePipeline } from '../support/catalog-files.ts';
import { useTempDir } from '../support/temp-dir.ts';

const root = useTempDir('daily');
const warehouse = path.join(root, 'warehouse');
const catalog = path.join(root, 'catalog');
const landing = path.join(root, 'landing');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['--warehouse', warehouse, '--catalog', catalog, ...args], { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}
const json = async (...args: string[]): Promise<any> => {
  const r = await cli(...args, '--json');
  return JSON.parse(r.out);
};
/** `read --json` prints one JSON object per line. */
const rows = async (...args: string[]): Promise<any[]> => {
  const r = await cli('read', ...args, '--json');
  return r.out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
};
const pipeline = (file: string, def: object): void => writePipeline(catalog, file, def);
const land = (name: string, rows: object[]): void => landJsonl(landing, name, rows);

beforeAll(() => {
  fs.mkdirSync(catalog, { recursive: true });
  fs.mkdirSync(landing, { recursive: true });
  pipeline('bronze.mjs', bronzeEvents(landing));
  pipeline('silver.mjs', {
    name: 'silver_events',
    source: { kind: 'table', table: 'bronze.events' },
    transform: 'SELECT id, ts, day, upper(kind) AS kind, amount FROM source',
    checks: [{ kind: 'not_null', column: 'kind' }],
    target: { table: 'silver.events', recordKey: ['id'], precombine: 'ts', partitionBy: ['day'] },
  });
  pipeline('gold.mjs', {
    name: 'gold_daily',
    source: { kind: 'table', table: 'silver.events' },
    transform: "SELECT day, count(*) AS events, sum(amount) AS total, max(ts) AS ts FROM tidemark_scan('silver.events') WHERE day IN (SELECT DISTINCT day FROM source) GROUP BY day",
    target: { table: 'gold.daily', recordKey: ['day'], precombine: 'ts' },
  });
  pipeline('broken.mjs', {
    name: 'broken_feed',
    source: { kind: 'files', path: path.join(landing, '*.jsonl'), format: 'json' },
    transform: 'SELECT missing_column FROM source',
    target: { table: 'side.feed', recordKey: ['id'] },
  });
  pipeline('downstream.mjs', {
    name: 'after_broken',
    source: { kind: 'table', table: 'side.feed' },
    target: { table: 'side.after', recordKey: ['id'] },
  });
  fs.writeFileSync(path.join(catalog, '_notes.mjs'), 'export const ignored = true;\n');
});

describe('daily-run', () => {
  it('runs pipelines in dependency order; a failure stops only its downstream; exit code 1', async () => {
    land('a.jsonl', [
      { id: 1, ts: 1, day: '2024-05-01', kind: 'buy', amount: 10 },
      { id: 2, ts: 1, day: '2024-05-01', kind: 'buy', amount: 5 },
      { id: 3, ts: 1, day: '2024-05-02', kind: 'sell', amount: 7 },
    ]);
    const r = await cli('daily-run', '--json');
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.out);
    const order = summary.results.map((x: { pipeline: string; status: string }) => `${x.pipeline}:${x.status}`);
    expect(order.indexOf('bronze_events:SUCCESS')).toBeLessThan(order.indexOf('silver_events:SUCCESS'));
    expect(order.indexOf('silver_events:SUCCESS')).toBeLessThan(order.indexOf('gold_daily:SUCCESS'));
    expect(order).toContain('broken_feed:FAILED');
    expect(order).toContain('after_broken:SKIPPED');
    expect(summary.ok).toBe(false);
    const gold = await rows('gold.daily', '--columns', 'day,events,total');
    expect(gold.sort((a: { day: string }, b: { day: string }) => a.day.localeCompare(b.day))).toEqual([
      { day: '2024-05-01', events: 2, total: 15 },
      { day: '2024-05-02', events: 1, total: 7 },
    ]);
  });

  it('the same day only the failed pipeline is due again; with --pipeline the others run again, incrementally', async () => {
    const retry = await cli('daily-run', '--json');
    expect(retry.code).toBe(1);
    expect(JSON.parse(retry.out).results.map((x: { pipeline: string; status: string }) => `${x.pipeline}:${x.status}`)).toEqual(['broken_feed:FAILED', 'after_broken:SKIPPED']);
    land('b.jsonl', [{ id: 2, ts: 2, day: '2024-05-01', kind: 'refund', amount: -5 }, { id: 4, ts: 1, day: '2024-05-03', kind: 'buy', amount: 1 }]);
    const r = await cli('daily-run', '--pipeline', 'bronze_events', '--pipeline', 'silver_events', '--pipeline', 'gold_daily', '--json');
    expect(r.code).toBe(0);
    const results = JSON.parse(r.out).results as Array<{ pipeline: string; recordsRead: number; inserted: number; updated: number }>;
    const byName = Object.fromEntries(results.map((x) => [x.pipeline, x]));
    expect(byName.bronze_events).toMatchObject({ recordsRead: 2, inserted: 1, updated: 1 }); // only the new file
    expect(byName.silver_events).toMatchObject({ recordsRead: 2, inserted: 1, updated: 1 }); // only the changed rows
    expect(byName.gold_daily).toMatchObject({ inserted: 1, updated: 1 }); // days 05-01 and 05-03
    const gold = await rows('gold.daily', '--columns', 'day,events,total', '--where', "day = '2024-05-01'");
    expect(gold).toEqual([{ day: '2024-05-01', events: 2, total: 5 }]);
  });

  it('--dry-run prints the windows and runs nothing', async () => {
    const before = (await json('status', '--days', '3')) as Array<{ runs: number }>;
    const r = await cli('daily-run', '--all', '--dry-run', '--json');
    const planned = JSON.parse(r.out).planned as Array<{ pipeline: string; window: { start: string | null; end: string }; error?: string }>;
    expect(planned.find((p) => p.pipeline === 'after_broken')!.error).toMatch(/side\.feed is not registered/);
    expect(planned.map((p) => p.pipeline).sort()).toEqual(['after_broken', 'broken_feed', 'bronze_events', 'gold_daily', 'silver_events']);
    expect(planned.find((p) => p.pipeline === 'broken_feed')!.window.start).toBeNull(); // it never succeeded
    expect(planned.find((p) => p.pipeline === 'bronze_events')!.window.start).not.toBeNull();
    const after = (await json('status', '--days', '3')) as Array<{ runs: number }>;
    expect(after.map((s) => s.runs)).toEqual(before.map((s) => s.runs));
  });

  it('status reports runs, failures, the last error and the watermark; --fail-if-stale exits 1', async () => {
    const statuses = (await json('status', '--days', '14')) as Array<Record<string, any>>;
    const by = Object.fromEntries(statuses.map((s) => [s.pipeline, s]));
    expect(by.bronze_events).toMatchObject({ runs: 2, successes: 2, failures: 0, lastStatus: 'SUCCESS', recordsProcessed: 5 });
    expect(by.broken_feed).toMatchObject({ runs: 2, failures: 2, lastStatus: 'FAILED', watermark: null });
    expect(by.broken_feed.lastError).toMatch(/missing_column/);
    expect(by.bronze_events.watermark).not.toBeNull();
    expect(by.bronze_events.days).toHaveLength(14);
    expect(by.bronze_events.days.at(-1).outcome).toBe('S');
    const text = await cli('status', '--days', '14');
    expect(text.out).toMatch(/bronze_events\s+SUCCESS/);
    const stale = await cli('status', '--fail-if-stale', '1h');
    expect(stale.code).toBe(1); // broken_feed and after_broken never succeeded
    expect(stale.err).toMatch(/broken_feed/);
    const fresh = await cli('status', '--pipeline', 'bronze_events', '--fail-if-stale', '1h');
    expect(fresh.code).toBe(0);
  });

  it('a backfill replays day windows; a full refresh rebuilds the target in one replacecommit', async () => {
    const r = await cli('daily-run', '--pipeline', 'bronze_events', '--from', '2024-05-01', '--to', '2024-05-03', '--json');
    const runs = JSON.parse(r.out).results as Array<{ window: { start: string; end: string } }>;
    expect(runs.map((x) => x.window.start)).toEqual(['2024-05-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z']);
    const full = await cli('daily-run', '--pipeline', 'silver_events', '--full-refresh', '--json');
    expect(full.code).toBe(0);
    const commits = (await json('commits', 'silver.events')) as Array<{ action: string; replacedFileGroups: number }>;
    expect(commits.at(-1)).toMatchObject({ action: 'replacecommit' });
    expect(commits.at(-1)!.replacedFileGroups).toBeGreaterThan(0);
    const ids = await rows('silver.events', '--columns', 'id');
    expect(ids.map((x: { id: number }) => x.id).sort()).toEqual([1, 2, 3, 4]);
  });

  it('an unknown pipeline name is a usage error', async () => {
    const r = await cli('daily-run', '--pipeline', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no pipeline named "nope"/);
  });
});
