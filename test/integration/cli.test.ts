import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { useTempDir } from '../support/temp-dir.ts';

const dir = useTempDir('cli');
let orders: string;

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process and captures what it prints. */
async function run(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

/** Runs a command that must succeed. */
async function ok(...args: string[]): Promise<string> {
  const r = await run(...args);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return r.out;
}

const jsonl = (text: string): Array<Record<string, unknown>> => text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const byId = (rows: Array<Record<string, unknown>>): Record<string, unknown> => Object.fromEntries(rows.map((r) => [String(r.id), r.name]));
const instants = async (table: string): Promise<string[]> => (JSON.parse(await ok('commits', table, '--json')) as Array<{ time: string }>).map((c) => c.time);

beforeAll(() => {
  orders = path.join(dir, 'my-orders');
});

describe('tidemark CLI', () => {
  it('--help lists the four commands; the real binary runs', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const c of ['write', 'read', 'commits', 'sql']) expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    const bin = fileURLToPath(new URL('../../bin/tidemark.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [bin, '--help'], { cwd: os.tmpdir(), encoding: 'utf8' });
    expect(out).toContain('Usage: tidemark');
    expect(out).toMatch(/^  commits /m);
  });

  it('creates the table on the first write with --key and prints counts', async () => {
    file('b1.csv', 'id,name,ts\n1,alice,10\n2,bob,10\n3,carol,10\n');
    const out = await ok('write', orders, '--input', path.join(dir, 'b1.csv'), '--key', 'id', '--precombine', 'ts');
    expect(out).toMatch(/^committed \d{17} \(upsert\)/);
    expect(out).toMatch(/inserted: +3\n/);
    expect(out).toMatch(/files written: +1\n/);
    expect(fs.readFileSync(path.join(orders, '.hoodie', 'hoodie.properties'), 'utf8')).toContain('hoodie.table.name=my_orders');
  });

  it('upserts on the second write: newer versions win, older ones are skipped', async () => {
    const rows = [
      { id: 2, name: 'bobby', ts: 11 },
      { id: 1, name: 'stale', ts: 9 },
      { id: 4, name: 'say "hi", ok\nbye', ts: 11 },
    ];
    file('b2.json', JSON.stringify(rows));
    const result = JSON.parse(await ok('write', orders, '--input', path.join(dir, 'b2.json'), '--json')) as Record<string, unknown>;
    expect(result).toMatchObject({ operation: 'upsert', inserted: 1, updated: 1, skippedAsOlder: 1, deleted: 0, filesWritten: 1 });
    expect(result.instant).toMatch(/^\d{17}$/);
    const read = jsonl(await ok('read', orders, '--format', 'jsonl'));
    expect(byId(read)).toEqual({ '1': 'alice', '2': 'bobby', '3': 'carol', '4': 'say "hi", ok\nbye' });
    expect(read[0]).toHaveProperty('_hoodie_commit_time');
  });

  it('commits --json lists both writes', async () => {
    const commits = JSON.parse(await ok('commits', orders, '--json')) as Array<Record<string, unknown>>;
    expect(commits.map((c) => [c.action, c.state, c.operation, c.inserted, c.updated])).toEqual([
      ['commit', 'COMPLETED', 'UPSERT', 3, 0],
      ['commit', 'COMPLETED', 'UPSERT', 1, 1],
    ]);
    expect(await ok('commits', orders)).toMatch(/^instant +action +state +operation +inserted +updated +deleted +files\n/);
  });

  it('--as-of the first instant shows the old state; --since shows only changed rows', async () => {
    const [first, second] = await instants(orders);
    expect(byId(jsonl(await ok('read', orders, '--as-of', first!, '--json')))).toEqual({ '1': 'alice', '2': 'bob', '3': 'carol' });
    const changed = jsonl(await ok('read', orders, '--since', first!, '--format', 'jsonl', '--columns', 'id,name'));
    expect(changed.map((r) => r.id).sort()).toEqual([2, 4]);
    expect(changed.every((r) => Object.keys(r).join() === 'id,name')).toBe(true);
    expect(jsonl(await ok('read', orders, '--since', second!, '--json'))).toEqual([]);
  });

  it('csv output quotes by RFC 4180; --limit is validated', async () => {
    const out = await ok('read', orders, '--format', 'csv', '--columns', 'id,name', '--where', 'id IN (2, 4)');
    expect(out.split('\r\n').slice(0, 1)).toEqual(['id,name']);
    expect(out).toContain('\r\n2,bobby\r\n');
    expect(out).toContain('\r\n4,"say ""hi"", ok\nbye"\r\n');
    expect(jsonl(await ok('read', orders, '--json', '--limit', '2'))).toHaveLength(2);
    const bad = await run('read', orders, '--limit', '-1');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'-1' is invalid");
  });

  it('read --format jsonl follows the value rules', async () => {
    const parquet = path.join(dir, 'types.parquet');
    const duck = await DuckDBInstance.create(':memory:');
    const c = await duck.connect();
    await c.run(`COPY (SELECT 1 AS id, 9007199254740993::BIGINT AS big, 42::BIGINT AS small, 12345.67890::DECIMAL(12,5) AS price,
      DATE '2024-01-02' AS d, TIMESTAMP '2024-01-01 10:00:00' AS ts, TIMESTAMPTZ '2024-01-01 12:00:00+02' AS tz,
      {'a': 1, 'b': ['x', 'y'], 'c': 2.50::DECIMAL(4,2)} AS s, [1, 2, 3] AS l, '\\x01\\x02'::BLOB AS bin) TO '${parquet}' (FORMAT parquet)`);
    c.closeSync();
    duck.closeSync();
    const table = path.join(dir, 'types');
    await ok('write', table, '--input', parquet, '--key', 'id');
    const out = await ok('read', table, '--format', 'jsonl');
    expect(out).toContain('"big":"9007199254740993","small":42,"price":"12345.67890"');
    const [row] = jsonl(out);
    expect(row).toMatchObject({
      id: 1,
      d: '2024-01-02',
      ts: '2024-01-01T10:00:00.000000Z',
      tz: '2024-01-01T10:00:00.000000Z',
      s: { a: 1, b: ['x', 'y'], c: '2.50' },
      l: [1, 2, 3],
      bin: 'AQI=',
      _hoodie_record_key: '1',
    });
    expect(await ok('read', table, '--format', 'csv', '--columns', 'price,s')).toBe('price,s\r\n12345.67890,"{""a"":1,""b"":[""x"",""y""],""c"":""2.50""}"\r\n');
  });

  it('sql addresses tables with tidemark_scan, latest and as of an instant', async () => {
    const [first] = await instants(orders);
    const q = `SELECT id, name FROM tidemark_scan('${orders}', as_of => '${first}') WHERE id <= 2 ORDER BY id`;
    expect(jsonl(await ok('sql', q, '--format', 'jsonl'))).toEqual([{ id: 1, name: 'alice' }, { id: 2, name: 'bob' }]);
    expect(jsonl(await ok('sql', `SELECT count(*) AS n FROM tidemark_scan('${orders}')`, '--json'))).toEqual([{ n: 4 }]);
    expect(await ok('sql', `SELECT id FROM tidemark_scan('${orders}') WHERE id > 100`)).toBe('id\n--\n(0 rows)\n');
  });

  describe('errors leave the table unchanged', () => {
    let before: string[];
    const snapshot = async (): Promise<string[]> => [await ok('commits', orders, '--json'), await ok('read', orders, '--json')];
    const fails = async (code: number, pattern: RegExp, ...args: string[]): Promise<void> => {
      const r = await run(...args);
      expect(r.err).toMatch(pattern);
      expect(r.err).toMatch(/^tidemark: /);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(code);
      expect(r.out).toBe('');
      expect(await snapshot()).toEqual(before);
    };

    beforeAll(async () => {
      before = await snapshot();
    });

    it('unknown --op names the value', async () => {
      await fails(2, /'frobnicate' is invalid.*upsert, insert, bulk_insert, delete/, 'write', orders, '--input', path.join(dir, 'b1.csv'), '--op', 'frobnicate');
    });

    it('a missing input file is named', async () => {
      await fails(2, /nope\.csv does not exist/, 'write', orders, '--input', path.join(dir, 'nope.csv'));
    });

    it('a missing table without --key says to pass --key', async () => {
      const absent = path.join(dir, 'absent');
      await fails(3, /no Hudi table at .*absent.*pass --key/, 'write', absent, '--input', path.join(dir, 'b1.csv'));
      expect(fs.existsSync(absent)).toBe(false);
    });

    it('malformed CSV and JSON input are refused, naming the file', async () => {
      await fails(2, /ragged\.csv/, 'write', orders, '--input', file('ragged.csv', 'id,name,ts\n1,a,12\n2,b,12,x,y\n3\n'));
      await fails(2, /broken\.json.*malformed/is, 'write', orders, '--input', file('broken.json', '[{"id": 5, "name": '));
    });

    it('a column type conflict names the column', async () => {
      await fails(2, /column "ts"[^\n]*conflict\.csv[^\n]*BIGINT/, 'write', orders, '--input', file('conflict.csv', 'id,name,ts\n5,eve,yesterday\n'));
    });

    it('an unknown option and a bad instant are usage errors', async () => {
      await fails(2, /unknown option '--bogus'/, 'read', orders, '--bogus');
      await fails(2, /as-of instant "soon" is not an instant time/, 'read', orders, '--as-of', 'soon');
    });
  });
});
