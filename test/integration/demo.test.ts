/**
 * The demo on the embedded defaults: the repository's `catalog/` over two generated days, on a temp
 * warehouse with the embedded PGlite metastore (no server). Checks real outcomes against what the
 * generator produced: silver holds the latest version of every order, stale duplicates lost, gold
 * is the aggregate of silver, the log has two runs per pipeline, and day 2's windows continue day
 * 1's. Then ownership: the demo and its reset leave a user's tables, pipelines, log rows and
 * landing files byte for byte as they were, and refuse (changing nothing) where a demo name is taken.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import bronzeOrders from '../../catalog/bronze_orders.ts';
import { type CliIo, main } from '../../src/cli/main.ts';
import { EXIT_USAGE } from '../../src/cli/exit-codes.ts';
import { resolveConfig } from '../../src/config/config.ts';
import { DEMO_MANIFEST, type DemoResult, resetDemo, runDemo } from '../../src/demo/demo.ts';
import { TableExistsError } from '../../src/errors.ts';
import type { Metastore } from '../../src/metastore/metastore.ts';
import { openMetastore } from '../../src/metastore/open-metastore.ts';
import { PG_URL, pgQuery, postgresAvailable, uniqueSchema } from '../support/postgres.ts';
import { type Order, generateDay, generateDays } from '../../src/demo/generator.ts';
import type { Lookback } from '../../src/pipeline/definition.ts';
import type { RunResult } from '../../src/pipeline/run-pipeline.ts';
import { pipelineStatus } from '../../src/pipeline/status.ts';
import { TidemarkSession } from '../../src/session.ts';
import { useTempDir } from '../support/temp-dir.ts';

const catalog = fileURLToPath(new URL('../../catalog/', import.meta.url));
const PIPELINES = ['bronze_customers', 'bronze_orders', 'bronze_products', 'gold_daily_revenue', 'silver_orders'];

describe('the demo generator', () => {
  it('is deterministic, and day N does not depend on later days', () => {
    const two = generateDays(2);
    expect(generateDay(1)).toEqual(two[0]);
    expect(generateDay(2)).toEqual(two[1]);
    expect(generateDays(3)[1]).toEqual(two[1]);
    expect(generateDay(2, { seed: 7 })).not.toEqual(two[1]);
  });

  it('makes day 2 with new orders, updates, late rows and stale duplicates', () => {
    const [d1, d2] = generateDays(2) as [ReturnType<typeof generateDay>, ReturnType<typeof generateDay>];
    expect(d1.orders.length).toBeGreaterThan(2000);
    const first = new Map(d1.orders.map((o) => [o.order_id, o]));
    const late = d2.orders.filter((o) => !first.has(o.order_id) && o.order_date === d1.date);
    const stale = d2.orders.filter((o) => first.has(o.order_id) && o.updated_at < first.get(o.order_id)!.updated_at);
    const updates = d2.orders.filter((o) => first.has(o.order_id) && o.updated_at > first.get(o.order_id)!.updated_at);
    expect(new Set(late.map((o) => o.order_id)).size).toBe(d2.stats.lateOrders);
    expect(stale.length).toBe(d2.stats.staleDuplicates);
    expect(updates.length).toBe(d2.stats.statusUpdates);
    expect([d2.stats.lateOrders, d2.stats.staleDuplicates, d2.stats.statusUpdates, d2.stats.priceChanges].every((n) => n > 0)).toBe(true);
    for (const o of [...d1.orders, ...d2.orders]) expect(Math.round(o.quantity * o.unit_price * 100)).toBe(Math.round(o.amount * 100));
  });
});

describe('npm run demo (runDemo) on a fresh warehouse', () => {
  const warehouse = useTempDir('demo');
  let out = '';
  let result: DemoResult;
  let session: TidemarkSession;
  const sql = (statement: string): Promise<Record<string, unknown>[]> => session.engine.sql(statement, async (name) => path.join(warehouse, ...name.split('.')));
  const run = (day: number, pipeline: string): RunResult => result.runs[day - 1]!.results.find((r) => r.pipeline === pipeline)!;

  beforeAll(async () => {
    vi.stubEnv('TIDEMARK_METASTORE_URL', ''); // the embedded store, whatever the shell says
    fs.writeFileSync(path.join(warehouse, '.gitkeep'), '');
    result = await runDemo({ warehouse, catalog, io: { stdout: (s) => void (out += s), stderr: () => undefined }, progress: false });
    session = await TidemarkSession.open({ warehouse, catalog });
  });
  afterAll(async () => {
    await session?.close();
    vi.unstubAllEnvs();
  });

  it('runs every pipeline to SUCCESS on both days, on the embedded metastore', () => {
    expect(result.ok).toBe(true);
    expect(result.runs).toHaveLength(2);
    for (const day of result.runs) {
      expect(day.results.map((r) => [r.pipeline, r.status, r.error])).toEqual(expect.arrayContaining(PIPELINES.map((p) => [p, 'SUCCESS', undefined])));
      expect(day.results).toHaveLength(PIPELINES.length);
    }
    expect(session.config.metastoreUrl).toBeUndefined();
    expect(fs.existsSync(path.join(warehouse, '.metastore'))).toBe(true);
    expect(out).toMatch(/^daily-run: 5 pipelines SUCCESS in [\d.]+ s$/m);
    expect(out).toContain('every order is at its latest version');
    expect(out).toContain("tidemark_scan('gold.daily_revenue')");
    expect(out).not.toContain('\r'); // no progress redraws when stdout is not a terminal
  });

  it('silver has exactly the latest version of every generated order', async () => {
    const expected = new Map<number, Order>();
    for (const batch of generateDays(2)) {
      for (const o of batch.orders) {
        const seen = expected.get(o.order_id);
        if (seen === undefined || o.updated_at > seen.updated_at) expected.set(o.order_id, o);
      }
    }
    const rows = await sql(`SELECT order_id, status, strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') AS updated_at, amount::VARCHAR AS amount, quantity, order_date::VARCHAR AS order_date FROM tidemark_scan('silver.orders')`);
    expect(rows).toHaveLength(expected.size);
    const actual = new Map(rows.map((r) => [Number(r.order_id), r]));
    let compared = 0;
    for (const [id, want] of expected) {
      const got = actual.get(id);
      expect(got, `order ${id}`).toBeDefined();
      expect([got!.status, got!.updated_at, Number(got!.amount), Number(got!.quantity), got!.order_date]).toEqual([want.status, want.updated_at, want.amount, want.quantity, want.order_date]);
      compared++;
    }
    expect(compared).toBe(expected.size);
    // Enrichment found every customer and product (the checks insist on it).
    const [{ missing }] = (await sql(`SELECT count(*) AS missing FROM tidemark_scan('silver.orders') WHERE customer_country IS NULL OR product_category IS NULL`)) as [{ missing: bigint }];
    expect(Number(missing)).toBe(0);
  });

  it('stale duplicates did not win, in bronze or in silver', async () => {
    const [d1, d2] = result.batches;
    const first = new Map(d1!.orders.map((o) => [o.order_id, o]));
    const stale = d2!.orders.filter((o) => first.has(o.order_id) && o.updated_at < first.get(o.order_id)!.updated_at);
    expect(stale.length).toBe(d2!.stats.staleDuplicates);
    expect(stale.length).toBeGreaterThan(0);
    const ids = stale.map((o) => o.order_id).join(', ');
    for (const table of ['bronze.orders', 'silver.orders']) {
      const rows = await sql(`SELECT order_id, status, strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') AS updated_at FROM tidemark_scan('${table}') WHERE order_id IN (${ids})`);
      expect(rows).toHaveLength(stale.length);
      const byId = new Map(rows.map((r) => [Number(r.order_id), r]));
      for (const s of stale) {
        const got = byId.get(s.order_id)!;
        expect(String(got.updated_at) > s.updated_at, `${table} order ${s.order_id}`).toBe(true);
        expect(got.status).not.toBe(s.status);
      }
    }
  });

  it("gold's revenue per day is the sum over silver", async () => {
    const diff = await sql(`
      WITH s AS (
        SELECT order_date,
               count(*) FILTER (WHERE status <> 'cancelled') AS orders,
               coalesce(sum(amount) FILTER (WHERE status <> 'cancelled'), 0) AS revenue
        FROM tidemark_scan('silver.orders') GROUP BY order_date)
      SELECT coalesce(g.order_date, s.order_date)::VARCHAR AS d, g.orders AS g_orders, s.orders AS s_orders, g.revenue::VARCHAR AS g_rev, s.revenue::VARCHAR AS s_rev
      FROM tidemark_scan('gold.daily_revenue') g FULL JOIN s ON g.order_date = s.order_date
      WHERE g.order_date IS NULL OR s.order_date IS NULL OR g.orders <> s.orders OR g.revenue <> s.revenue`);
    expect(diff).toEqual([]);
    const [{ days, revenue }] = (await sql(`SELECT count(*) AS days, sum(revenue)::DOUBLE AS revenue FROM tidemark_scan('gold.daily_revenue')`)) as [{ days: bigint; revenue: number }];
    expect(Number(days)).toBe(8); // 7 days of history + day 2
    expect(revenue).toBeGreaterThan(0);
    // Day 2 recomputed the days its changes touched, not only its own.
    expect(run(2, 'gold_daily_revenue').updated).toBeGreaterThan(0);
  });

  it('status reports two successful runs per pipeline', async () => {
    const statuses = await pipelineStatus(session.context, { days: 14 });
    expect(statuses.map((s) => [s.pipeline, s.runs, s.successes, s.failures, s.lastStatus])).toEqual(PIPELINES.map((p) => [p, 2, 2, 0, 'SUCCESS']));
    expect(result.statusExitCode).toBe(0);
    for (const p of PIPELINES) expect(out).toMatch(new RegExp(`^${p}\\s+SUCCESS`, 'm'));
  });

  it("day 2's windows start where day 1's ended (minus the lookback for files)", async () => {
    const lookback: Lookback = bronzeOrders.lookback;
    const lookbackMs = ((lookback.days ?? 0) * 24 * 60 + (lookback.hours ?? 0) * 60 + (lookback.minutes ?? 0)) * 60_000;
    expect(lookbackMs).toBeGreaterThan(0);
    for (const p of ['bronze_orders', 'bronze_customers', 'bronze_products']) {
      expect(run(1, p).window!.start).toBeNull();
      expect(run(2, p).window!.start!.getTime()).toBe(run(1, p).window!.end.getTime() - lookbackMs);
    }
    for (const p of ['silver_orders', 'gold_daily_revenue']) {
      expect(run(2, p).window!.start!.getTime()).toBe(run(1, p).window!.end.getTime()); // commit instants are exact
    }
    const logged = await session.metastore.runs({ pipelineName: 'bronze_orders' });
    expect(logged.map((r) => r.lastRunTimestamp?.getTime() ?? null)).toEqual([null, run(1, 'bronze_orders').window!.end.getTime() - lookbackMs]);
    // Day 2 read day 1's file again (inside the lookback) and day 2's: late rows inserted, nothing lost.
    const d2 = result.batches[1]!;
    expect(run(2, 'bronze_orders').inserted).toBe(d2.stats.newOrders + d2.stats.lateOrders);
  });

  it('resetDemo removes the demo state (tables, landing files, log rows, registrations) and keeps the metastore and .gitkeep', async () => {
    await session.close();
    const manifest = JSON.parse(fs.readFileSync(path.join(warehouse, DEMO_MANIFEST), 'utf8')) as { metastores: Record<string, unknown>; landing: string[] };
    expect(Object.keys(manifest.metastores)).toEqual(['embedded']);
    expect(manifest.landing).toContain('landing/orders/day=2/part-0.jsonl');
    const metastoreVersion = fs.statSync(path.join(warehouse, '.metastore', 'PG_VERSION'));
    const reset = await resetDemo({ warehouse, catalog });
    session = await TidemarkSession.open({ warehouse, catalog }); // for afterAll, and to look: the same store, emptied of the demo
    const removed = reset.removed.map((p) => path.relative(warehouse, p));
    expect(removed).toEqual(expect.arrayContaining(['landing', path.join('landing', 'orders', 'day=1', 'part-0.jsonl'), path.join('bronze', 'orders'), 'bronze', path.join('gold', 'daily_revenue'), 'gold', 'silver']));
    expect([...reset.unregistered].sort()).toEqual(['bronze.customers', 'bronze.orders', 'bronze.products', 'gold.daily_revenue', 'silver.orders']);
    expect(reset.logRows).toBe(2 * PIPELINES.length);
    expect(fs.readdirSync(warehouse).sort()).toEqual(['.gitkeep', '.metastore', '.metastore.lock']);
    expect(fs.statSync(path.join(warehouse, '.metastore', 'PG_VERSION')).ino).toBe(metastoreVersion.ino); // not deleted and recreated
    expect(await session.metastore.runs({})).toEqual([]);
    expect(await session.metastore.listTables()).toEqual([]);
  });
});

/** Every file under `root` with the sha256 of its bytes, by relative path. */
function hashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(abs);
      else out[path.relative(root, abs)] = createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    }
  };
  walk(root);
  return out;
}

