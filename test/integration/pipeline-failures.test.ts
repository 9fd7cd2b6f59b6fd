/**
 * What a failed run shows (issue #22): the step it failed in, a failing check's rows (count, up to
 * five record keys with their values), a bad value or key traced back to the source file and row
 * (or the PostgreSQL query's row, or the upstream table's record key), the same text in the result
 * and in pipeline_log, and `daily-run`'s closing blocks holding every line of every failed
 * pipeline's error. Real DuckDB, embedded PGlite in temp dirs, the real CLI entry point.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { TidemarkSession } from '../../src/session.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { definePipeline, type PipelineDefinition } from '../../src/pipeline/definition.ts';
import { PG_URL, pgQuery, postgresAvailable, uniqueSchema } from '../support/postgres.ts';
import { useTempDir } from '../support/temp-dir.ts';

const root = useTempDir('failures');
const landing = path.join(root, 'landing');
const hourAgo = new Date(Date.now() - 3_600_000);

/** A landing file, dated an hour ago so the first run's window (up to now) holds it. */
function land(name: string, text: string, mtime = hourAgo): string {
  const file = path.join(landing, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtime, mtime);
  return file;
}
const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Ten customers in reverse key order; six tiers are not accepted, one name is NULL, one tier is NULL. */
const CUSTOMERS = jsonl(
  [
    { id: 1, name: 'ann', tier: 'gold' },
    { id: 2, name: 'bob', tier: 'gold ' },
    { id: 3, name: 'cy', tier: 'Gold' },
    { id: 4, name: 'dee', tier: 'bronze' },
    { id: 5, name: 'eve', tier: 'platinum' },
    { id: 6, name: 'fay', tier: 'silver' },
    { id: 7, name: 'gus', tier: 'tin' },
    { id: 8, name: null, tier: 'silver' },
    { id: 9, name: 'ida', tier: 'lead' },
    { id: 10, name: 'jo', tier: null },
  ].reverse(),
);
const TIER_SAMPLES = "id=2 tier='gold ', id=3 tier='Gold', id=4 tier='bronze', id=5 tier='platinum', id=7 tier='tin'";

