/**
 * Issue #23, parts 2 and 3, through the CLI on the embedded metastore: a pipeline whose latest run
 * failed is due again the same day (after an earlier success that day), and its downstream follows
 * it; `daily-run --from/--to` replays days of the source's watermark column (the data date) without
 * moving the watermark, and says when a source has none (processing time).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { PG_URL, pgQuery, postgresAvailable, uniqueSchema } from '../support/postgres.ts';
import { bronzeEvents, landJsonl, writePipeline } from '../support/catalog-files.ts';
import { useTempDir } from '../support/temp-dir.ts';

const root = useTempDir('retries');
const warehouse = path.join(root, 'warehouse');
const catalog = path.join(root, 'catalog');
const landing = path.join(root, 'landing');

async function cliIn(dir: { warehouse: string; catalog: string }, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['--warehouse', dir.warehouse, '--catalog', dir.catalog, ...args], { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}
const cli = (...args: string[]) => cliIn({ warehouse, catalog }, ...args);
const jsonIn = async (dir: { warehouse: string; catalog: string }, ...args: string[]): Promise<any> => {
  const r = await cliIn(dir, ...args, '--json');
  try {
    return JSON.parse(r.out);
  } catch (error) {
    throw new Error(`tidemark ${args.join(' ')} printed no JSON (exit ${r.code}): ${r.out}\n${r.err}`, { cause: error });
  }
};
const json = (...args: string[]): Promise<any> => jsonIn({ warehouse, catalog }, ...args);
const pipeline = (file: string, def: object): void => writePipeline(catalog, file, def);
const land = (name: string, rows: object[]): void => landJsonl(landing, name, rows);
const outcomes = (summary: { results: Array<{ pipeline: string; status: string }> }): string[] => summary.results.map((r) => `${r.pipeline}:${r.status}`);
const event = (id: number | null, day: string): object => ({ id, ts: 1, day, kind: 'buy', amount: 1 });

/** Rows per data day in the first landed file: 05-01 ×2, 05-02 ×3, 05-03 ×1, 05-04 ×2. */
const DAYS: Record<string, number> = { '2024-05-01': 2, '2024-05-02': 3, '2024-05-03': 1, '2024-05-04': 2 };

beforeAll(() => {
  fs.mkdirSync(catalog, { recursive: true });
  fs.mkdirSync(landing, { recursive: true });
  pipeline('bronze.mjs', bronzeEvents(landing));
  pipeline('silver.mjs', {
    name: 'silver_events',
    source: { kind: 'table', table: 'bronze.events', watermarkColumn: 'day' },
    transform: 'SELECT id, ts, day, upper(kind) AS kind, amount FROM source',
    target: { table: 'silver.events', recordKey: ['id'], precombine: 'ts', partitionBy: ['day'] },
  });
  let id = 1;
  land('a.jsonl', Object.entries(DAYS).flatMap(([day, n]) => Array.from({ length: n }, () => event(id++, day))));
});

describe('retries', () => {
  it('a pipeline whose latest run failed is due again the same day, after an earlier success; its downstream follows', async () => {
    const first = await json('daily-run');
    expect(outcomes(first)).toEqual(['bronze_events:SUCCESS', 'silver_events:SUCCESS']);
    expect((await cli('daily-run')).out).toBe('no pipeline is due\n'); // both succeeded today

    // Later the same day, a run of bronze fails (a null record key)...
    land('bad.jsonl', [event(null, '2024-05-05')]);
    const failed = await json('daily-run', '--pipeline', 'bronze_events');
    expect(outcomes(failed)).toEqual(['bronze_events:FAILED']);
    const status = (await json('status', '--days', '1')) as Array<{ pipeline: string; lastStatus: string }>;
    expect(status.find((s) => s.pipeline === 'bronze_events')!.lastStatus).toBe('FAILED');

    // ...so the next daily-run retries it, and silver follows though it succeeded earlier today.
    fs.rmSync(path.join(landing, 'bad.jsonl'));
    land('c.jsonl', [event(100, '2024-05-05'), event(101, '2024-05-05')]);
    const plan = await json('daily-run', '--dry-run');
    expect(plan.planned.map((p: { pipeline: string; note?: string }) => [p.pipeline, p.note])).toEqual([
      ['bronze_events', 'its latest run failed: retried'],
      ['silver_events', 'follows the retry of an upstream pipeline'],
    ]);
    const retry = await json('daily-run');
    expect(outcomes(retry)).toEqual(['bronze_events:SUCCESS', 'silver_events:SUCCESS']);
    expect(retry.results.map((r: { recordsRead: number }) => r.recordsRead)).toEqual([2, 2]); // the new file, then its rows
    expect((await cli('daily-run')).out).toBe('no pipeline is due\n');
  });
});