/** The warehouse's files outside the embedded metastore, hashed (what "left as it was" means for files). */
const warehouseFiles = (warehouse: string): Record<string, string> =>
  Object.fromEntries(Object.entries(hashes(warehouse)).filter(([p]) => !p.startsWith('.metastore')));

function captureIo(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: (s) => void (out += s), stderr: (s) => void (err += s) }, out: () => out, err: () => err };
}

/** A session-less look at the embedded metastore of `warehouse`. */
async function withMetastore<T>(warehouse: string, fn: (ms: Metastore) => Promise<T>): Promise<T> {
  const ms = await openMetastore(resolveConfig({ warehouse }, {}));
  try {
    return await fn(ms);
  } finally {
    await ms.close();
  }
}

describe("the demo touches only its own data", () => {
  const root = useTempDir('demo-owner');
  const warehouse = path.join(root, 'warehouse');
  const userCatalog = path.join(root, 'my-catalog');
  const quiet = captureIo();

  beforeAll(() => {
    vi.stubEnv('TIDEMARK_METASTORE_URL', '');
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it("keeps a user's table, pipeline, log rows and landing files byte for byte through demo runs and resets", async () => {
    // The user's own things: a table written by hand, a pipeline of their catalog with one run, a landing file.
    const input = path.join(root, 'things.csv');
    fs.writeFileSync(input, 'id,name\n1,anchor\n2,buoy\n');
    expect(await main(['--warehouse', warehouse, 'write', 'mine.things', '--input', input, '--key', 'id'], quiet.io)).toBe(0);
    fs.mkdirSync(path.join(warehouse, 'landing', 'mine'), { recursive: true });
    fs.writeFileSync(path.join(warehouse, 'landing', 'mine', 'events.csv'), 'id,kind\n1,tide\n2,wave\n');
    fs.mkdirSync(userCatalog);
    fs.writeFileSync(path.join(userCatalog, 'mine_events.mjs'), `export default {
      name: 'mine_events',
      source: { kind: 'files', path: '{warehouse}/landing/mine/*.csv', format: 'csv' },
      target: { table: 'mine.events', recordKey: ['id'] },
      schedule: 'daily',
    };\n`);
    expect(await main(['--warehouse', warehouse, '--catalog', userCatalog, 'daily-run', '--all'], quiet.io), quiet.err()).toBe(0);
    const before = {
      things: hashes(path.join(warehouse, 'mine', 'things')),
      events: hashes(path.join(warehouse, 'mine', 'events')),
      landing: hashes(path.join(warehouse, 'landing', 'mine')),
      ...(await withMetastore(warehouse, async (ms) => ({ tables: await ms.listTables(), runs: await ms.runs({}) }))),
    };
    expect(before.tables.map((t) => `${t.database}.${t.name}`)).toEqual(['mine.events', 'mine.things']);
    expect(before.runs.map((r) => [r.pipelineName, r.status])).toEqual([['mine_events', 'SUCCESS']]);
    expect(Object.keys(before.things).length).toBeGreaterThan(1);

    // The demo twice, the second time through the CLI (reset, then run): the reset path runs on real demo state.
    const first = captureIo();
    expect((await runDemo({ warehouse, io: first.io, progress: false })).ok).toBe(true);
    const second = captureIo();
    expect(await main(['--warehouse', warehouse, 'demo'], second.io), second.err()).toBe(0);
    expect(second.out()).toMatch(/^reset the previous demo run: removed 10 log rows, 5 registrations, \d+ files and folders$/m);
    expect(second.out()).toMatch(/^mine_events\s+SUCCESS/m); // `status` ran with the demo's catalog, and the user's log is still there

    const after = await withMetastore(warehouse, async (ms) => ({ tables: await ms.listTables(), runs: await ms.runs({}) }));
    expect(hashes(path.join(warehouse, 'mine', 'things'))).toEqual(before.things);
    expect(hashes(path.join(warehouse, 'mine', 'events'))).toEqual(before.events);
    expect(hashes(path.join(warehouse, 'landing', 'mine'))).toEqual(before.landing);
    expect(after.tables.filter((t) => t.database === 'mine')).toEqual(before.tables);
    expect(after.runs.filter((r) => r.pipelineName === 'mine_events')).toEqual(before.runs);
    // The second demo started from nothing: one run per day per demo pipeline, not four.
    for (const p of PIPELINES) expect(after.runs.filter((r) => r.pipelineName === p).map((r) => r.status), p).toEqual(['SUCCESS', 'SUCCESS']);

    // A last reset takes the warehouse back to the user's things alone.
    const reset = await resetDemo({ warehouse });
    expect(reset.unregistered).toHaveLength(PIPELINES.length);
    expect(fs.readdirSync(warehouse).sort()).toEqual(['.metastore', 'landing', 'mine']);
    expect(fs.readdirSync(path.join(warehouse, 'landing'))).toEqual(['mine']);
    expect(await withMetastore(warehouse, async (ms) => ({ tables: await ms.listTables(), runs: await ms.runs({}) }))).toEqual({ tables: before.tables, runs: before.runs });
    expect(hashes(path.join(warehouse, 'mine', 'things'))).toEqual(before.things);
  });
});

describe('the demo refuses what it did not create', () => {
  const root = useTempDir('demo-refuse');
  const quiet = captureIo();

  beforeAll(() => {
    vi.stubEnv('TIDEMARK_METASTORE_URL', '');
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('refuses, naming it, a bronze.orders table at its path and name, and changes nothing', async () => {
    const warehouse = path.join(root, 'taken');
    const input = path.join(root, 'orders.csv');
    fs.writeFileSync(input, 'id,total\n1,9.5\n');
    expect(await main(['--warehouse', warehouse, 'write', 'bronze.orders', '--input', input, '--key', 'id'], quiet.io)).toBe(0);
    const files = warehouseFiles(warehouse);
    const registered = await withMetastore(warehouse, (ms) => ms.listTables());
    const dir = path.join(warehouse, 'bronze', 'orders');

    const viaReset = await resetDemo({ warehouse }).then(() => undefined, (e: unknown) => e);
    expect(viaReset).toBeInstanceOf(TableExistsError);
    expect((viaReset as TableExistsError).message).toContain(`table directory ${dir} (bronze.orders)`);
    expect((viaReset as TableExistsError).message).toContain(`registered table bronze.orders (at ${dir})`);
    expect((viaReset as TableExistsError).table).toBe(dir);

    const io = captureIo();
    const viaRun = await runDemo({ warehouse, io: io.io, progress: false }).then(() => undefined, (e: unknown) => e);
    expect(viaRun).toBeInstanceOf(TableExistsError);
    expect(io.out()).toBe(''); // refused before its first line

    const cli = captureIo();
    expect(await main(['--warehouse', warehouse, 'demo'], cli.io)).toBe(EXIT_USAGE);
    expect(cli.err()).toContain(`table directory ${dir} (bronze.orders)`);

    expect(warehouseFiles(warehouse)).toEqual(files);
    expect(fs.existsSync(path.join(warehouse, DEMO_MANIFEST))).toBe(false);
    expect(await withMetastore(warehouse, async (ms) => ({ tables: await ms.listTables(), runs: await ms.runs({}) }))).toEqual({ tables: registered, runs: [] });
  });

  it('refuses log rows of a demo pipeline it did not write and a file in its landing area, naming both', async () => {
    const warehouse = path.join(root, 'busy');
    const extra = path.join(warehouse, 'landing', 'orders', 'from-my-shop.jsonl');
    fs.mkdirSync(path.dirname(extra), { recursive: true });
    fs.writeFileSync(extra, '{"order_id":1}\n');

    // Files alone: refused before the embedded metastore is even created.
    const early = await runDemo({ warehouse, io: quiet.io, progress: false }).then(() => undefined, (e: unknown) => e);
    expect(early).toBeInstanceOf(TableExistsError);
    expect((early as Error).message).toContain(`landing file ${extra}`);
    expect(fs.readdirSync(warehouse)).toEqual(['landing']);

    await withMetastore(warehouse, (ms) => ms.startRun({
      runId: randomUUID(), pipelineName: 'silver_orders', targetTable: 'mine.orders', lastRunTimestamp: null, currentRunTimestamp: new Date(), startedAt: new Date(),
    }));
    const files = warehouseFiles(warehouse);
    for (const attempt of [() => resetDemo({ warehouse }), () => runDemo({ warehouse, io: quiet.io, progress: false })]) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TableExistsError);
      expect((error as Error).message).toContain(`landing file ${extra}`);
      expect((error as Error).message).toContain('pipeline silver_orders (1 run in pipeline_log)');
    }
    expect(warehouseFiles(warehouse)).toEqual(files);
    expect((await withMetastore(warehouse, (ms) => ms.runs({}))).map((r) => r.pipelineName)).toEqual(['silver_orders']);
  });
});

describe.skipIf(!(await postgresAvailable()))('the demo on a PostgreSQL metastore', () => {
  const root = useTempDir('demo-pg');
  const warehouse = path.join(root, 'warehouse');
  const schema = uniqueSchema('tm_demo');
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const count = async (table: string): Promise<number> => Number((await pgQuery(`SELECT count(*) AS n FROM ${schema}.${table}`)).rows[0].n);

  beforeAll(async () => {
    await pgQuery(`CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('uses the --metastore of `tidemark demo`, and TIDEMARK_METASTORE_URL, never an embedded store', async () => {
    const cli = captureIo();
    expect(await main(['--warehouse', warehouse, '--metastore', url.href, 'demo'], cli.io), cli.err()).toBe(0);
    expect(cli.out()).toContain(`PostgreSQL metastore ${url.href}`);
    expect(fs.existsSync(path.join(warehouse, '.metastore'))).toBe(false);
    expect([await count('table_registry'), await count('pipeline_log')]).toEqual([PIPELINES.length, 2 * PIPELINES.length]);
    const manifest = JSON.parse(fs.readFileSync(path.join(warehouse, DEMO_MANIFEST), 'utf8')) as { metastores: Record<string, unknown> };
    expect(Object.keys(manifest.metastores)).toEqual([url.href]);

    vi.stubEnv('TIDEMARK_METASTORE_URL', url.href);
    const reset = await resetDemo({ warehouse });
    expect(reset.logRows).toBe(2 * PIPELINES.length);
    expect([await count('table_registry'), await count('pipeline_log')]).toEqual([0, 0]);
    expect(fs.readdirSync(warehouse)).toEqual([]);
  });
});
