/**
 * `tidemark runs` and `tidemark status` on a real log: pipelines run by `daily-run` (one succeeds
 * twice, one fails with a multi-line DuckDB error, one has a name too long for the table), on the
 * embedded metastore, and `runs` on a PostgreSQL server. Layout is checked through the real command
 * (`bin/tidemark.mjs`, stdout a pipe: not a terminal, so 100 columns); the rest through `main`.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { outputWidth } from '../../src/cli/commands/status.ts';
import { main } from '../../src/cli/main.ts';
import { resolveConfig } from '../../src/config/config.ts';
import { openMetastore } from '../../src/metastore/open-metastore.ts';
import { PG_URL, pgQuery, postgresAvailable, uniqueSchema } from '../support/postgres.ts';
import { bronzeEvents, landJsonl, writePipeline } from '../support/catalog-files.ts';
import { useTempDir } from '../support/temp-dir.ts';

const root = useTempDir('runs-status');
const warehouse = path.join(root, 'warehouse');
const catalog = path.join(root, 'catalog');
const landing = path.join(root, 'landing');
const bin = fileURLToPath(new URL('../../bin/tidemark.mjs', import.meta.url));
const LONG = 'events_rolled_up_for_the_finance_team_by_sales_region';

interface Ran {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The CLI in-process, on the test's warehouse and catalog unless `where` says otherwise. */
async function cli(...args: string[]): Promise<Ran> {
  let out = '';
  let err = '';
  const code = await main(['--warehouse', warehouse, '--catalog', catalog, ...args], { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

/** The real command, its stdout a pipe; the embedded metastore whatever the environment says. */
function spawned(...args: string[]): Promise<Ran> {
  const env = { ...process.env };
  delete env.TIDEMARK_METASTORE_URL;
  const child = spawn(process.execPath, [bin, '--warehouse', warehouse, '--catalog', catalog, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => void (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => void (err += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const json = async (...args: string[]): Promise<any> => {
  const r = await cli(...args, '--json');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
};
const pipeline = (file: string, def: object): void => writePipeline(catalog, file, def);
const land = (name: string, rows: object[]): void => landJsonl(landing, name, rows);
/** Whitespace collapsed: wrapped text compares equal to the original. */
const flat = (s: string): string => s.replace(/\s+/g, ' ').trim();
const widthOf = (line: string): number => [...line].length;
/** A table's cells by header, for the row whose first cell is `first` (cells are two or more spaces apart). */
function rowOf(text: string, first: string): Record<string, string> {
  const lines = text.split('\n');
  const header = lines[0]!.split(/ {2,}/);
  const row = lines.find((l) => l.startsWith(`${first} `))!.split(/ {2,}/);
  return Object.fromEntries(header.map((h, i) => [h, row[i]!]));
}

/** The text under a right-aligned column's header (its cells are no wider than the header), trimmed. */
function cellUnder(text: string, first: string, header: string): string {
  const lines = text.split('\n');
  const at = lines[0]!.indexOf(` ${header}`) + 1;
  return lines.find((l) => l.startsWith(`${first} `))!.slice(at, at + header.length).trim();
}

beforeAll(async () => {
  fs.mkdirSync(catalog, { recursive: true });
  fs.mkdirSync(landing, { recursive: true });
  pipeline('bronze.mjs', bronzeEvents(landing));
  pipeline('broken.mjs', {
    name: 'broken_feed',
    source: { kind: 'files', path: path.join(landing, '*.jsonl'), format: 'json' },
    transform: 'SELECT missing_column FROM source',
    target: { table: 'side.feed', recordKey: ['id'] },
  });
  pipeline('long.mjs', {
    name: LONG,
    source: { kind: 'table', table: 'bronze.events' },
    target: { table: 'finance.events', recordKey: ['id'], precombine: 'ts' },
  });
  land('a.jsonl', [{ id: 1, ts: 1, day: '2024-05-01' }, { id: 2, ts: 1, day: '2024-05-02' }]);
  expect((await cli('daily-run')).code).toBe(1); // broken_feed failed
  land('b.jsonl', [{ id: 2, ts: 2, day: '2024-05-02' }, { id: 3, ts: 1, day: '2024-05-03' }]);
  expect((await cli('daily-run', '--all')).code).toBe(1);
});
beforeEach(() => void vi.stubEnv('TIDEMARK_METASTORE_URL', ''));
afterEach(() => void vi.unstubAllEnvs());

describe('tidemark runs', () => {
  it('lists pipeline_log newest first, filtered by pipeline, status and limit; --json has every field and the whole error', async () => {
    const all = (await json('runs')) as Array<Record<string, any>>;
    expect(all).toHaveLength(6);
    const starts = all.map((r) => Date.parse(r.startedAt));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(Object.keys(all[0]!)).toEqual([
      'runId', 'pipeline', 'target', 'status', 'windowStart', 'windowEnd', 'recordsRead', 'recordsProcessed', 'inserted', 'updated',
      'deleted', 'skippedAsOlder', 'rejected', 'keysInTwoPartitions', 'instant', 'startedAt', 'endedAt', 'durationSeconds', 'error',
    ]);
    expect((await json('runs', '--limit', '2')).map((r: { runId: string }) => r.runId)).toEqual(all.slice(0, 2).map((r) => r.runId));
    const broken = (await json('runs', '--pipeline', 'broken_feed')) as Array<Record<string, any>>;
    expect(broken.map((r) => r.status)).toEqual(['FAILED', 'FAILED']);
    expect(broken[0]!.error).toMatch(/missing_column/);
    expect(broken[0]!.error.split('\n').length).toBeGreaterThan(2); // DuckDB's error: message, candidates, the SQL with a caret
    expect(broken[0]!.windowStart).toBeNull(); // never succeeded: every run is a first, full load
    expect((await json('runs', '--status', 'FAILED')).map((r: { runId: string }) => r.runId)).toEqual(broken.map((r) => r.runId));
    const [latest] = (await json('runs', '--pipeline', 'bronze_events', '--status', 'SUCCESS', '--limit', '1')) as Array<Record<string, any>>;
    expect(latest).toMatchObject({ pipeline: 'bronze_events', target: 'bronze.events', status: 'SUCCESS', recordsRead: 2, recordsProcessed: 2, inserted: 1, updated: 1, error: null });
    expect(latest!.instant).toMatch(/^\d{17}$/);
    expect(latest!.windowStart).toMatch(/Z$/);
    expect(await json('runs', '--pipeline', 'nope')).toEqual([]);
  });

  it('prints a table with times marked UTC, errors cut to one line, and a hint; one run comes with its whole error', async () => {
    const errors = ((await json('runs', '--pipeline', 'broken_feed')) as Array<{ runId: string; error: string; startedAt: string }>);
    const r = await spawned('runs');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^run\s+pipeline\s+status\s+from \(UTC\)\s+to \(UTC\)\s+read\s+ins\s+upd\s+del\s+rej\s+secs\s+instant\s+error$/);
    expect(lines.slice(2, 8).map((l) => l.split(/ {2,}/)[0])).toEqual(((await json('runs')) as Array<{ runId: string }>).map((x) => x.runId.slice(0, 8)));
    expect(lines[8]).toBe('(6 runs, newest first; run: the first 8 characters of the run id)');
    const failedRow = lines.find((l) => l.startsWith(errors[0]!.runId.slice(0, 8)))!;
    const cell = failedRow.slice(lines[0]!.indexOf(' error') + 1);
    expect(cell).toMatch(/^\S.*…$/);
    expect(flat(errors[0]!.error).startsWith(cell.slice(0, -1))).toBe(true);
    expect(flat(lines.slice(9).join(' '))).toBe('errors are cut to one line; for the whole text: tidemark runs --json, or tidemark runs --pipeline broken_feed --status FAILED --limit 1');

    const one = await spawned('runs', '--pipeline', 'broken_feed', '--status', 'FAILED', '--limit', '1');
    expect(one.code, one.err).toBe(0);
    const block = one.out.split('\n\n').slice(1).join('\n\n');
    const [header, ...body] = block.trimEnd().split('\n');
    expect(header).toBe(`FAILED broken_feed (run ${errors[0]!.runId}, started ${errors[0]!.startedAt.slice(0, 19).replace('T', ' ')} UTC)`);
    expect(flat(body.join('\n'))).toBe(flat(errors[0]!.error));
    for (const line of one.out.split('\n').slice(3)) expect(widthOf(line)).toBeLessThanOrEqual(100);
  });

  it('refuses a bad --limit or --status (exit 2), and never creates a metastore (exit 3)', async () => {
    for (const args of [['--limit', '0'], ['--limit', 'x'], ['--status', 'DONE']]) {
      const r = await cli('runs', ...args);
      expect(r.code, args.join(' ')).toBe(2);
    }
    const nowhere = path.join(root, 'no-warehouse');
    let err = '';
    const code = await main(['--warehouse', nowhere, 'runs'], { stdout: () => undefined, stderr: (s) => void (err += s) });
    expect(code).toBe(3);
    expect(err).toContain(`no metastore at ${path.join(nowhere, '.metastore')}`);
    expect(fs.existsSync(nowhere)).toBe(false);
  });

  it('lists 20 runs unless told otherwise: the latest 20', async () => {
    const other = path.join(root, 'wh-many');
    const metastore = await openMetastore(resolveConfig({ warehouse: other }, {}));
    const ids: string[] = [];
    try {
      for (let i = 0; i < 23; i++) {
        const runId = randomUUID();
        ids.push(runId);
        const startedAt = new Date(Date.UTC(2024, 0, 1, 0, i));
        await metastore.startRun({ runId, pipelineName: 'many', targetTable: 'x.many', lastRunTimestamp: null, currentRunTimestamp: startedAt, startedAt });
      }
    } finally {
      await metastore.close();
    }
    let out = '';
    expect(await main(['--warehouse', other, 'runs', '--json'], { stdout: (s) => void (out += s), stderr: () => undefined })).toBe(0);
    expect((JSON.parse(out) as Array<{ runId: string }>).map((r) => r.runId)).toEqual(ids.slice(3).reverse());
    out = '';
    expect(await main(['--warehouse', other, 'runs', '--status', 'RUNNING'], { stdout: (s) => void (out += s), stderr: () => undefined })).toBe(0);
    expect(out).toMatch(/^\(20 runs, newest first/m);
    out = '';
    expect(await main(['--warehouse', other, 'runs', '--status', 'FAILED', '--pipeline', 'many'], { stdout: (s) => void (out += s), stderr: () => undefined })).toBe(0);
    expect(out).toBe('no FAILED runs of pipeline many in the log\n');
  });
});

describe('tidemark status', () => {
  it('fits 100 columns when stdout is not a terminal, with a legend for the day strip and times marked UTC', async () => {
    for (const args of [['status'], ['status', '--days', '60'], ['status', '--days', '1']]) {
      const r = await spawned(...args);
      expect(r.code, r.err).toBe(0);
      const lines = r.out.trimEnd().split('\n');
      for (const line of lines) expect(widthOf(line), `${args.join(' ')}: ${line}`).toBeLessThanOrEqual(100);
      expect(lines[0]).toMatch(/^pipeline\s+last\s+last run \(UTC\)\s+runs\s+fail\s+(\d+ days?|last \d+d)\s+records\s+rows\s+stale$/);
      expect(r.out).toContain('days (UTC, oldest left, today right): ✓ all runs succeeded  ✗ a run failed  … running  · no run');
      expect(r.out).toContain('records: processed by the last run  rows: in the target table now  stale: since the last success');
      expect(r.out).toMatch(/^events_rolled_up\S*…\s/m); // the long name is cut to fit
    }
    const wide = await spawned('status', '--days', '60');
    expect(wide.out).toContain('\n(the last 14 of 60 days are shown; --json has them all)\n');
    expect(rowOf((await spawned('status')).out, 'bronze_events')['14 days']).toMatch(/^·{13}✓$/);
  });

  it('shows the last run’s records and the rows in the target, not a sum over runs', async () => {
    const statuses = Object.fromEntries(((await json('status')) as Array<Record<string, any>>).map((s) => [s.pipeline, s]));
    const rows = JSON.parse((await cli('sql', "SELECT count(*)::INTEGER AS n FROM tidemark_scan('bronze.events')", '--format', 'jsonl')).out) as { n: number };
    expect(rows.n).toBe(3);
    expect(statuses.bronze_events).toMatchObject({ lastStatus: 'SUCCESS', lastRunRecords: 2, targetRows: 3, recordsProcessed: 4, targetRowsError: null });
    expect(statuses[LONG]).toMatchObject({ lastStatus: 'SUCCESS', targetRows: 3 });
    expect(statuses.broken_feed).toMatchObject({ lastStatus: 'FAILED', lastRunRecords: 0, targetRows: null, targetRowsError: null });
    const [lastBroken] = (await json('runs', '--pipeline', 'broken_feed', '--limit', '1')) as Array<{ runId: string; error: string }>;
    expect(statuses.broken_feed.lastRunId).toBe(lastBroken!.runId);
    expect(statuses.broken_feed.lastRunError).toBe(lastBroken!.error);
    expect(statuses.bronze_events.lastRunError).toBeNull();

    const text = (await cli('status')).out;
    expect(rowOf(text, 'bronze_events')).toMatchObject({ last: 'SUCCESS', runs: '2', fail: '0', records: '2', rows: '3' });
    expect(text).not.toMatch(/^bronze_events .* 4 /m);
    expect(cellUnder(text, 'broken_feed', 'records')).toBe('0');
    expect(cellUnder(text, 'broken_feed', 'rows')).toBe(''); // no table yet
    expect(cellUnder(text, 'bronze_events', 'rows')).toBe('3');
  });

  it('prints the whole error of each pipeline whose last run failed, below the table', async () => {
    const [last] = (await json('runs', '--pipeline', 'broken_feed', '--limit', '1')) as Array<{ runId: string; error: string; startedAt: string }>;
    const r = await spawned('status');
    const [, failures] = r.out.split('\nlast run FAILED in 1 pipeline:\n\n');
    const [header, ...body] = failures!.trimEnd().split('\n');
    expect(header).toBe(`FAILED broken_feed (run ${last!.runId}, started ${last!.startedAt.slice(0, 19).replace('T', ' ')} UTC)`);
    expect(body.every((l) => l === '' || l.startsWith('  '))).toBe(true);
    expect(flat(body.join('\n'))).toBe(flat(last!.error));
    expect(body.join('\n')).toContain('missing_column');
    const ok = await spawned('status', '--pipeline', 'bronze_events');
    expect(ok.out).not.toContain('FAILED');
  });

  it('--fail-on-error exits 1 when a last run failed; with --fail-if-stale, either makes it 1', async () => {
    expect((await cli('status')).code).toBe(0);
    const failing = await cli('status', '--fail-on-error');
    expect(failing.code).toBe(1);
    expect(failing.err).toBe('tidemark: last run FAILED: broken_feed\n');
    expect((await cli('status', '--fail-on-error', '--pipeline', 'bronze_events')).code).toBe(0);
    expect((await cli('status', '--fail-on-error', '--fail-if-stale', '1h', '--pipeline', 'bronze_events')).code).toBe(0);
    const both = await cli('status', '--fail-on-error', '--fail-if-stale', '1h');
    expect(both.code).toBe(1);
    expect(both.err).toContain('tidemark: stale (no SUCCESS within 1h): broken_feed\n');
    expect(both.err).toContain('tidemark: last run FAILED: broken_feed\n');
    const json = await cli('status', '--fail-on-error', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toHaveLength(3);
    expect((await spawned('status', '--fail-on-error')).code).toBe(1);
  });

  it('lays out for the terminal when stdout is a wider terminal, else for 100 columns', () => {
    expect(outputWidth({ isTTY: true, columns: 160 })).toBe(160);
    expect(outputWidth({ isTTY: true, columns: 80 })).toBe(100);
    expect(outputWidth({ isTTY: false, columns: 160 })).toBe(100);
    expect(outputWidth({})).toBe(100);
  });
});

const pgAvailable = await postgresAvailable();

describe.skipIf(!pgAvailable)('tidemark runs on a PostgreSQL metastore', () => {
  const schema = uniqueSchema('tm_runs');
  const metastore = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const pgWarehouse = path.join(root, 'wh-pg');
  beforeAll(() => pgQuery(`CREATE SCHEMA ${schema}`));
  afterAll(() => pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));

  it('lists the runs daily-run logged there', async () => {
    const run = async (...args: string[]): Promise<Ran> => {
      let out = '';
      let err = '';
      const code = await main(['--metastore', metastore, '--warehouse', pgWarehouse, '--catalog', catalog, ...args], { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
      return { code, out, err };
    };
    expect((await run('daily-run', '--pipeline', 'bronze_events', '--pipeline', 'broken_feed')).code).toBe(1);
    const listed = JSON.parse((await run('runs', '--json')).out) as Array<{ pipeline: string; status: string; error: string | null }>;
    expect(listed.map((r) => `${r.pipeline}:${r.status}`).sort()).toEqual(['broken_feed:FAILED', 'bronze_events:SUCCESS']);
    expect(listed.find((r) => r.status === 'FAILED')!.error).toMatch(/missing_column/);
    const failed = await run('runs', '--status', 'FAILED', '--limit', '1');
    expect(failed.code).toBe(0);
    expect(failed.out).toMatch(/^FAILED broken_feed \(run [0-9a-f-]{36}, started .* UTC\)$/m);
    expect(fs.existsSync(path.join(pgWarehouse, '.metastore'))).toBe(false); // the server's log, not an embedded one
  });
});
