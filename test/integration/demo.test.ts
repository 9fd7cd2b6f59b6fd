/**
 * The demo on the embedded defaults: the repository's `catalog/` over two generated days, on a temp
 * warehouse with the embedded PGlite metastore (no server). Checks real outcomes against what the
 * generator produced: silver holds the latest version of every order, stale duplicates lost, gold
 * is the aggregate of silver, the log has two runs per pipeline, and day 2's windows continue day
 * 1's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import bronzeOrders from '../../catalog/bronze_orders.ts';
import { type DemoResult, resetDemo, runDemo } from '../../src/demo/demo.ts';
import { type Order, generateDay, generateDays } from '../../src/demo/generator.ts';
import type { Lookback } from '../../src/pipeline/definition.ts';
import type { RunResult } from '../../src/pipeline/run-pipeline.ts';
import { pipelineStatus } from '../../src/pipeline/status.ts';
import { TidemarkSession } from '../../src/session.ts';

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
  const warehouse = fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-demo-'));
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
    fs.rmSync(warehouse, { recursive: true, force: true });
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

  it('resetDemo removes the demo state but keeps .gitkeep', async () => {
    await session.close();
    const removed = await resetDemo({ warehouse, catalog });
    session = await TidemarkSession.open({ warehouse, catalog }); // for afterAll; a fresh, empty store
    expect(removed.map((p) => path.relative(warehouse, p)).sort()).toEqual(expect.arrayContaining(['.metastore', 'landing', path.join('bronze', 'orders'), path.join('gold', 'daily_revenue')]));
    expect(fs.readdirSync(warehouse).sort()).toEqual(['.gitkeep', '.metastore', '.metastore.lock']);
    expect(await session.metastore.runs({})).toEqual([]);
  });
});
