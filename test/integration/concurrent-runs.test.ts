/**
 * Pipeline runs at once in one process (issue #24): every run shares the process's DuckDB instance,
 * so each keeps its DuckDB objects to itself (a schema `tm_run_<id>`, see `run-objects.ts`) while
 * its transform still reads `source`. Here four runs of one session overlap: a table source, a CSV
 * files source, a JSON files source into a history (scd2) target, and a run whose transform fails.
 * The runs wait for each other before their writes, so all their objects exist at the same time;
 * each must write exactly its own rows, and nothing of any run may be left in DuckDB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PipelineDefinition, definePipeline } from '../../src/pipeline/definition.ts';
import { type RunResult, runPipeline } from '../../src/pipeline/run-pipeline.ts';
import type { TidemarkSession } from '../../src/session.ts';
import { useSession } from '../support/engine.ts';

let session: TidemarkSession;
const { root, warehouse } = useSession('concurrent-runs', (s) => (session = s));

/** Writes `text` as `landing/<feed>/<file>`; returns the feed's glob. */
function land(feed: string, file: string, text: string): string {
  const dir = path.join(root, 'landing', feed);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
  return path.join(dir, `*${path.extname(file)}`);
}
const jsonl = (rows: ReadonlyArray<object>): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Rows of a warehouse table as sorted `key=value` strings of the given columns. */
async function stored(table: string, columns: ReadonlyArray<string>): Promise<string[]> {
  const [db, name] = table.split('.') as [string, string];
  const rows = await session.engine.read(path.join(warehouse, db, name), { columns: [...columns] });
  return rows.map((r) => columns.map((c) => `${c}=${String(r[c])}`).join(' ')).sort();
}

/** DuckDB objects a run could leave: its schema, anything named after it, and the names runs used before they had their own. */
async function leftovers(): Promise<string[]> {
  const rows = await session.engine.duck.column<string>(`
    SELECT 'schema ' || schema_name FROM duckdb_schemas() WHERE starts_with(schema_name, 'tm_run_')
    UNION ALL SELECT 'table ' || schema_name || '.' || table_name FROM duckdb_tables() WHERE starts_with(table_name, 'tm_run_') OR schema_name LIKE 'tm_run_%' OR table_name = 'source' OR starts_with(table_name, 'tm_pipeline_') OR starts_with(table_name, 'tm_scd2_') OR starts_with(table_name, 'tm_source_')
    UNION ALL SELECT 'view ' || schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal AND (starts_with(view_name, 'tm_run_') OR schema_name LIKE 'tm_run_%' OR view_name = 'source' OR starts_with(view_name, 'tm_pipeline_'))`);
  return rows.sort();
}

/** Resolves once `n` callers have arrived (or after a few seconds, so a run that fails early cannot hang the others). */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const all = new Promise<void>((resolve) => (open = resolve));
  return async () => {
    if (++arrived >= n) open();
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  };
}

describe('runPipeline calls at once in one process', () => {
  it('each run reads its own source and writes exactly its own rows, and leaves no DuckDB objects', async () => {
    // The upstream of the table source, written before the concurrent runs start.
    const people = definePipeline({
      name: 'people',
      source: { kind: 'files', path: land('people', 'a.jsonl', jsonl([{ id: 1, ts: 1, name: 'ada' }, { id: 2, ts: 1, name: 'bob' }])), format: 'json' },
      transform: 'SELECT id, ts, upper(name) AS name FROM source',
      target: { table: 'crm.people', recordKey: ['id'], precombine: 'ts' },
    });
    expect((await runPipeline(session.context, people)).status).toBe('SUCCESS');

    const defs: PipelineDefinition[] = [
      definePipeline({
        name: 'people_copy',
        source: { kind: 'table', table: 'crm.people' },
        transform: `SELECT id, ts, name || '!' AS name FROM source`,
        target: { table: 'mart.people', recordKey: ['id'], precombine: 'ts' },
        checks: [{ kind: 'unique', column: 'name' }],
      }),
      definePipeline({
        name: 'orders',
        source: { kind: 'files', path: land('orders', 'o.csv', 'order_id,amount,day\n10,1.5,d1\n11,2.5,d2\n12,4,d1\n'), format: 'csv' },
        transform: 'SELECT order_id, amount * 2 AS amount, day FROM source WHERE order_id <> 12',
        target: { table: 'sales.orders', recordKey: ['order_id'], partitionBy: ['day'] },
        checks: [{ kind: 'unique', column: 'order_id' }, { kind: 'not_null', column: 'amount' }],
      }),
      definePipeline({
        name: 'devices',
        source: { kind: 'files', path: land('devices', 'd.jsonl', jsonl([{ serial: 'x1', at: 5, state: 'on' }, { serial: 'x2', at: 6, state: 'off' }, { serial: 'x1', at: 7, state: 'off' }])), format: 'json' },
        target: { table: 'iot.devices', recordKey: ['serial'], precombine: 'at', mode: 'scd2' },
      }),
      definePipeline({
        name: 'broken',
        source: { kind: 'files', path: land('broken', 'b.jsonl', jsonl([{ k: 1 }])), format: 'json' },
        transform: 'SELECT k, no_such_column FROM source',
        target: { table: 'x.broken', recordKey: ['k'] },
      }),
    ];
    const ready = barrier(defs.length - 1); // every run but the failing one reaches its write
    const results = await Promise.all(defs.map((def) => runPipeline(session.context, def, { beforeCommit: ready })));
    const byName = Object.fromEntries(results.map((r) => [r.pipeline, r])) as Record<string, RunResult>;

    for (const name of ['people_copy', 'orders', 'devices']) expect([name, byName[name]!.status, byName[name]!.error]).toEqual([name, 'SUCCESS', undefined]);
    expect(byName.people_copy).toMatchObject({ recordsRead: 2, inserted: 2 });
    expect(byName.orders).toMatchObject({ recordsRead: 3, recordsProcessed: 2, inserted: 2 });
    expect(byName.devices).toMatchObject({ recordsRead: 3, inserted: 3, updated: 1 });
    expect(await stored('mart.people', ['id', 'name'])).toEqual(['id=1 name=ADA!', 'id=2 name=BOB!']);
    expect(await stored('sales.orders', ['order_id', 'amount', 'day'])).toEqual(['order_id=10 amount=3 day=d1', 'order_id=11 amount=5 day=d2']);
    expect(await stored('iot.devices', ['serial', 'state', 'is_current'])).toEqual(['serial=x1 state=off is_current=true', 'serial=x1 state=on is_current=false', 'serial=x2 state=off is_current=true']);

    // The failing transform's message quotes the user's SQL as written, and names its own source's columns.
    expect(byName.broken!.status).toBe('FAILED');
    expect(byName.broken!.error).toMatch(/^\[transform\] transform of pipeline broken failed: Binder Error: Referenced column "no_such_column" not found/);
    expect(byName.broken!.error).toContain('Candidate bindings: "k"');
    expect(byName.broken!.error).toContain('\nLINE 1: SELECT k, no_such_column FROM source\n');

    expect(await leftovers()).toEqual([]);
  });
});
