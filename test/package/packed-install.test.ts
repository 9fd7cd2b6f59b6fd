/**
 * Tidemark as a user gets it: `npm pack` of this checkout (the compiled `dist/` that `npm test` has
 * just built), installed into a fresh project in the system temp directory, far from this
 * repository, and used there with plain `node` and `npx`: `tidemark init`, a TypeScript pipeline
 * that imports `definePipeline` from 'tidemark' in a folder without `"type": "module"`, a `.mjs`
 * script calling `runPipeline()`, `status --json`, a broken catalog module, and the read-only
 * commands on a warehouse that does not exist.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const project = fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-user-project-'));
const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-pack-'));
// The user's shell: none of this suite's Tidemark settings.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TIDEMARK_') && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function run(command: string, args: ReadonlyArray<string>, cwd = project): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, [...args], { cwd, env, maxBuffer: 64 << 20 });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

const tidemark = (...args: string[]): Promise<Run> => run('npx', ['--no-install', 'tidemark', ...args]);
const write = (file: string, text: string): void => {
  fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
  fs.writeFileSync(path.join(project, file), text);
};

const EVENTS_PIPELINE = `import { definePipeline, type PipelineDefinition } from 'tidemark';
import { LANDING } from './_paths.js';

const pipeline: PipelineDefinition = definePipeline({
  name: 'events',
  source: { kind: 'files', path: LANDING + '/*.jsonl', format: 'json' },
  transform: 'SELECT id, kind, ts::TIMESTAMPTZ AS ts FROM source',
  checks: [{ kind: 'not_null', column: 'kind' }],
  target: { table: 'app.events', recordKey: ['id'], precombine: 'ts' },
  schedule: 'always',
});
export default pipeline;
`;

const PATHS_HELPER = `import { fileURLToPath } from 'node:url';
export const LANDING: string = fileURLToPath(new URL('../landing', import.meta.url));
`;

const SCRIPT = `import { runPipeline, pipelineStatus } from 'tidemark';
const result = await runPipeline('events', { catalog: 'catalog', warehouse: 'warehouse' });
const [status] = await pipelineStatus({ catalog: 'catalog', warehouse: 'warehouse', days: 1, pipeline: 'events' });
console.log(JSON.stringify({ status: result.status, error: result.error ?? null, inserted: result.inserted, runs: status.runs }));
`;

beforeAll(async () => {
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], { cwd: repo, encoding: 'utf8', env }).trim().split('\n').pop()!;
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-warehouse', version: '1.0.0', private: true }, null, 2));
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(packDir, packed)]);
  if (install.code !== 0) throw new Error(`npm install of the packed tarball failed:\n${install.err}`);
}, 300_000);

afterAll(() => {
  fs.rmSync(project, { recursive: true, force: true });
  fs.rmSync(packDir, { recursive: true, force: true });
});

describe('the packed package installed in a fresh project', () => {
  it('ships compiled JavaScript and type declarations, not a TypeScript loader', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/tidemark/package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.main).toMatch(/\.js$/);
    expect(fs.existsSync(path.join(project, 'node_modules/tidemark', pkg.main as string))).toBe(true);
    expect(fs.existsSync(path.join(project, 'node_modules/tidemark', pkg.types as string))).toBe(true);
    expect(Object.keys(pkg.dependencies as object)).not.toContain('tsx');
  });

  it('init scaffolds a project whose example pipeline runs at once', async () => {
    const init = await tidemark('init');
    expect(init.code, init.err).toBe(0);
    for (const f of ['catalog/orders.ts', 'data/orders.csv', '.gitignore', 'README.md']) expect(fs.existsSync(path.join(project, f)), f).toBe(true);
    expect(fs.readFileSync(path.join(project, '.gitignore'), 'utf8')).toContain('warehouse/');
    const first = await tidemark('daily-run', '--json');
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out).results).toEqual([expect.objectContaining({ pipeline: 'orders', status: 'SUCCESS', recordsRead: 8, inserted: 7 })]);
    const rows = await tidemark('read', 'shop.orders', '--format', 'jsonl', '--columns', 'order_id,status');
    expect(rows.code, rows.err).toBe(0);
    const orders = rows.out.trim().split('\n').map((l) => JSON.parse(l) as { order_id: number; status: string });
    expect(orders).toHaveLength(7);
    expect(orders.find((o) => o.order_id === 1002)?.status).toBe('paid'); // the newer version of order 1002 won
  });

  it("runs a TypeScript pipeline that imports from 'tidemark', from the CLI and from a .mjs script under plain node", async () => {
    write('catalog/_paths.ts', PATHS_HELPER);
    write('catalog/events.ts', EVENTS_PIPELINE);
    write('landing/day1.jsonl', '{"id": 1, "kind": "signup", "ts": "2024-05-01T10:00:00Z"}\n{"id": 2, "kind": "login", "ts": "2024-05-01T11:00:00Z"}\n');
    const cli = await tidemark('daily-run', '--pipeline', 'events', '--json');
    expect(cli.code, cli.err).toBe(0);
    expect(JSON.parse(cli.out).results).toEqual([expect.objectContaining({ pipeline: 'events', status: 'SUCCESS', inserted: 2 })]);

    // A new file, picked up by a run from code.
    write('landing/day2.jsonl', '{"id": 3, "kind": "purchase", "ts": "2024-05-02T09:00:00Z"}\n');
    write('run.mjs', SCRIPT);
    const script = await run(process.execPath, ['run.mjs']);
    expect(script.code, script.err).toBe(0);
    expect(JSON.parse(script.out)).toEqual({ status: 'SUCCESS', error: null, inserted: 1, runs: 2 });

    const status = await tidemark('status', '--json');
    expect(status.code, status.err).toBe(0);
    const byName = new Map((JSON.parse(status.out) as Array<{ pipeline: string; runs: number; lastStatus: string }>).map((s) => [s.pipeline, s]));
    expect(byName.get('events')).toMatchObject({ runs: 2, lastStatus: 'SUCCESS', target: 'app.events' });
    expect(byName.get('orders')).toMatchObject({ runs: 1, lastStatus: 'SUCCESS' });
    const count = await tidemark('sql', "SELECT count(*) AS n FROM tidemark_scan('app.events')", '--format', 'csv');
    expect(count.out).toBe('n\r\n3\r\n');
  });

  it('a broken catalog module fails daily-run, naming file, line and column, and is only a warning elsewhere', async () => {
    write('catalog/broken.ts', "import { definePipeline } from 'tidemark';\nexport default definePipeline({\n  name: 'broken',,\n});\n");
    try {
      const runAll = await tidemark('daily-run', '--all');
      expect(runAll.code).toBe(2);
      expect(runAll.err).toContain(`${path.join(project, 'catalog/broken.ts')}:3:`);
      const status = await tidemark('status');
      expect(status.code, status.err).toBe(0);
      expect(status.err).toMatch(/"level":40,.*"msg":"skipped a catalog module: .*broken\.ts:3:\d+/);
      expect(status.out).toContain('events');
      const tables = await tidemark('tables', '--json');
      expect(tables.code).toBe(0);
    } finally {
      fs.rmSync(path.join(project, 'catalog/broken.ts'));
    }
  });

  it('commands run from the wrong folder fail loudly and create nothing', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-elsewhere-'));
    try {
      const bin = path.join(project, 'node_modules/.bin/tidemark');
      const daily = await run(bin, ['daily-run'], elsewhere);
      expect(daily.code).toBe(2);
      expect(daily.err).toContain(path.join(elsewhere, 'catalog'));
      expect(daily.err).toContain('--catalog');
      for (const args of [['status'], ['tables'], ['read', 'shop.orders'], ['commits', 'shop.orders'], ['table', 'describe', 'shop.orders'], ['sql', "SELECT * FROM tidemark_scan('shop.orders')"]]) {
        const r = await run(bin, args, elsewhere);
        expect([args.join(' '), r.code]).toEqual([args.join(' '), 3]);
        expect(r.err).toContain(path.join(elsewhere, 'warehouse'));
      }
      expect(fs.readdirSync(elsewhere)).toEqual([]);
      const unknown = await tidemark('status', '--pipeline', 'nope');
      expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining('no pipeline named "nope"')]);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
