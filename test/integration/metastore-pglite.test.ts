/**
 * The metastore contract on embedded PGlite (the default store, under `<warehouse>/.metastore`), and the
 * lock file that keeps a second process off a PGlite directory.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ResolvedConfig, resolveConfig } from '../../src/config/config.ts';
import { InvalidArgumentError, MetastoreInUseError } from '../../src/errors.ts';
import { KnexMetastore } from '../../src/metastore/knex-metastore.ts';
import { type OpenMetastoreOptions, embeddedLockPath, openMetastore } from '../../src/metastore/open-metastore.ts';
import { describeMetastoreContract } from '../contract/metastore.contract.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OPEN_METASTORE_URL = pathToFileURL(path.join(ROOT, 'src/metastore/open-metastore.ts')).href;
const CONFIG_URL = pathToFileURL(path.join(ROOT, 'src/config/config.ts')).href;
const temps: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Opens the embedded store of `config`, timing it. */
async function timedOpen(config: ResolvedConfig, options: OpenMetastoreOptions = {}): Promise<{ metastore: KnexMetastore; ms: number }> {
  const started = performance.now();
  const metastore = await openMetastore(config, options);
  const ms = Math.round(performance.now() - started);
  if (!(metastore instanceof KnexMetastore)) throw new Error('openMetastore should return a KnexMetastore');
  return { metastore, ms };
}

/**
 * A second metastore on the same PGlite database. PGlite has exactly one session, so "another
 * connection" is a second knex instance (own pool) over the same PGlite object: the lock contract
 * then holds because the adapter refuses a key its session already holds, not because of a second
 * backend. Its close must not close the PGlite the first instance still uses.
 */
async function peerOf(metastore: KnexMetastore): Promise<KnexMetastore> {
  const client = metastore.knex.client as { acquireConnection(): Promise<PGlite>; releaseConnection(c: PGlite): Promise<unknown> };
  const pglite = await client.acquireConnection();
  await client.releaseConnection(pglite);
  const unclosable = new Proxy(pglite, {
    get(target, property) {
      if (property === 'close') return async () => undefined;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const connection = (() => ({ pglite: unclosable })) as unknown as Knex.Config['connection'];
  return new KnexMetastore(knex({ client: ClientPgLite, connection }));
}

describeMetastoreContract('PGlite (embedded)', async () => {
  const warehouse = tempDir('tm-pglite-contract-');
  const { metastore, ms } = await timedOpen(resolveConfig({ warehouse }, {}, warehouse));
  console.log(`PGlite open+migrate of a new warehouse: ${ms} ms`);
  return {
    metastore,
    knex: metastore.knex,
    peer: () => peerOf(metastore),
    cleanup: () => metastore.close(),
  };
});

/** Runs a child process that opens the warehouse's store: `try` reports the outcome, `hold` keeps it open until killed. */
function childScript(dir: string): string {
  const file = path.join(dir, 'open-child.mts');
  writeFileSync(file, `
    const { openMetastore } = await import(${JSON.stringify(OPEN_METASTORE_URL)});
    const { resolveConfig } = await import(${JSON.stringify(CONFIG_URL)});
    const [warehouse, mode] = process.argv.slice(2);
    try {
      const metastore = await openMetastore(resolveConfig({ warehouse }, {}, warehouse));
      console.log(JSON.stringify({ opened: true }));
      if (mode === 'hold') setInterval(() => undefined, 1000);
      else await metastore.close();
    } catch (error) {
      console.log(JSON.stringify({ opened: false, name: error.name, code: error.code, message: error.message }));
    }
  `);
  return file;
}

/** The pid a lock file names (a line of JSON: pid, start time, boot id, generation). */
const holderPid = (lockPath: string): number => (JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number }).pid;

describe('embedded metastore lock file', () => {
  let warehouse: string;
  let config: ResolvedConfig;
  let lockPath: string;
  let script: string;
  let first: KnexMetastore | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    warehouse = tempDir('tm-pglite-lock-');
    config = resolveConfig({ warehouse }, {}, warehouse);
    lockPath = embeddedLockPath(config);
    script = childScript(tempDir('tm-pglite-child-'));
    first = (await timedOpen(config)).metastore;
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await first?.close();
  });

  const childArgs = (mode: string) => ['--import', 'tsx', script, warehouse, mode];

  it('holds a lock file with its pid while open', () => {
    expect(holderPid(lockPath)).toBe(process.pid);
  });

  it('refuses a second open in the same process, naming the warehouse and the holder', async () => {
    const error = await openMetastore(config).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MetastoreInUseError);
    expect(error).toMatchObject({ code: 'METASTORE_IN_USE', file: lockPath, value: process.pid });
    expect((error as Error).message).toContain(`the warehouse ${warehouse} is in use by process ${process.pid}`);
    expect((error as Error).message).toMatch(/PostgreSQL metastore URL/);
    // The refused open must not have taken the lock from its holder.
    expect(holderPid(lockPath)).toBe(process.pid);
  });

  it('refuses an open from a child process', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, childArgs('try'), { cwd: ROOT });
    const outcome = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(outcome).toMatchObject({ opened: false, name: 'MetastoreInUseError', code: 'METASTORE_IN_USE' });
    expect(outcome.message).toContain(`the warehouse ${warehouse} is in use by process ${process.pid}`);
  });

  it('releases the lock on close, and reopens an existing warehouse', async () => {
    await first!.close();
    first = undefined;
    expect(existsSync(lockPath)).toBe(false);
    const { metastore, ms } = await timedOpen(config);
    console.log(`PGlite open+migrate of an existing warehouse: ${ms} ms`);
    expect(holderPid(lockPath)).toBe(process.pid);
    await metastore.close();
  });

  it('takes over a stale lock file whose process is dead', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(lockPath, `${dead}\n`);
    const { metastore } = await timedOpen(config);
    expect(holderPid(lockPath)).toBe(process.pid);
    await metastore.close();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('treats an empty lock file (its creator died before writing) as stale', async () => {
    writeFileSync(lockPath, '');
    const { metastore } = await timedOpen(config);
    await metastore.close();
  });

  it("removes an empty postmaster.pid (a process killed while PGlite started) under the lock, and says so", async () => {
    const pidFile = path.join(config.embeddedMetastoreDir, 'postmaster.pid');
    writeFileSync(pidFile, ''); // PGlite alone refuses this store for ever: "PGlite failed to initialize properly"
    const notices: string[] = [];
    const { metastore } = await timedOpen(config, { onNotice: (message) => notices.push(message) });
    expect(await metastore.listTables()).toEqual([]);
    await metastore.close();
    expect(notices).toEqual([`removed an empty ${pidFile} left by a process that did not close the embedded metastore (PGlite refuses to start while it is there)`]);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('refuses while a child process holds the store, and takes over after the child is killed', async () => {
    const child = spawn(process.execPath, childArgs('hold'), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => (chunk.toString().includes('"opened":true') ? resolve() : reject(new Error(chunk.toString()))));
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const error = await openMetastore(config).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MetastoreInUseError);
    expect((error as Error).message).toContain(`in use by process ${child.pid}`);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL'); // a crash: the lock file stays behind with a dead pid
    await exited;
    expect(holderPid(lockPath)).toBe(child.pid);
    const notices: string[] = [];
    const { metastore } = await timedOpen(config, { onNotice: (message) => notices.push(message) });
    expect(notices).toEqual([expect.stringMatching(/^removed a .*postmaster\.pid left by a process that did not close the embedded metastore$/)]);
    // PGlite recovered from the killed process, and the data is there.
    expect(await metastore.listTables()).toEqual([]);
    await metastore.close();
  });
});

