/**
 * The behaviour every metastore adapter must have, run against each store (PGlite, a PostgreSQL
 * server). Both suites run the same migrations through it, which is what proves one set of
 * migrations serves both stores.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { MIGRATIONS_DIR } from '../../src/metastore/knex-metastore.ts';
import { type Metastore, type PipelineRun, RUN_STATUSES, type RunOutcome, type TableRegistration } from '../../src/metastore/metastore.ts';

/** A migrated store under test. */
export interface MetastoreHarness {
  readonly metastore: Metastore;
  /** Raw SQL on the same store: the contract also checks the schema that users' SQL relies on. */
  readonly knex: Knex;
  /** Another metastore instance on the same store with its own connection (session where the store has more than one). */
  peer(): Promise<Metastore>;
  cleanup(): Promise<void>;
}

const at = (iso: string): Date => new Date(iso);
const unique = (prefix: string): string => `${prefix}_${randomUUID().slice(0, 8)}`;

function registration(database: string, name: string, overrides: Partial<TableRegistration> = {}): TableRegistration {
  return {
    database,
    name,
    basePath: `/warehouse/${database}/${name}`,
    recordKeyFields: ['order_id', 'line_no'],
    precombineField: 'updated_at',
    partitionFields: ['order_date'],
    tableType: 'COPY_ON_WRITE',
    schema: '{"type":"record","name":"orders","fields":[]}',
    properties: { 'hoodie.table.name': name, 'hoodie.table.version': '6' },
    latestInstant: null,
    ...overrides,
  };
}

const ZERO: Omit<RunOutcome, 'status' | 'endedAt'> = {
  recordsProcessed: 0, recordsRead: 0, recordsInserted: 0, recordsUpdated: 0, recordsDeleted: 0,
  recordsSkippedOlder: 0, recordsRejected: 0, keysInTwoPartitions: 0, commitInstant: null, processingTimeSeconds: null, errorMessage: null,
};

/** Start times that never repeat, so runs started in one millisecond still list in start order. */
let lastStart = 0;
const nextStart = (): Date => new Date((lastStart = Math.max(Date.now(), lastStart + 1)));

/** Starts a run with window (`from`, `to`] and, unless `status` is RUNNING, finishes it. */
async function run(ms: Metastore, pipelineName: string, from: string | null, to: string, status: (typeof RUN_STATUSES)[number], extra: Partial<RunOutcome> = {}): Promise<string> {
  const runId = randomUUID();
  await ms.startRun({ runId, pipelineName, targetTable: 'sales.orders', lastRunTimestamp: from === null ? null : at(from), currentRunTimestamp: at(to), startedAt: nextStart() });
  if (status !== 'RUNNING') await ms.finishRun(runId, { ...ZERO, status, endedAt: new Date(), ...extra });
  return runId;
}