describe('failed runs, from code', () => {
  const warehouse = path.join(root, 'api-warehouse');
  let session: TidemarkSession;
  const run = (def: PipelineDefinition) => runPipeline(session.context, def);
  const lastLog = async (name: string) => (await session.metastore.runs({ pipelineName: name })).at(-1);
  const files = (name: string, file: string, over: Partial<PipelineDefinition> = {}): PipelineDefinition =>
    definePipeline({ name, source: { kind: 'files', path: file }, target: { table: `t.${name}`, recordKey: ['id'] }, ...over });

  beforeAll(async () => {
    session = await TidemarkSession.open({ warehouse, catalog: path.join(root, 'no-catalog') });
  });
  afterAll(async () => {
    await session?.close();
  });

  it('a failing check reports its count and up to five record keys with the offending values, in the result and in pipeline_log', async () => {
    const file = land('customers.jsonl', CUSTOMERS);
    const r = await run(files('tiers', file, { checks: [{ kind: 'accepted_values', column: 'tier', values: ['gold', 'silver'] }] }));
    expect(r.status).toBe('FAILED');
    expect(r.step).toBe('check');
    expect(r.error).toBe(`[check] check failed: accepted_values(tier): 6 rows fail, e.g. ${TIER_SAMPLES}`);
    const [tier] = r.checks;
    expect(tier!.failing).toBe(6);
    expect(tier!.samples).toHaveLength(5);
    expect(tier!.samples[0]).toEqual({ key: { id: '2' }, values: { tier: 'gold ' }, text: "id=2 tier='gold '" });
    expect(tier!.samples.map((s) => s.key.id)).toEqual(['2', '3', '4', '5', '7']); // key order, not file order
    expect(await lastLog('tiers')).toMatchObject({ status: 'FAILED', errorMessage: r.error, recordsRejected: 6 });
    expect(fs.existsSync(path.join(warehouse, 't', 'tiers'))).toBe(false);
  });

  it('several failing checks: a first line naming them, then one line each (NULLs shown as NULL; min_rows says how many are missing)', async () => {
    const file = path.join(landing, 'customers.jsonl');
    const r = await run(files('tiers_and_names', file, {
      checks: [
        { kind: 'accepted_values', column: 'tier', values: ['gold', 'silver'] },
        { kind: 'not_null', column: 'name' },
        { kind: 'unique', column: 'id' },
        { kind: 'min_rows', count: 12 },
        { kind: 'sql', name: 'short_names', predicate: 'length(name) <= 2' },
      ],
    }));
    expect(r.step).toBe('check');
    expect(r.error!.split('\n')).toEqual([
      '[check] 4 checks failed: accepted_values(tier), not_null(name), min_rows(12), short_names',
      `  accepted_values(tier): 6 rows fail, e.g. ${TIER_SAMPLES}`,
      '  not_null(name): 1 row fails, e.g. id=8 name=NULL',
      '  min_rows(12): 2 rows short',
      "  short_names: 8 rows fail, e.g. id=1 name='ann', id=2 name='bob', id=4 name='dee', id=5 name='eve', id=6 name='fay'", // a NULL fails a predicate
    ]);
    expect(r.checks.find((c) => c.check === 'unique(id)')).toEqual({ check: 'unique(id)', kind: 'unique', failing: 0, samples: [] });
    expect((await lastLog('tiers_and_names'))!.errorMessage).toBe(r.error);
  });

  it('a conversion error in the transform names the source file and the row of the value', async () => {
    const file = land('amounts.csv', 'id,amount\n1,10\n2,abc\n3,7\n');
    const r = await run(files('cast_in_transform', file, { transform: 'SELECT id, CAST(amount AS INTEGER) AS amount FROM source' }));
    expect(r.status).toBe('FAILED');
    expect(r.step).toBe('transform');
    const [first, ...rest] = r.error!.split('\n');
    expect(first).toBe(
      `[transform] transform of pipeline cast_in_transform failed: Conversion Error: Could not convert string 'abc' to INT32 when casting from source column amount; the value 'abc' (column "amount") comes from ${file} row 2 (line 3)`,
    );
    expect(rest).toEqual(['', 'LINE 1: SELECT id, CAST(amount AS INTEGER) AS amount FROM source', '                   ^']); // DuckDB's pointer, on the transform as written
    expect((await lastLog('cast_in_transform'))!.errorMessage).toBe(r.error);
  });

  it('a value the table cannot store names the transform output row and the source file and row', async () => {
    const first = land('stored/a.csv', 'id,amount\n1,10\n2,20\n');
    const def = files('cast_in_write', path.join(landing, 'stored', '*.csv'));
    expect((await run(def)).status).toBe('SUCCESS'); // amount is BIGINT from now on
    const second = land('stored/b.csv', 'id,amount\n3,30\n4,abc\n', new Date()); // after the first run's window
    const r = await run(def);
    expect(r.step).toBe('write');
    expect(r.error).toMatch(/^\[write\] value "abc" in column "amount" \(input row 2 of the transform output of pipeline cast_in_write\) is not a valid .*, the type table .* stores; the value 'abc' \(column "amount"\) comes from (.*) row 2 \(line 3\)$/);
    expect(r.error).toContain(`comes from ${second} row 2`);
    expect(r.error).not.toContain(first);
  });

  it('a null record key names the source file and the row', async () => {
    const file = land('keys.csv', 'id,name\n1,a\n2,b\n,c\n4,d\n');
    const r = await run(files('null_key', file));
    expect(r.status).toBe('FAILED');
    expect(r.step).toBe('write');
    expect(r.error).toBe(
      `[write] record key field "id" is null or empty in 1 row(s) of the transform output of pipeline null_key (first at input row 3); table null_key (${path.join(warehouse, 't', 'null_key')}) needs a key for every record; the first source row with "id" null or empty is ${file} row 3 (line 4)`,
    );
    expect((await lastLog('null_key'))!.errorMessage).toBe(r.error);
  });

  it('a key the transform made null names the source it read, since no source row holds it', async () => {
    const file = path.join(landing, 'keys.csv');
    const r = await run(files('derived_key', file, { transform: 'SELECT nullif(name, \'c\') AS code, id FROM source', target: { table: 't.derived_key', recordKey: ['code'] } }));
    expect(r.step).toBe('write');
    expect(r.error).toMatch(new RegExp(`^\\[write\\] record key field "code" is null or empty .*; source: file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  it('a bad value read from an upstream Tidemark table names its record key and commit', async () => {
    const file = land('raw.jsonl', jsonl([{ id: 1, amount: '5' }, { id: 2, amount: 'abc' }]));
    expect((await run(files('raw', file))).status).toBe('SUCCESS');
    const r = await run(definePipeline({
      name: 'typed',
      source: { kind: 'table', table: 't.raw' },
      transform: 'SELECT id, CAST(amount AS INTEGER) AS amount FROM source',
      target: { table: 't.typed', recordKey: ['id'] },
    }));
    expect(r.step).toBe('transform');
    expect(r.error!.split('\n')[0]).toMatch(
      /; the value 'abc' \(column "amount"\) comes from record key 2 of Tidemark table t\.raw \(incremental read of commits after 0 up to \d{17}\), written by commit \d{17} in file \S+\.parquet$/,
    );
  });

  it('extract failures: a CSV value DuckDB cannot read leads with its file and line; a window that cannot be found', async () => {
    const lines = ['id,amount', ...Array.from({ length: 25_000 }, (_, i) => `${i + 1},${(i + 1) * 10}`)];
    lines[24_000] = '24000,abc'; // beyond the rows DuckDB samples to type the column
    const file = land('big.csv', lines.join('\n') + '\n');
    const r = await run(files('big', file));
    expect(r.step).toBe('extract');
    expect(r.error).toMatch(new RegExp(`^\\[extract\\] cannot read source file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 24001: Conversion Error: CSV Error on Line: 24001`));
    const unregistered = await run(definePipeline({ name: 'orphan', source: { kind: 'table', table: 'side.none' }, target: { table: 't.orphan', recordKey: ['id'] } }));
    expect(unregistered.step).toBe('extract');
    expect(unregistered.error).toMatch(/^\[extract\] cannot determine the window: source table side\.none is not registered/);
    expect((await lastLog('orphan'))!.errorMessage).toBe(unregistered.error);
  });

  it('a transform whose output lacks the target key says so, at step transform', async () => {
    const r = await run(files('no_key', path.join(landing, 'keys.csv'), { transform: 'SELECT name FROM source' }));
    expect(r.step).toBe('transform');
    expect(r.error).toMatch(/^\[transform\] the transform output of pipeline no_key cannot be keyed for table t\.no_key \(record key and precombine: id\): Binder Error/);
  });
});

const pgAvailable = await postgresAvailable();

describe.skipIf(!pgAvailable)('failed runs from a PostgreSQL source', () => {
  const schema = uniqueSchema('tm_fail');
  const warehouse = path.join(root, 'pg-warehouse');
  let session: TidemarkSession;
  beforeAll(async () => {
    await pgQuery(`CREATE SCHEMA ${schema}`);
    await pgQuery(`CREATE TABLE ${schema}.events (id int, amount text, updated_at timestamptz)`);
    await pgQuery(`INSERT INTO ${schema}.events VALUES (1, '5', '2024-01-01T00:00:00Z'), (2, 'abc', '2024-01-02T00:00:00Z'), (NULL, '7', '2024-01-03T00:00:00Z')`);
    session = await TidemarkSession.open({ warehouse, catalog: path.join(root, 'no-catalog') });
  });
  afterAll(async () => {
    await session?.close();
    await pgQuery(`DROP SCHEMA ${schema} CASCADE`);
  });
  const def = (name: string, transform: string): PipelineDefinition =>
    definePipeline({ name, source: { kind: 'postgres', url: PG_URL, table: `${schema}.events`, watermarkColumn: 'updated_at' }, transform, target: { table: `pg.${name}`, recordKey: ['id'] } });

  it('a conversion error names the PostgreSQL table, the query run and the row (by its watermark value)', async () => {
    const r = await runPipeline(session.context, def('pg_cast', 'SELECT id, CAST(amount AS INTEGER) AS amount FROM source WHERE id IS NOT NULL'));
    expect(r.step).toBe('transform');
    expect(r.error!.split('\n')[0]).toMatch(
      new RegExp(`; the value 'abc' \\(column "amount"\\) comes from row \\d \\(updated_at = 2024-01-02 00:00:00\\+00\\) fetched from PostgreSQL table ${schema}\\.events \\(query: SELECT \\* FROM "${schema}"\\."events" WHERE "updated_at" <= '[^']+'::timestamptz\\)$`),
    );
  });

  it('a null key names the PostgreSQL row', async () => {
    const r = await runPipeline(session.context, def('pg_null_key', 'SELECT id, amount FROM source'));
    expect(r.step).toBe('write');
    expect(r.error).toMatch(/; the first source row with "id" null or empty is row \d \(updated_at = 2024-01-03 00:00:00\+00\) fetched from PostgreSQL table /);
  });
});

describe('daily-run, after its summary table: a block per failed pipeline with its step and whole error', () => {
  const warehouse = path.join(root, 'cli-warehouse');
  const catalog = path.join(root, 'catalog');
  const pipeline = (def: object): void => fs.writeFileSync(path.join(catalog, `${(def as { name: string }).name}.mjs`), `export default ${JSON.stringify(def, null, 2)};\n`);
  let out = '';
  let code = -1;

  beforeAll(async () => {
    fs.mkdirSync(catalog, { recursive: true });
    const customers = land('cli/customers.jsonl', CUSTOMERS);
    pipeline({ name: 'loads_fine', source: { kind: 'files', path: customers }, target: { table: 'cli.fine', recordKey: ['id'] } });
    pipeline({
      name: 'bad_sql',
      source: { kind: 'files', path: customers },
      transform: 'SELECT id, a_column_that_does_not_exist_anywhere FROM source',
      target: { table: 'cli.bad', recordKey: ['id'] },
    });
    pipeline({
      name: 'tier_check',
      source: { kind: 'files', path: customers },
      checks: [{ kind: 'accepted_values', column: 'tier', values: ['gold', 'silver'] }],
      target: { table: 'cli.tiers', recordKey: ['id'] },
    });
    code = await main(['--warehouse', warehouse, '--catalog', catalog, 'daily-run'], { stdout: (s) => void (out += s), stderr: () => undefined });
  });

  it('exits 1; the table keeps one short line of each error', () => {
    expect(code).toBe(1);
    const table = out.slice(0, out.indexOf('Completed with'));
    const badRow = table.split('\n').find((l) => l.startsWith('bad_sql'))!;
    const cell = badRow.slice(badRow.indexOf('[transform]'));
    expect(cell).toMatch(/^\[transform\] transform of pipeline bad_sql failed: .*…$/); // its first line, cut to the cell's width
    expect(cell.length).toBeLessThanOrEqual(60);
    expect(table).not.toContain('LINE 1');
    expect(table).toContain('2 pipeline(s) FAILED');
  });

  it('the blocks hold the step and every line of each failed pipeline, and nothing for the one that succeeded', () => {
    const report = out.slice(out.indexOf('Completed with'));
    expect(report).toMatch(/^Completed with 2 failures:\n\n/);
    expect(report).toMatch(/Failure in pipeline bad_sql, step transform \(run [0-9a-f-]{36}\):\n  transform of pipeline bad_sql failed: Binder Error: Referenced column "a_column_that_does_not_exist_anywhere" not found in FROM clause!\n/);
    // DuckDB's quote of the SQL and its caret, showing the transform as written (not Tidemark's CREATE TABLE around it).
    expect(report).toContain('\n  LINE 1: SELECT id, a_column_that_does_not_exist_anywhere FROM source\n                     ^\n');
    expect(report).toMatch(new RegExp(`Failure in pipeline tier_check, step check \\(run [0-9a-f-]{36}\\):\\n  check failed: accepted_values\\(tier\\): 6 rows fail, e\\.g\\. ${TIER_SAMPLES.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    expect(report).not.toContain('loads_fine');
  });

  it('--json carries the step, and the check samples', async () => {
    let json = '';
    await main(['--warehouse', warehouse, '--catalog', catalog, 'daily-run', '--pipeline', 'tier_check', '--json'], { stdout: (s) => void (json += s), stderr: () => undefined });
    const [result] = JSON.parse(json).results as Array<{ step: string; checks: Array<{ samples: Array<{ text: string }> }> }>;
    expect(result!.step).toBe('check');
    expect(result!.checks[0]!.samples.map((s) => s.text).join(', ')).toBe(TIER_SAMPLES);
  });
});
