/**
 * Two `daily-run` processes started at once against a PostgreSQL metastore: the per-pipeline
 * advisory lock keeps them from running one pipeline at the same time, every run is logged, and the
 * tables end with every record exactly once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TidemarkSession } from '../../src/session.ts';
import { PG_URL, pgQuery, postgresAvailable, uniqueSchema } from '../support/postgres.ts';
import { useTempDir } from '../support/temp-dir.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const available = await postgresAvailable();

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/tidemark.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

describe.skipIf(!available)('two daily-runs at once on a PostgreSQL metastore', () => {
  const schema = uniqueSchema('tm_conc');
  const metastore = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const root = useTempDir('conc');
  const warehouse = path.join(root, 'warehouse');
  const catalog = path.join(root, 'catalog');
  const landing = path.join(root, 'landing');
  beforeAll(async () => {
    await pgQuery(`CREATE SCHEMA ${schema}`);
    fs.mkdirSync(catalog, { recursive: true });
    fs.mkdirSync(landing, { recursive: true });
    const rows = Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: i, ts: 1, day: `2024-06-0${(i % 5) + 1}`, v: i }));
    fs.writeFileSync(path.join(landing, 'a.jsonl'), rows.join('\n') + '\n');
    const def = (name: string, source: object, table: string): string =>
      `export default ${JSON.stringify({ name, source, target: { table, recordKey: ['id'], precombine: 'ts', partitionBy: ['day'] }, schedule: 'always' })};\n`;
    fs.writeFileSync(path.join(catalog, 'a.mjs'), def('land', { kind: 'files', path: path.join(landing, '*.jsonl'), format: 'json' }, 'raw.events'));
    fs.writeFileSync(path.join(catalog, 'b.mjs'), def('refine', { kind: 'table', table: 'raw.events' }, 'clean.events'));
    fs.writeFileSync(path.join(catalog, 'c.mjs'), def('publish', { kind: 'table', table: 'clean.events' }, 'mart.events'));
  });
  afterAll(async () => {
    await pgQuery(`DROP SCHEMA ${schema} CASCADE`);
  });

  it('never runs one pipeline twice at once, logs every run, and loses or doubles nothing', async () => {
    const args = ['--metastore', metastore, '--warehouse', warehouse, '--catalog', catalog, 'daily-run', '--json'];
    const [a, b] = await Promise.all([run(args), run(args)]);
    expect([a.code, b.code], `${a.out}\n${b.out}`).toEqual([0, 0]);
    const results = [...JSON.parse(a.out).results, ...JSON.parse(b.out).results] as Array<{ pipeline: string; status: string; runId?: string }>;
    expect(results.every((r) => r.status === 'SUCCESS' || r.status === 'SKIPPED')).toBe(true);
    const session = await TidemarkSession.open({ metastore, warehouse, catalog });
    try {
      const log = await session.metastore.runs();
      // Every run that ran is logged, and only those.
      expect(log.map((r) => r.runId).sort()).toEqual(results.filter((r) => r.status === 'SUCCESS').map((r) => r.runId).sort());
      for (const name of ['land', 'refine', 'publish']) {
        const runs = log.filter((r) => r.pipelineName === name).sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime());
        expect(runs.length).toBeGreaterThanOrEqual(1);
        for (let i = 1; i < runs.length; i++) expect(runs[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.endedAt!.getTime());
        expect(runs.every((r) => r.status === 'SUCCESS')).toBe(true);
      }
      for (const table of ['raw.events', 'clean.events', 'mart.events']) {
        const [db, name] = table.split('.') as [string, string];
        const base = (await session.metastore.getTable(db, name))!.basePath;
        const [r] = await session.engine.sql(`SELECT count(*) AS n, count(DISTINCT id) AS d, sum(v) AS s FROM tidemark_scan('${base}')`);
        expect([Number(r!.n), Number(r!.d), Number(r!.s)]).toEqual([500, 500, (499 * 500) / 2]);
      }
    } finally {
      await session.close();
    }
  });

  it('two writers on one table at once both land, one after the other, with nothing lost or doubled', async () => {
    const write = (file: string) => run(['--metastore', metastore, '--warehouse', warehouse, 'write', 'shared.t', '--input', file, '--key', 'id', '--precombine', 'ts', '--json']);
    const a = path.join(root, 'wa.json');
    const b = path.join(root, 'wb.json');
    // Overlapping keys 50..99: the newer ts (writer b) must win whichever commits first.
    fs.writeFileSync(a, JSON.stringify(Array.from({ length: 100 }, (_, id) => ({ id, ts: 1, src: 'a' }))));
    fs.writeFileSync(b, JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: i + 50, ts: 2, src: 'b' }))));
    const [ra, rb] = await Promise.all([write(a), write(b)]);
    expect([ra.code, rb.code], ra.err + rb.err).toEqual([0, 0]);
    const [ca, cb] = [JSON.parse(ra.out), JSON.parse(rb.out)];
    expect(ca.instant).not.toBe(cb.instant);
    const session = await TidemarkSession.open({ metastore, warehouse, catalog });
    try {
      const base = (await session.metastore.getTable('shared', 't'))!.basePath;
      const commits = (await session.engine.commits(base)).filter((c) => c.action === 'commit' && c.state === 'COMPLETED');
      expect(commits.map((c) => c.time).sort()).toEqual([ca.instant, cb.instant].sort());
      const [r] = await session.engine.sql(`SELECT count(*) AS n, count(DISTINCT id) AS d, count(*) FILTER (WHERE src = 'b') AS nb FROM tidemark_scan('${base}')`);
      expect([Number(r!.n), Number(r!.d), Number(r!.nb)]).toEqual([150, 150, 100]);
    } finally {
      await session.close();
    }
  });
});