/** Registers the contract's tests for the store `factory` opens (once per suite; tests use unique names). */
export function describeMetastoreContract(label: string, factory: () => Promise<MetastoreHarness>): void {
  describe(`metastore contract: ${label}`, () => {
    let h: MetastoreHarness;
    beforeAll(async () => {
      h = await factory();
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('applies exactly the files in migrations/, and migrating again is a no-op', async () => {
      const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.ts')).sort();
      const applied = async () => (await h.knex('knex_migrations').orderBy('id').select('name', 'batch')) as Array<{ name: string; batch: number }>;
      const before = await applied();
      expect(before.map((m) => m.name)).toEqual(files);
      await h.metastore.migrate();
      await h.metastore.migrate();
      expect(await applied()).toEqual(before);
    });

    it('has the pipeline_log columns and indexes that monitoring SQL queries', async () => {
      const cols = (await h.knex('information_schema.columns')
        .where({ table_schema: h.knex.raw('current_schema()'), table_name: 'pipeline_log' })
        .select('column_name', 'data_type', 'is_nullable')) as Array<{ column_name: string; data_type: string; is_nullable: string }>;
      const type = Object.fromEntries(cols.map((c) => [c.column_name, `${c.data_type}${c.is_nullable === 'YES' ? ' null' : ''}`]));
      expect(type).toMatchObject({
        pipeline_name: 'character varying',
        last_run_timestamp: 'timestamp with time zone null',
        current_run_timestamp: 'timestamp with time zone',
        status: 'character varying',
        records_processed: 'bigint',
        processing_time_seconds: 'double precision null',
        error_message: 'text null',
        run_id: 'uuid',
        records_rejected: 'bigint',
        started_at: 'timestamp with time zone',
        ended_at: 'timestamp with time zone null',
      });
      const indexes = (await h.knex.raw(`select indexdef from pg_indexes where schemaname = current_schema() and tablename = 'pipeline_log'`)).rows as Array<{ indexdef: string }>;
      const defs = indexes.map((i) => i.indexdef.replace(/^.* USING btree /, ''));
      expect(defs).toEqual(expect.arrayContaining(['(pipeline_name, started_at)', '(pipeline_name, status, current_run_timestamp)']));
    });

    it('registers, reads, lists, re-registers and updates tables', async () => {
      const db = unique('db');
      const ms = h.metastore;
      expect(await ms.getTable(db, 'orders')).toBeUndefined();
      const first = await ms.registerTable(registration(db, 'orders'));
      expect(first).toMatchObject({ ...registration(db, 'orders') });
      expect(first.createdAt).toBeInstanceOf(Date);
      expect(await ms.getTable(db, 'orders')).toEqual(first);
      await ms.registerTable(registration(db, 'customers', { precombineField: null, partitionFields: [], properties: {} }));

      const again = await ms.registerTable(registration(db, 'orders', { basePath: '/moved/orders', recordKeyFields: ['id'], latestInstant: '20261123101500123' }));
      expect(again).toMatchObject({ basePath: '/moved/orders', recordKeyFields: ['id'], latestInstant: '20261123101500123' });
      expect(again.createdAt.getTime()).toBe(first.createdAt.getTime());
      expect(again.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());

      const mine = (await ms.listTables()).filter((t) => t.database === db);
      expect(mine.map((t) => t.name)).toEqual(['customers', 'orders']);
      expect(mine[0]).toMatchObject({ precombineField: null, partitionFields: [], properties: {} });

      await ms.updateTableState(db, 'orders', '20261123111500000', '{"type":"record","name":"v2","fields":[]}');
      expect(await ms.getTable(db, 'orders')).toMatchObject({ latestInstant: '20261123111500000', schema: '{"type":"record","name":"v2","fields":[]}' });
      await ms.updateTableState(db, 'orders', '20261123121500000', null); // null: schema unknown, keep it
      expect(await ms.getTable(db, 'orders')).toMatchObject({ latestInstant: '20261123121500000', schema: '{"type":"record","name":"v2","fields":[]}' });
      await expect(ms.updateTableState(db, 'missing', '20261123121500000', null)).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('updateTableState only moves the latest instant forward, and says whether it moved', async () => {
      const db = unique('db');
      const ms = h.metastore;
      await ms.registerTable(registration(db, 'orders'));
      expect(await ms.updateTableState(db, 'orders', '20261123121500000', '{"v":"newer"}')).toBe(true);
      // A writer that finishes later with an older commit leaves the newer one (and its schema).
      expect(await ms.updateTableState(db, 'orders', '20261123111500000', '{"v":"older"}')).toBe(false);
      expect(await ms.getTable(db, 'orders')).toMatchObject({ latestInstant: '20261123121500000', schema: '{"v":"newer"}' });
      expect(await ms.updateTableState(db, 'orders', '20261123121500000', '{"v":"same"}')).toBe(false); // the same instant is no move
      expect(await ms.getTable(db, 'orders')).toMatchObject({ latestInstant: '20261123121500000', schema: '{"v":"newer"}' });
      await expect(ms.updateTableState(db, 'orders', '2026-11-23', null)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(ms.updateTableState(db, 'missing', '20261123111500000', null)).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('updateTableState compares 14- and 17-digit instants as times (a 14-digit one is its second\'s 000)', async () => {
      const db = unique('db');
      const ms = h.metastore;
      await ms.registerTable(registration(db, 'orders', { latestInstant: '20261123101600' }));
      const step = async (instant: string) => [await ms.updateTableState(db, 'orders', instant, null), (await ms.getTable(db, 'orders'))?.latestInstant];
      expect(await step('20261123101600000')).toEqual([false, '20261123101600']); // the same second
      expect(await step('20261123101559999')).toEqual([false, '20261123101600']);
      expect(await step('20261123101600001')).toEqual([true, '20261123101600001']);
      expect(await step('20261123101600')).toEqual([false, '20261123101600001']);
      expect(await step('20261123101601')).toEqual([true, '20261123101601']);
      expect(await step('20261123101600999')).toEqual([false, '20261123101601']);
      expect(await step('20261123101601000')).toEqual([false, '20261123101601']);
    });

    it('concurrent updateTableState calls arriving newest first end at the newest instant', async () => {
      const peer = await h.peer();
      try {
        const db = unique('db');
        await h.metastore.registerTable(registration(db, 'orders', { latestInstant: '20261123100000' }));
        const instants = Array.from({ length: 12 }, (_, i) => `202611231016${String(i).padStart(2, '0')}${i % 3 === 0 ? '' : '500'}`);
        const newest = instants.at(-1)!;
        const newestFirst = [...instants].reverse();
        const moved = await Promise.all(newestFirst.map((t, i) => (i % 2 === 0 ? h.metastore : peer).updateTableState(db, 'orders', t, `{"v":"${t}"}`)));
        expect(moved[0]).toBe(true);
        expect(await h.metastore.getTable(db, 'orders')).toMatchObject({ latestInstant: newest, schema: `{"v":"${newest}"}` });
      } finally {
        await peer.close();
      }
    });

    it('unregisters one table, leaving the others and saying whether there was one', async () => {
      const db = unique('db');
      const ms = h.metastore;
      await ms.registerTable(registration(db, 'orders'));
      await ms.registerTable(registration(db, 'customers'));
      await ms.registerTable(registration(unique('other'), 'orders'));
      expect(await ms.unregisterTable(db, 'orders')).toBe(true);
      expect(await ms.getTable(db, 'orders')).toBeUndefined();
      expect((await ms.listTables()).filter((t) => t.database === db).map((t) => t.name)).toEqual(['customers']);
      expect(await ms.unregisterTable(db, 'orders')).toBe(false);
      expect(await ms.unregisterTable(unique('nowhere'), 'orders')).toBe(false);
      // The name can be registered again, as new.
      const again = await ms.registerTable(registration(db, 'orders', { basePath: '/elsewhere/orders' }));
      expect(again.basePath).toBe('/elsewhere/orders');
    });

    it('round-trips a run: timestamps as the same instant, counts beyond 32 bits, a long error message', async () => {
      const ms = h.metastore;
      const runId = randomUUID();
      const started = new Date('2026-11-23T10:15:30.123Z');
      const from = new Date('2026-11-22T23:59:59.999Z');
      const to = new Date('2026-11-23T10:00:00.001Z');
      const ended = new Date('2026-11-23T10:16:01.456Z');
      const start = { runId, pipelineName: unique('p'), targetTable: 'sales.orders', lastRunTimestamp: from, currentRunTimestamp: to, startedAt: started };
      await ms.startRun(start);
      expect(await ms.runs({ pipelineName: start.pipelineName })).toEqual([{ ...start, ...ZERO, status: 'RUNNING', endedAt: null }]);

      const message = `boom ✗ ${'x'.repeat(100_000)} ünïcode 🌊\nline two`;
      const outcome: RunOutcome = {
        status: 'FAILED', recordsProcessed: 2 ** 40 + 7, recordsRead: 2 ** 33, recordsInserted: 3, recordsUpdated: 4, recordsDeleted: 5,
        recordsSkippedOlder: 6, recordsRejected: 7, keysInTwoPartitions: 8, commitInstant: '20261123101600000', endedAt: ended, processingTimeSeconds: 31.333, errorMessage: message,
      };
      await ms.finishRun(runId, outcome);
      const [back] = await ms.runs({ pipelineName: start.pipelineName });
      expect(back).toEqual({ ...start, ...outcome } satisfies PipelineRun);
      // The stored value is the instant itself, whatever the client's or the session's time zone.
      const epochs = (await h.knex('pipeline_log').where({ run_id: runId })
        .select(h.knex.raw('extract(epoch from current_run_timestamp)::float8 as to_s, extract(epoch from last_run_timestamp)::float8 as from_s'))
        .first()) as { to_s: number; from_s: number };
      expect([Number(epochs.to_s) * 1000, Number(epochs.from_s) * 1000]).toEqual([to.getTime(), from.getTime()]);
      await expect(ms.finishRun(runId, { ...outcome, status: 'SUCCESS' })).rejects.toThrow(/already FAILED/);
      await expect(ms.finishRun(randomUUID(), outcome)).rejects.toThrow(/no run/);
    });

    it('lastSuccess picks the SUCCESS run with the latest window end, ignoring FAILED and RUNNING', async () => {
      const ms = h.metastore;
      const name = unique('orders_pipeline');
      expect(await ms.lastSuccess(name)).toBeUndefined();
      const first = await run(ms, name, null, '2026-11-01T00:00:00Z', 'SUCCESS');
      expect((await ms.lastSuccess(name))?.runId).toBe(first);
      const second = await run(ms, name, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'SUCCESS', { recordsProcessed: 10, endedAt: at('2026-11-02T00:05:00Z') });
      await run(ms, name, '2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z', 'FAILED', { errorMessage: 'bad input' });
      await run(ms, name, '2026-11-02T00:00:00Z', '2026-11-04T00:00:00Z', 'RUNNING');
      await run(ms, unique('other'), null, '2026-12-01T00:00:00Z', 'SUCCESS');
      const last = await ms.lastSuccess(name);
      expect(last).toMatchObject({ runId: second, status: 'SUCCESS', recordsProcessed: 10, currentRunTimestamp: at('2026-11-02T00:00:00Z') });

      // Same window end: the run that ended later wins.
      const rerun = await run(ms, name, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'SUCCESS', { endedAt: at('2026-11-02T00:06:00Z') });
      expect((await ms.lastSuccess(name))?.runId).toBe(rerun);
    });

    it('lists runs by pipeline, start time and status, oldest first', async () => {
      const ms = h.metastore;
      const name = unique('filter_pipeline');
      const a = await run(ms, name, null, '2026-11-01T00:00:00Z', 'SUCCESS');
      await new Promise((r) => setTimeout(r, 5)); // distinct start times, so `since` has a boundary
      const boundary = new Date();
      await new Promise((r) => setTimeout(r, 5));
      const b = await run(ms, name, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'FAILED');
      const c = await run(ms, name, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'RUNNING');
      await run(ms, unique('noise'), null, '2026-11-01T00:00:00Z', 'FAILED');
      const ids = async (q: Parameters<Metastore['runs']>[0]) => (await ms.runs(q)).map((r) => r.runId);

      expect(await ids({ pipelineName: name })).toEqual([a, b, c]);
      expect(await ids({ pipelineName: name, since: boundary })).toEqual([b, c]);
      expect(await ids({ pipelineName: name, status: 'FAILED' })).toEqual([b]);
      expect(await ids({ pipelineName: name, since: boundary, status: 'SUCCESS' })).toEqual([]);
      const all = await ms.runs();
      expect(all.map((r) => r.runId)).toEqual(expect.arrayContaining([a, b, c]));
      const starts = all.map((r) => r.startedAt.getTime());
      expect(starts).toEqual([...starts].sort((x, y) => x - y));
    });

    it('lists the latest runs first, and a limit takes the first N of that order', async () => {
      const ms = h.metastore;
      const name = unique('page_pipeline');
      const a = await run(ms, name, null, '2026-11-01T00:00:00Z', 'SUCCESS');
      const b = await run(ms, name, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'FAILED', { errorMessage: 'line one\nline two' });
      const c = await run(ms, name, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'SUCCESS');
      const d = await run(ms, name, '2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z', 'RUNNING');
      await run(ms, unique('noise'), null, '2026-11-01T00:00:00Z', 'FAILED');
      const ids = async (q: Parameters<Metastore['runs']>[0]) => (await ms.runs(q)).map((r) => r.runId);

      expect(await ids({ pipelineName: name, newestFirst: true })).toEqual([d, c, b, a]);
      expect(await ids({ pipelineName: name, newestFirst: true, limit: 2 })).toEqual([d, c]);
      expect(await ids({ pipelineName: name, limit: 2 })).toEqual([a, b]); // oldest first: the first two
      expect(await ids({ pipelineName: name, newestFirst: true, status: 'SUCCESS', limit: 1 })).toEqual([c]);
      expect(await ids({ pipelineName: name, newestFirst: true, status: 'FAILED' })).toEqual([b]);
      expect(await ids({ pipelineName: name, limit: 10 })).toEqual([a, b, c, d]);
      expect((await ms.runs({ pipelineName: name, status: 'FAILED', limit: 1 }))[0]?.errorMessage).toBe('line one\nline two');
      const latest = await ms.runs({ newestFirst: true, limit: 3 });
      expect(latest).toHaveLength(3);
      const starts = latest.map((r) => r.startedAt.getTime());
      expect(starts).toEqual([...starts].sort((x, y) => y - x));
    });

    it('lists runs started at the same instant newest first in reverse start order', async () => {
      const ms = h.metastore;
      const name = unique('same_start_desc');
      const startedAt = new Date('2026-11-21T00:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const runId = randomUUID();
        ids.push(runId);
        await ms.startRun({ runId, pipelineName: name, targetTable: 'sales.orders', lastRunTimestamp: null, currentRunTimestamp: startedAt, startedAt });
      }
      expect((await ms.runs({ pipelineName: name, newestFirst: true })).map((r) => r.runId)).toEqual([...ids].reverse());
      expect((await ms.runs({ pipelineName: name, newestFirst: true, limit: 1 })).map((r) => r.runId)).toEqual([ids[3]]);
    });

    it('refuses a limit that is not a positive integer, and an unknown status', async () => {
      for (const limit of [0, -1, 1.5, Number.NaN]) {
        await expect(h.metastore.runs({ limit })).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      await expect(h.metastore.runs({ status: 'DONE' as 'SUCCESS' })).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('deleteRuns removes every run of the named pipelines and nothing else', async () => {
      const ms = h.metastore;
      const [a, b, keep] = [unique('del_a'), unique('del_b'), unique('del_keep')];
      await run(ms, a, null, '2026-11-01T00:00:00Z', 'SUCCESS');
      await run(ms, a, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'FAILED');
      await run(ms, a, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'RUNNING');
      await run(ms, b, null, '2026-11-01T00:00:00Z', 'SUCCESS');
      const kept = await run(ms, keep, null, '2026-11-01T00:00:00Z', 'SUCCESS');
      expect(await ms.deleteRuns([])).toBe(0);
      expect(await ms.deleteRuns([a, b, unique('never_ran')])).toBe(4);
      expect(await ms.runs({ pipelineName: a })).toEqual([]);
      expect(await ms.runs({ pipelineName: b })).toEqual([]);
      expect(await ms.lastSuccess(a)).toBeUndefined(); // the watermark goes with the history
      expect((await ms.runs({ pipelineName: keep })).map((r) => r.runId)).toEqual([kept]);
      expect(await ms.deleteRuns([a])).toBe(0);
      // A pipeline whose history was deleted starts again from a first run.
      const fresh = await run(ms, a, null, '2026-12-01T00:00:00Z', 'SUCCESS');
      expect((await ms.lastSuccess(a))?.runId).toBe(fresh);
    });

    it('lists runs started at the same instant in the order they were started', async () => {
      const ms = h.metastore;
      const name = unique('same_start');
      const startedAt = new Date('2026-11-20T00:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const runId = randomUUID();
        ids.push(runId);
        await ms.startRun({ runId, pipelineName: name, targetTable: 'sales.orders', lastRunTimestamp: null, currentRunTimestamp: startedAt, startedAt });
      }
      expect((await ms.runs({ pipelineName: name })).map((r) => r.runId)).toEqual(ids);
    });

    it('withLock: another instance is refused while the lock is held, and gets it after release', async () => {
      const peer = await h.peer();
      try {
        const key = unique('lock');
        const outer = await h.metastore.withLock(key, async () => {
          const inner = await peer.withLock(key, async () => 'peer ran');
          // fn may use the store while holding the lock (PGlite's single connection must not deadlock).
          const runs = await h.metastore.runs({ pipelineName: key });
          return { inner, runs: runs.length };
        });
        expect(outer).toEqual({ acquired: true, value: { inner: { acquired: false }, runs: 0 } });
        expect(await peer.withLock(key, async () => 'peer ran')).toEqual({ acquired: true, value: 'peer ran' });
        // Other keys are independent.
        const both = await h.metastore.withLock(`${key}_a`, () => peer.withLock(`${key}_b`, async () => 1));
        expect(both).toEqual({ acquired: true, value: { acquired: true, value: 1 } });
      } finally {
        await peer.close();
      }
    });

    it('withLock is not re-entrant: the same instance is refused a key it holds', async () => {
      const key = unique('lock');
      const nested = await h.metastore.withLock(key, () => h.metastore.withLock(key, async () => 'nested'));
      expect(nested).toEqual({ acquired: true, value: { acquired: false } });
      expect(await h.metastore.withLock(key, async () => 'again')).toEqual({ acquired: true, value: 'again' });
    });

    it('withLock releases the lock when fn throws', async () => {
      const peer = await h.peer();
      try {
        const key = unique('lock');
        const failure = new Error('pipeline step failed');
        await expect(h.metastore.withLock(key, async () => { throw failure; })).rejects.toBe(failure);
        expect(await peer.withLock(key, async () => 'free')).toEqual({ acquired: true, value: 'free' });
      } finally {
        await peer.close();
      }
    });

    it('the status CHECK constraint lists exactly RUN_STATUSES and rejects anything else', async () => {
      const rows = (await h.knex.raw(`
        select pg_get_constraintdef(c.oid) as def from pg_constraint c
        join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
        where n.nspname = current_schema() and t.relname = 'pipeline_log' and c.contype = 'c'`)).rows as Array<{ def: string }>;
      const statusChecks = rows.filter((r) => r.def.includes('status'));
      expect(statusChecks).toHaveLength(1);
      const listed = [...statusChecks[0]!.def.matchAll(/'([^']*)'/g)].map((m) => m[1]);
      expect(listed.sort()).toEqual([...RUN_STATUSES].sort());

      const row = { run_id: randomUUID(), pipeline_name: unique('raw'), target_table: 't', current_run_timestamp: new Date() };
      await expect(h.knex('pipeline_log').insert({ ...row, status: 'DONE' })).rejects.toThrow(/pipeline_log_status_check/);
      await h.knex('pipeline_log').insert({ ...row, status: 'SUCCESS' }); // what a PySpark template writes
      expect((await h.metastore.lastSuccess(row.pipeline_name))?.runId).toBe(row.run_id);
    });

    it('rejects bad arguments before touching the store', async () => {
      await expect(h.metastore.finishRun('not-a-uuid', { ...ZERO, status: 'SUCCESS', endedAt: null })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(h.metastore.finishRun(randomUUID(), { ...ZERO, status: 'RUNNING', endedAt: null })).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });
}