describe('resolveConfig: which store openMetastore opens', () => {
  const cwd = '/srv/jobs';

  it('defaults to the embedded store under ./warehouse, with absolute paths', () => {
    const config = resolveConfig({}, {}, cwd);
    expect(config).toEqual({ metastoreUrl: undefined, embeddedMetastoreDir: '/srv/jobs/warehouse/.metastore', warehouse: '/srv/jobs/warehouse', catalog: '/srv/jobs/catalog' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes the environment over defaults and flags over the environment (empty values count as unset)', () => {
    const env = { TIDEMARK_METASTORE_URL: 'postgres://env@db/tm', TIDEMARK_WAREHOUSE: 'env-wh', TIDEMARK_CATALOG: '/abs/cat' };
    expect(resolveConfig({}, env, cwd)).toEqual({ metastoreUrl: 'postgres://env@db/tm', embeddedMetastoreDir: '/srv/jobs/env-wh/.metastore', warehouse: '/srv/jobs/env-wh', catalog: '/abs/cat' });
    expect(resolveConfig({ metastore: 'postgresql://flag@db/tm', warehouse: '/w', catalog: '' }, env, cwd))
      .toEqual({ metastoreUrl: 'postgresql://flag@db/tm', embeddedMetastoreDir: '/w/.metastore', warehouse: '/w', catalog: '/abs/cat' });
    expect(resolveConfig({}, { TIDEMARK_METASTORE_URL: '' }, cwd).metastoreUrl).toBeUndefined();
  });

  it('rejects a metastore that is not a postgres URL, without echoing its password', () => {
    expect(() => resolveConfig({ metastore: 'mysql://u:secret@db/x' }, {}, cwd)).toThrow(InvalidArgumentError);
    expect(() => resolveConfig({ metastore: 'mysql://u:secret@db/x' }, {}, cwd)).toThrow(/mysql:\/\/u:\*\*\*@db\/x/);
  });
});