describe('backfill by data date', () => {
  it('--dry-run shows the day windows and their kind: data date for a watermark column, processing time without one', async () => {
    const before = (await json('runs', '--limit', '100')).length as number;
    const r = await cli('daily-run', '--pipeline', 'bronze_events', '--pipeline', 'silver_events', '--from', '2024-05-02', '--to', '2024-05-04', '--dry-run');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.filter((l) => /silver_events .*data date \(day\)/.test(l))).toHaveLength(3);
    expect(lines.filter((l) => /bronze_events .*processing time/.test(l))).toHaveLength(3);
    expect(r.out).toMatch(/no watermark column: processing time, not data dates/);
    expect(r.err).toMatch(/bronze_events has no watermark column: its backfill replays windows of processing time/);

    const plan = await json('daily-run', '--pipeline', 'silver_events', '--from', '2024-05-02', '--to', '2024-05-04', '--dry-run');
    expect(plan.planned.map((p: any) => [p.window.start, p.window.end, p.basis])).toEqual([
      ['2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z', 'data-date'],
      ['2024-05-03T00:00:00.000Z', '2024-05-04T00:00:00.000Z', 'data-date'],
      ['2024-05-04T00:00:00.000Z', '2024-05-05T00:00:00.000Z', 'data-date'],
    ]);
    expect((await json('runs', '--limit', '100')).length).toBe(before); // nothing ran
  });

  it('replays exactly the rows of each day, one run per day in order, and leaves the watermark where it was', async () => {
    const watermarkOf = async (): Promise<string> => ((await json('status', '--pipeline', 'silver_events')) as Array<{ watermark: string }>)[0]!.watermark;
    const watermark = await watermarkOf();
    const wouldTake = (await json('daily-run', '--pipeline', 'silver_events', '--dry-run')).planned[0].window;
    expect(wouldTake.start).toBe(watermark);

    const backfill = await json('daily-run', '--pipeline', 'silver_events', '--from', '2024-05-02', '--to', '2024-05-04');
    expect(backfill.ok).toBe(true);
    expect(backfill.notes).toEqual([]);
    expect(backfill.results.map((r: any) => [r.status, r.window.start, r.window.basis, r.recordsRead, r.recordsProcessed])).toEqual([
      ['SUCCESS', '2024-05-02T00:00:00.000Z', 'data-date', DAYS['2024-05-02'], DAYS['2024-05-02']],
      ['SUCCESS', '2024-05-03T00:00:00.000Z', 'data-date', DAYS['2024-05-03'], DAYS['2024-05-03']],
      ['SUCCESS', '2024-05-04T00:00:00.000Z', 'data-date', DAYS['2024-05-04'], DAYS['2024-05-04']],
    ]);

    // The watermark, the window the next normal run takes, and whether it is due are unchanged.
    expect(await watermarkOf()).toBe(watermark);
    expect((await cli('daily-run')).out).toBe('no pipeline is due\n');
    const next = await json('daily-run', '--pipeline', 'silver_events');
    expect(next.results[0].window.start).toBe(wouldTake.start);
    expect(next.results[0].status).toBe('SUCCESS');
  });

  it('a source without a watermark column backfills processing time, and says so', async () => {
    const r = await json('daily-run', '--pipeline', 'bronze_events', '--from', '2024-05-02', '--to', '2024-05-02');
    expect(r.notes).toEqual([expect.stringMatching(/^bronze_events has no watermark column: its backfill replays windows of processing time/)]);
    expect(r.results.map((x: any) => [x.status, x.window.start, x.window.basis])).toEqual([['SUCCESS', '2024-05-02T00:00:00.000Z', undefined]]);
  });
});

const pgUp = await postgresAvailable();

describe.skipIf(!pgUp)('backfill by data date from a PostgreSQL source', () => {
  const schema = uniqueSchema('tm_backfill');
  const dir = { warehouse: path.join(root, 'pg', 'warehouse'), catalog: path.join(root, 'pg', 'catalog') };
  beforeAll(async () => {
    fs.mkdirSync(dir.catalog, { recursive: true });
    await pgQuery(`CREATE SCHEMA ${schema}`);
    await pgQuery(`CREATE TABLE ${schema}.sales (id int, order_date date, amount int)`);
    // 05-01 ×1, 05-02 ×2, 05-03 ×3, 05-04 ×1: a DATE's midnight belongs to its own day's window, not the day before's.
    await pgQuery(`INSERT INTO ${schema}.sales VALUES (1, '2024-05-01', 1), (2, '2024-05-02', 1), (3, '2024-05-02', 1), (4, '2024-05-03', 1), (5, '2024-05-03', 1), (6, '2024-05-03', 1), (7, '2024-05-04', 1)`);
    fs.writeFileSync(
      path.join(dir.catalog, 'sales.mjs'),
      `export default ${JSON.stringify({ name: 'pg_sales', source: { kind: 'postgres', url: PG_URL, table: `${schema}.sales`, watermarkColumn: 'order_date' }, target: { table: 'shop.sales', recordKey: ['id'] } })};\n`,
    );
  });
  afterAll(async () => {
    await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('replays the rows of each order_date, and not the watermark', async () => {
    const first = await jsonIn(dir, 'daily-run');
    expect(first.results.map((r: any) => [r.status, r.recordsRead])).toEqual([['SUCCESS', 7]]);
    const watermark = ((await jsonIn(dir, 'status')) as Array<{ watermark: string }>)[0]!.watermark;
    const backfill = await jsonIn(dir, 'daily-run', '--from', '2024-05-02', '--to', '2024-05-03');
    expect(backfill.results.map((r: any) => [r.status, r.window.start, r.window.basis, r.recordsRead])).toEqual([
      ['SUCCESS', '2024-05-02T00:00:00.000Z', 'data-date', 2],
      ['SUCCESS', '2024-05-03T00:00:00.000Z', 'data-date', 3],
    ]);
    expect(((await jsonIn(dir, 'status')) as Array<{ watermark: string }>)[0]!.watermark).toBe(watermark);
    expect((await jsonIn(dir, 'daily-run', '--pipeline', 'pg_sales', '--dry-run')).planned[0].window.start).toBe(watermark);
  });
});
