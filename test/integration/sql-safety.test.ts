/**
 * SQL from someone else: a read's `where` is one expression (no stacked statement, no subquery
 * reading files), and `tidemark sql --read-only` runs one query that can read nothing but the tables
 * it scans (issue #21).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { useEngine } from '../support/engine.ts';
import { tableOptions } from '../support/table-options.ts';

const create = tableOptions('safe', { partitionFields: ['dt'] });

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

describe('SQL safety', () => {
  let tm: Tidemark;
  let dir: string;
  let base: string;
  useEngine('sqlsafe', (e) => ({ tm, dir } = e));
  beforeAll(async () => {
    base = path.join(dir, 'orders');
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, dt: '2024-01-01', name: 'a;b' }, { id: 2, ts: 1, dt: '2024-01-02', name: 'b' }] }, { create });
  });

  describe('read where', () => {
    it.each([
      ['a stacked COPY', (out: string) => `id = 1; COPY (SELECT 42 AS x) TO '${out}'; SELECT 1`],
      ['a stacked COPY after a comment', (out: string) => `id = 1 /* x */; COPY (SELECT 42 AS x) TO '${out}'`],
      ['a closing parenthesis', (out: string) => `1=1) UNION ALL SELECT * FROM read_csv('${out}') WHERE (1=1`],
      ['a subquery reading a file', () => `EXISTS (FROM read_csv('/etc/passwd'))`],
      ['a SELECT subquery', () => `id IN (SELECT 1)`],
      ['an unclosed string', () => `name = 'x`],
      ['an E-string hiding a quote', (out: string) => `name = E'\\''; COPY (SELECT 1) TO '${out}'; --'`],
    ])('refuses %s', async (_, where) => {
      const out = path.join(dir, `leak-${Math.random().toString(36).slice(2)}.csv`);
      const error = await tm.read(base, { where: where(out) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toContain('where filter');
      expect(fs.existsSync(out)).toBe(false);
    });

    it('accepts expressions with ; in strings, comments, EXTRACT … FROM, and prunes on them', async () => {
      expect((await tm.read(base, { where: `name = 'a;b' -- a comment; with a ;` })).map((r) => r.id)).toEqual([1n]);
      expect((await tm.read(base, { where: `dt = '2024-01-02' AND extract(year FROM DATE '2024-01-01') = 2024 /* ; */` })).map((r) => r.id)).toEqual([2n]);
      expect((await tm.read(base, { where: `name = $$a;b$$ OR name = E'b\\'s'` })).map((r) => r.id)).toEqual([1n]);
    });

    it('is refused by the CLI with exit 2', async () => {
      const out = path.join(dir, 'cli-leak.csv');
      const r = await cli('read', base, '--where', `true; COPY (SELECT 1) TO '${out}'`);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/where filter/);
      expect(fs.existsSync(out)).toBe(false);
    });
  });

  describe('sql --read-only', () => {
    it('runs queries over tidemark_scan', async () => {
      const r = await cli('sql', '--read-only', `SELECT dt, count(*) AS n FROM tidemark_scan('${base}') GROUP BY dt ORDER BY dt`, '--json');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([{ dt: '2024-01-01', n: 1 }, { dt: '2024-01-02', n: 1 }]);
      const empty = await cli('sql', '--read-only', `SELECT id FROM tidemark_scan('${base}') WHERE id > 100`);
      expect(empty.out).toBe('id\n--\n(0 rows)\n');
    });

    it.each([
      ['COPY … TO', (d: string) => `COPY (SELECT 1 AS x) TO '${path.join(d, 'copied.csv')}'`],
      ['COPY inside a query', (d: string) => `SELECT * FROM tidemark_scan('${path.join(d, 'orders')}'); COPY (SELECT 1 AS x) TO '${path.join(d, 'copied.csv')}'`],
      ['read_csv of any file', () => `SELECT * FROM read_csv('/etc/passwd')`],
      ['read_text of any file', () => `SELECT * FROM read_text('/etc/passwd')`],
      ['a table file that is not a base file', (d: string) => `SELECT * FROM read_csv('${path.join(d, 'orders', '.hoodie', 'hoodie.properties')}')`],
      ['glob', () => `SELECT * FROM glob('/etc/*')`],
      ['ATTACH', (d: string) => `ATTACH '${path.join(d, 'x.db')}'`],
      ['INSTALL', () => 'INSTALL httpfs'],
      ['LOAD', () => 'LOAD httpfs'],
      ['SET', () => 'SET enable_external_access = true'],
    ])('refuses %s', async (_, statement) => {
      const r = await cli('sql', '--read-only', statement(dir));
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/read-only SQL/);
      expect(r.err).not.toMatch(/root:/);
      expect(fs.existsSync(path.join(dir, 'copied.csv'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'x.db'))).toBe(false);
    });

    it('without --read-only, the help says what SQL can do', async () => {
      const r = await cli('sql', '--help');
      expect(r.out).toMatch(/--read-only/);
      expect(r.out).toMatch(/any file/);
    });
  });
});
