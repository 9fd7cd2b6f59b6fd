/**
 * Pipelines on a real PostgreSQL source table: first full load, incremental updates and inserts,
 * older versions losing, failed runs (bad transform, failing check) changing nothing, the failed
 * window processed by the next good run, and crashes reconciled from the timeline.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TidemarkSession } from '../../src/session.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { definePipeline, type PipelineDefinition } from '../../src/pipeline/definition.ts';
import { FixedClock } from '../../src/time/clock.ts';
import { PG_URL, pgQuery, postgresAvailable, uniqueSchema } from '../support/postgres.ts';
import { treeFingerprint } from '../support/tree.ts';
import { useTempDir } from '../support/temp-dir.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = await postgresAvailable();

describe.skipIf(!available)('pipelines from a PostgreSQL source', () => {
  const schema = uniqueSchema('tm_src');
  const warehouse = useTempDir('pipe');
  const clock = new FixedClock('2024-03-01T00:00:00Z');
  let session: TidemarkSession;
  const def = (over: Partial<PipelineDefinition> = {}): PipelineDefinition =>
    definePipeline({
      name: 'orders_silver',
      source: { kind: 'postgres', url: PG_URL, table: `${schema}.order_events`, watermarkColumn: 'updated_at' },
      transform: 'SELECT order_id, customer, amount, status, updated_at, order_date FROM source',
      checks: [{ kind: 'not_null', column: 'customer' }, { kind: 'unique', column: 'order_id' }, { kind: 'accepted_values', column: 'status', values: ['new', 'paid', 'shipped'] }],
      target: { table: 'sales.orders', recordKey: ['order_id'], precombine: 'updated_at', partitionBy: ['order_date'] },
      lookback: { days: 1 },
      ...over,
    });
  const open = async (): Promise<void> => {
    session = await TidemarkSession.open({ warehouse, catalog: path.join(warehouse, 'no-catalog'), clock });
  };
  const insert = (rows: Array<[number, string | null, number, string, string, string]>): Promise<unknown> =>
    pgQuery(
      `INSERT INTO ${schema}.order_events (order_id, customer, amount, status, updated_at, order_date) VALUES ${rows.map((_, i) => `($${i * 6 + 1}, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}, $${i * 6 + 5}, $${i * 6 + 6})`).join(', ')}`,
      rows.flat(),
    );
  const target = (): string => path.join(warehouse, 'sales', 'orders');
  const orders = async (): Promise<Array<[number, string, number, string]>> =>
    (await session.engine.read(target(), { columns: ['order_id', 'customer', 'amount', 'status'] }))
      .map((r) => [Number(r.order_id), String(r.customer), Number(String(r.amount)), String(r.status)] as [number, string, number, string])
      .sort((a, b) => a[0] - b[0]);
  const log = async () => session.metastore.runs({ pipelineName: 'orders_silver' });

  beforeAll(async () => {
    await pgQuery(`CREATE SCHEMA ${schema}`);
    // An event table (no primary key): several versions of one order can arrive in one window.
    await pgQuery(`CREATE TABLE ${schema}.order_events (order_id int, customer text, amount numeric(10,2), status text, updated_at timestamptz, order_date date)`);
    await open();
  });
  afterAll(async () => {
    await session?.close();
    await pgQuery(`DROP SCHEMA ${schema} CASCADE`);
  });

  it('first run loads everything, keeping the newest version of each order', async () => {
    await insert([
      [1, 'ann', 10, 'new', '2024-02-01T10:00:00Z', '2024-02-01'],
      [1, 'ann', 12.5, 'paid', '2024-02-01T11:00:00Z', '2024-02-01'],
      [2, 'bob', 20, 'new', '2024-02-02T10:00:00Z', '2024-02-02'],
    ]);
    const r = await runPipeline(session.context, def());
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('SUCCESS');
    expect(r.window!.start).toBeNull();
    expect([r.recordsRead, r.inserted]).toEqual([3, 2]);
    expect(await orders()).toEqual([[1, 'ann', 12.5, 'paid'], [2, 'bob', 20, 'new']]);
    const [row] = await log();
    expect(row).toMatchObject({ status: 'SUCCESS', recordsProcessed: 3, lastRunTimestamp: null, commitInstant: r.instant });
    expect(row!.currentRunTimestamp.toISOString()).toBe('2024-03-01T00:00:00.000Z');
    const commit = (await session.engine.table(target())).commits.get(r.instant!)!;
    expect(commit.extraMetadata['tidemark.run_id']).toBe(r.runId);
    expect(commit.extraMetadata['tidemark.window_end']).toBe('2024-03-01T00:00:00.000Z');
    expect((await session.metastore.getTable('sales', 'orders'))?.latestInstant).toBe(r.instant);
  });

  it('a rerun with no new data is a SUCCESS with 0 records and no commit', async () => {
    clock.tick(60_000);
    const before = (await session.engine.commits(target())).length;
    const r = await runPipeline(session.context, def());
    expect([r.status, r.inserted, r.updated, r.instant]).toEqual(['SUCCESS', 0, 0, undefined]);
    expect((await session.engine.commits(target())).length).toBe(before);
  });

  it('updates and inserts appear after the next run', async () => {
    clock.tick(3_600_000); // 01:01
    await insert([
      [2, 'bob', 25, 'shipped', '2024-03-01T00:30:00Z', '2024-02-02'],
      [3, 'cy', 30, 'new', '2024-03-01T00:40:00Z', '2024-03-01'],
    ]);
    const r = await runPipeline(session.context, def());
    expect(r.status).toBe('SUCCESS');
    expect([r.inserted, r.updated]).toEqual([1, 1]);
    expect(await orders()).toEqual([[1, 'ann', 12.5, 'paid'], [2, 'bob', 25, 'shipped'], [3, 'cy', 30, 'new']]);
  });

  it('a late row with an older ordering value does not win, and the replayed lookback rewrites nothing', async () => {
    clock.tick(60_000); // 01:02
    // Late: a version of order 2 older than the stored 00:30 one, inside the one-day lookback.
    await insert([[2, 'bob', 99, 'new', '2024-02-29T23:00:00Z', '2024-02-02']]);
    const commits = (await session.engine.commits(target())).length;
    const r = await runPipeline(session.context, def());
    expect(r.status).toBe('SUCCESS');
    expect(r.recordsRead).toBe(3); // the late row and the lookback's replay of orders 2 and 3
    expect([r.inserted, r.updated, r.instant]).toEqual([0, 0, undefined]);
    expect((await orders())[1]).toEqual([2, 'bob', 25, 'shipped']);
    expect((await session.engine.commits(target())).length).toBe(commits);
  });

  it('a bad transform fails the run, logs it, and changes neither table nor watermark; the next good run catches up', async () => {
    clock.tick(3_600_000);
    await insert([[4, 'dee', 40, 'new', '2024-03-01T01:30:00Z', '2024-03-01']]);
    const files = treeFingerprint(target());
    const watermark = (await session.metastore.lastSuccess('orders_silver'))!.currentRunTimestamp;
    const bad = await runPipeline(session.context, def({ transform: 'SELECT no_such_column FROM source' }));
    expect(bad.status).toBe('FAILED');
    expect(bad.error).toMatch(/transform of pipeline orders_silver failed.*no_such_column/);
    expect(treeFingerprint(target())).toEqual(files);
    expect((await session.metastore.lastSuccess('orders_silver'))!.currentRunTimestamp).toEqual(watermark);
    expect((await log()).at(-1)).toMatchObject({ status: 'FAILED', errorMessage: bad.error });

    clock.tick(1000);
    const checkFail = await runPipeline(session.context, def({ checks: [{ kind: 'accepted_values', column: 'status', values: ['paid'] }] }));
    expect(checkFail.status).toBe('FAILED');
    expect(checkFail.error).toMatch(/^\[check\] check failed: accepted_values\(status\): \d+ rows? fails?, e\.g\. order_id=\d+ status='\w+'/);
    expect(checkFail.rejected).toBeGreaterThan(0);
    expect((await log()).at(-1)).toMatchObject({ status: 'FAILED', recordsRejected: checkFail.rejected });
    expect(treeFingerprint(target())).toEqual(files);

    clock.tick(1000);
    const good = await runPipeline(session.context, def());
    expect(good.status).toBe('SUCCESS');
    expect(good.window!.start!.getTime()).toBe(watermark.getTime() - 86_400_000);
    expect((await orders()).map((o) => o[0])).toEqual([1, 2, 3, 4]);
  });

  it('a process killed after the table commit is reconciled: no window lost or applied twice', async () => {
    clock.tick(3_600_000);
    await insert([[5, 'eve', 50, 'new', '2024-03-01T02:30:00Z', '2024-03-01']]);
    await session.close();
    const args = [JSON.stringify(def()), warehouse, 'after-commit', clock.now().toISO()!];
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', path.join(here, '../support/crash-run.ts'), ...args], { stdio: 'pipe' })).toThrow();
    await open();
    const dead = (await log()).at(-1)!;
    expect(dead.status).toBe('RUNNING');
    const committed = (await session.engine.commits(target())).at(-1)!;
    clock.tick(60_000);
    const next = await runPipeline(session.context, def());
    const runs = await log();
    const reconciled = runs.find((r) => r.runId === dead.runId)!;
    expect(reconciled).toMatchObject({ status: 'SUCCESS', commitInstant: committed.time, recordsInserted: 1 });
    expect(next.status).toBe('SUCCESS');
    expect(next.window!.start!.getTime()).toBe(reconciled.currentRunTimestamp.getTime() - 86_400_000);
    expect([next.inserted, next.updated]).toEqual([0, 0]); // the replayed lookback is unchanged data
    expect((await orders()).map((o) => o[0])).toEqual([1, 2, 3, 4, 5]);
  });

  it('a process killed before committing is reconciled as FAILED and its window is processed again', async () => {
    clock.tick(3_600_000);
    await insert([[6, 'fay', 60, 'new', '2024-03-01T03:30:00Z', '2024-03-01']]);
    await session.close();
    const args = [JSON.stringify(def()), warehouse, 'before-commit', clock.now().toISO()!];
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', path.join(here, '../support/crash-run.ts'), ...args], { stdio: 'pipe' })).toThrow();
    await open();
    const dead = (await log()).at(-1)!;
    expect(dead.status).toBe('RUNNING');
    const next = await runPipeline(session.context, def());
    expect((await log()).find((r) => r.runId === dead.runId)).toMatchObject({ status: 'FAILED' });
    expect(next.status).toBe('SUCCESS');
    expect(next.inserted).toBe(1);
    expect((await orders()).map((o) => o[0])).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
