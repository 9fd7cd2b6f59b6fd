/**
 * Commands pointed at the wrong place fail loudly and create nothing: read-only commands on a
 * missing warehouse or metastore exit 3, `daily-run` without its catalog folder exits 2, an unknown
 * `status --pipeline` exits 2, and a broken catalog module fails only the commands that run pipelines.
 * The same from the API (`dailyRun`). Also where a catalog module's error is located.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dailyRun } from '../../src/api.ts';
import { main } from '../../src/cli/main.ts';
import { locate } from '../../src/definitions/load-catalog.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { useTempDir } from '../support/temp-dir.ts';

const root = useTempDir('missing');
beforeEach(() => void vi.stubEnv('TIDEMARK_METASTORE_URL', ''));
afterEach(() => void vi.unstubAllEnvs());

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

describe('read-only commands on a warehouse that does not exist', () => {
  const warehouse = path.join(root, 'no-such-warehouse');
  const catalog = path.join(root, 'no-such-catalog');

  it.each([
    ['status'],
    ['status', '--json'],
    ['tables'],
    ['read', 'shop.orders'],
    ['commits', 'shop.orders'],
    ['table', 'describe', 'shop.orders'],
    ['sql', "SELECT count(*) FROM tidemark_scan('shop.orders')"],
  ])('%s … exits 3, says what it looked for, and creates nothing', async (...args) => {
    const r = await cli('--warehouse', warehouse, '--catalog', catalog, ...args);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`no metastore at ${path.join(warehouse, '.metastore')}`);
    expect(r.err).toContain('--warehouse');
    expect(fs.existsSync(warehouse)).toBe(false);
  });

  it('a table read by its path needs no metastore, and a missing path is exit 3', async () => {
    const r = await cli('--warehouse', warehouse, 'read', path.join(root, 'nothing-here'));
    expect(r.code).toBe(3);
    expect(fs.existsSync(warehouse)).toBe(false);
  });
});

describe('daily-run without its catalog folder', () => {
  it('exits 2 naming the folder and how to set it, and creates no warehouse', async () => {
    const warehouse = path.join(root, 'wh-daily');
    const catalog = path.join(root, 'missing-catalog');
    const r = await cli('--warehouse', warehouse, '--catalog', catalog, 'daily-run');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`the catalog directory ${catalog} does not exist`);
    expect(r.err).toContain('--catalog');
    expect(fs.existsSync(warehouse)).toBe(false);
  });

  it('dailyRun() from code throws the same error', async () => {
    const catalog = path.join(root, 'missing-catalog');
    await expect(dailyRun({ warehouse: path.join(root, 'wh-api'), catalog })).rejects.toThrow(InvalidArgumentError);
    expect(fs.existsSync(path.join(root, 'wh-api'))).toBe(false);
  });
});

describe('a catalog with a broken module', () => {
  const warehouse = path.join(root, 'wh-broken');
  const catalog = path.join(root, 'catalog-broken');

  it('fails daily-run naming the file; status warns and goes on; tables does not load the catalog', async () => {
    fs.mkdirSync(catalog, { recursive: true });
    fs.writeFileSync(path.join(catalog, 'good.mjs'), "export default { name: 'good', source: { kind: 'files', path: '/nonexistent/*.csv' }, target: { table: 'a.good', recordKey: ['id'] }, schedule: 'always' };\n");
    fs.writeFileSync(path.join(catalog, 'bad.mjs'), "export default { name: 'bad', source: { kind: 'nope' }, target: { table: 'a.bad', recordKey: ['id'] } };\n");
    expect((await cli('--warehouse', warehouse, '--catalog', catalog, 'init', root, '--no-example')).code).toBe(0);
    const run = await cli('--warehouse', warehouse, '--catalog', catalog, 'daily-run', '--all');
    expect(run.code).toBe(2);
    expect(run.err).toContain(path.join(catalog, 'bad.mjs'));
    const warned = await cli('--warehouse', warehouse, '--catalog', catalog, 'status');
    expect(warned.code).toBe(0);
    expect(warned.err).toMatch(/"level":40,.*"msg":"skipped a catalog module: .*bad\.mjs/);
    expect(await cli('--warehouse', warehouse, '--catalog', catalog, 'tables')).toMatchObject({ code: 0, err: '' });
    const status = await cli('--warehouse', warehouse, '--catalog', catalog, 'status', '--json');
    expect(JSON.parse(status.out).map((s: { pipeline: string }) => s.pipeline)).toEqual(['good']);
  });

  it('status --pipeline with a name neither the catalog nor the log knows exits 2', async () => {
    const r = await cli('--warehouse', warehouse, '--catalog', catalog, 'status', '--pipeline', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain('no pipeline named "nope"');
    expect(r.err).toContain('good');
  });
});

describe('locating a catalog module error', () => {
  const file = '/p/catalog/x.ts';

  it('reads file:line:column from esbuild messages and stack frames', () => {
    expect(locate(new Error(`Transform failed with 1 error:\n${file}:3:14: ERROR: Expected "}" but found ","`), file)).toBe(`${file}:3:14`);
    const thrown = new Error('boom');
    thrown.stack = `Error: boom\n    at file:///p/catalog/x.ts:7:9\n    at ModuleJob.run`;
    expect(locate(thrown, file)).toBe(`${file}:7:9`);
  });

  it("takes a syntax error's column from the caret under the code", () => {
    const error = new SyntaxError('Unexpected token');
    error.stack = `file:///p/catalog/x.ts:2\n  name: 'a',,\n            ^\n\nSyntaxError: Unexpected token ','`;
    expect(locate(error, file)).toBe(`${file}:2:13`);
  });

  it('says just the file when nothing locates it', () => {
    expect(locate(new Error('no location'), file)).toBe(file);
  });
});
