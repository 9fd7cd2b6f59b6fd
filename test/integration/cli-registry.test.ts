/**
 * The registry through the CLI (`init`, `tables`, `table create|describe|register`, names wherever
 * paths go), a `files` source keyed by a watermark column, and the package-level pipeline API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { dailyRun, pipelineStatus, runPipeline } from '../../src/api.ts';
import { definePipeline } from '../../src/pipeline/definition.ts';
import { HUDI_FIXTURES, extractFixture } from '../support/hudi-fixtures.ts';
import { useTempDir } from '../support/temp-dir.ts';

const root = useTempDir('registry');
const warehouse = path.join(root, 'warehouse');
const catalog = path.join(root, 'catalog');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['--warehouse', warehouse, '--catalog', catalog, ...args], { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

describe('the table registry on the command line', () => {
  it('init creates the warehouse and migrates the embedded metastore', async () => {
    const r = await cli('init');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`embedded PGlite at ${path.join(warehouse, '.metastore')}`);
    expect(fs.existsSync(path.join(warehouse, '.metastore'))).toBe(true);
    expect(fs.existsSync(path.join(warehouse, '.metastore.lock'))).toBe(false);
  });

  it('table create makes an empty registered table; write, read and sql take its name', async () => {
    expect((await cli('table', 'create', 'shop.items', '--key', 'sku', '--precombine', 'ts', '--partition-by', 'cat')).code).toBe(0);
    expect(fs.existsSync(path.join(warehouse, 'shop/items/.hoodie/hoodie.properties'))).toBe(true);
    const input = path.join(root, 'items.csv');
    fs.writeFileSync(input, 'sku,ts,cat,price\nA,1,tools,9.5\nB,1,toys,3\n');
    const w = await cli('write', 'shop.items', '--input', input, '--json');
    expect(JSON.parse(w.out)).toMatchObject({ inserted: 2 });
    const read = await cli('read', 'shop.items', '--columns', 'sku,price', '--format', 'csv');
    expect(read.out.split('\r\n').filter((l) => l !== '').sort()).toEqual(['A,9.5', 'B,3', 'sku,price']);
    const sql = await cli('sql', "SELECT count(*) AS n FROM tidemark_scan('shop.items')", '--format', 'csv');
    expect(sql.out).toBe('n\r\n2\r\n');
    const tables = JSON.parse((await cli('tables', '--json')).out);
    expect(tables).toEqual([expect.objectContaining({ database: 'shop', name: 'items', recordKeyFields: ['sku'], latestInstant: expect.stringMatching(/^\d{17}$/) })]);
    const d = JSON.parse((await cli('table', 'describe', 'shop.items', '--json')).out);
    expect(d).toMatchObject({ name: 'shop.items', recordKey: ['sku'], precombine: 'ts', partitionBy: ['cat'], completedCommits: 1, fileGroups: 2 });
    expect(d.schema.map((c: { name: string }) => c.name)).toEqual(['sku', 'ts', 'cat', 'price']);
  });

  it('writing to an unregistered name creates the table under the warehouse and registers it', async () => {
    const input = path.join(root, 'users.json');
    fs.writeFileSync(input, '[{"id": 1, "name": "ann"}]');
    expect((await cli('write', 'crm.users', '--input', input, '--key', 'id')).code).toBe(0);
    expect(fs.existsSync(path.join(warehouse, 'crm/users/.hoodie/hoodie.properties'))).toBe(true);
    expect((await cli('commits', 'crm.users', '--json')).code).toBe(0);
  });

  it.skipIf(HUDI_FIXTURES === undefined)('table register adds an existing Hudi table by path', async () => {
    const fixture = extractFixture('sample_table/cow/v6_nonpartitioned.zip');
    const r = await cli('table', 'register', fixture);
    expect(r.out).toContain('registered default.v6_nonpartitioned');
    const rows = await cli('sql', "SELECT count(*) AS n FROM tidemark_scan('default.v6_nonpartitioned')", '--format', 'csv');
    expect(rows.out).toBe('n\r\n4\r\n');
  });

  it('unknown names and bad names are clear errors', async () => {
    const missing = await cli('read', 'nope.nothing');
    expect([missing.code, missing.err]).toEqual([3, expect.stringMatching(/no table registered as nope\.nothing/)]);
    const bad = await cli('table', 'create', 'no-dots', '--key', 'id');
    expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/must look like database\.name/)]);
  });
});

describe('the pipeline API and a files source keyed by a watermark column', () => {
  const landing = path.join(root, 'landing');
  const def = definePipeline({
    name: 'events_by_time',
    source: { kind: 'files', path: path.join(landing, '*.csv'), format: 'csv', watermarkColumn: 'at' },
    target: { table: 'ev.events', recordKey: ['id'], precombine: 'at' },
  });

  it('runPipeline, dailyRun and pipelineStatus open and close their own session', async () => {
    fs.mkdirSync(landing, { recursive: true });
    fs.writeFileSync(path.join(landing, 'a.csv'), 'id,at,v\n1,2020-01-01T00:00:00Z,a\n2,2099-01-01T00:00:00Z,future\n');
    const first = await runPipeline(def, { warehouse, catalog });
    expect(first.status).toBe('SUCCESS');
    expect([first.recordsRead, first.inserted]).toEqual([1, 1]); // the row dated in the future is outside (start, now]
    fs.writeFileSync(path.join(landing, 'b.csv'), 'id,at,v\n3,2020-01-02T06:00:00Z,late\n');
    const second = await runPipeline(def, { warehouse, catalog });
    expect(second.recordsRead).toBe(0); // by the column's value, a row older than the watermark is outside the window
    const backfill = await dailyRun({ warehouse, catalog, definitions: [def], pipelines: ['events_by_time'], from: '2020-01-02', to: '2020-01-02' });
    expect(backfill.results.map((r) => [r.status, r.recordsRead, r.inserted])).toEqual([['SUCCESS', 1, 1]]);
    const status = await pipelineStatus({ warehouse, catalog, definitions: [def], days: 1 });
    expect(status.find((s) => s.pipeline === 'events_by_time')).toMatchObject({ runs: 3, successes: 3 });
    const watermark = status.find((s) => s.pipeline === 'events_by_time')!.watermark!;
    expect(watermark.getTime()).toBeGreaterThan(Date.UTC(2020, 0, 3)); // the backfill did not move it back
  });

  it('a run whose window cannot be determined is logged FAILED with the reason', async () => {
    const orphan = definePipeline({ name: 'orphan', source: { kind: 'table', table: 'nope.missing' }, target: { table: 'ev.orphan', recordKey: ['id'] } });
    const r = await runPipeline(orphan, { warehouse, catalog });
    expect(r.status).toBe('FAILED');
    expect(r.error).toMatch(/cannot determine the window: source table nope\.missing is not registered/);
    const [status] = await pipelineStatus({ warehouse, catalog, definitions: [orphan], days: 1, pipeline: 'orphan' });
    expect(status).toMatchObject({ runs: 1, failures: 1, lastStatus: 'FAILED' });
    expect(status!.lastError).toBe(r.error);
  });
});
