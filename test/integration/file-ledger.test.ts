/**
 * The ledger of loaded files of a `files` source (no watermark column), on DuckDB and the embedded
 * metastore: files landing with old mtimes load exactly once, also across a process killed between
 * the table commit and the log; renamed or rewritten files load again; a glob that never matched
 * fails unless `allowEmpty`, and empty polls after a match are ordinary no-data runs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TidemarkSession } from '../../src/session.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { definePipeline, validatePipeline, type PipelineDefinition } from '../../src/pipeline/definition.ts';
import { LEDGER_KEY, decodeLedger } from '../../src/pipeline/sources/file-ledger.ts';
import { FixedClock } from '../../src/time/clock.ts';
import { useTempDir } from '../support/temp-dir.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('the ledger of loaded files', () => {
  const root = useTempDir('ledger');
  const warehouse = path.join(root, 'warehouse');
  const landing = path.join(root, 'landing');
  const clock = new FixedClock('2024-03-01T00:00:00Z');
  /** Long before any run's window: what `rsync -a`, `cp -p` or `tar x` leave. */
  const OLD = new Date('2001-01-01T00:00:00Z');
  let session: TidemarkSession;
  const def = (over: Partial<PipelineDefinition> = {}): PipelineDefinition =>
    definePipeline({
      name: 'landed_events',
      source: { kind: 'files', path: path.join(landing, '*.jsonl'), format: 'json' },
      target: { table: 'bronze.landed', recordKey: ['id'], precombine: 'ts' },
      ...over,
    });
  const open = async (): Promise<void> => {
    session = await TidemarkSession.open({ warehouse, catalog: path.join(root, 'no-catalog'), clock });
  };
  const land = (name: string, rows: object[], mtime: Date = OLD): void => {
    const file = path.join(landing, name);
    fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    fs.utimesSync(file, mtime, mtime);
  };
  const run = async (d: PipelineDefinition = def()) => {
    clock.tick(3_600_000);
    return runPipeline(session.context, d);
  };
  const target = (): string => path.join(warehouse, 'bronze', 'landed');
  const ids = async (): Promise<number[]> => (await session.engine.read(target(), { columns: ['id'] })).map((r) => Number(r.id)).sort((a, b) => a - b);
  const log = async () => session.metastore.runs({ pipelineName: 'landed_events' });

  beforeAll(async () => {
    fs.mkdirSync(landing, { recursive: true });
    await open();
  });
  afterAll(async () => {
    await session?.close();
  });

  it('loads files with old mtimes, once; the commit carries the ledger', async () => {
    land('a.jsonl', [{ id: 1, ts: 1 }, { id: 2, ts: 1 }]);
    land('b.jsonl', [{ id: 3, ts: 1 }]);
    const first = await run();
    expect(first.error).toBeUndefined();
    expect([first.recordsRead, first.inserted]).toEqual([3, 3]);
    const state = await session.engine.table(target());
    const ledger = decodeLedger(state.commits.get(first.instant!)!.extraMetadata[LEDGER_KEY]!, first.instant!);
    expect([...ledger.keys()].map((f) => path.basename(f)).sort()).toEqual(['a.jsonl', 'b.jsonl']);

    // Lands after the first run, with an mtime long before its window: a window of mtimes misses it.
    land('c.jsonl', [{ id: 4, ts: 1 }]);
    const second = await run();
    expect(second.window!.start).not.toBeNull();
    expect([second.recordsRead, second.inserted]).toEqual([1, 1]);
    const idle = await run();
    expect(idle).toMatchObject({ status: 'SUCCESS', recordsRead: 0, instant: undefined });
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });

  it('a renamed or rewritten file loads again', async () => {
    fs.renameSync(path.join(landing, 'c.jsonl'), path.join(landing, 'd.jsonl'));
    const renamed = await run();
    expect(renamed).toMatchObject({ status: 'SUCCESS', recordsRead: 1, inserted: 0, updated: 0 }); // read again; its row is unchanged
    land('a.jsonl', [{ id: 1, ts: 2 }, { id: 2, ts: 1 }], new Date('2001-06-01T00:00:00Z')); // rewritten (same size), as rsync -a would: the source's old mtime
    const rewritten = await run();
    expect(rewritten).toMatchObject({ status: 'SUCCESS', recordsRead: 3, updated: 1 }); // a.jsonl, and d.jsonl not yet in the ledger
    expect((await run()).recordsRead).toBe(0);
    const touched = path.join(landing, 'b.jsonl');
    fs.utimesSync(touched, new Date('2002-01-01T00:00:00Z'), new Date('2002-01-01T00:00:00Z'));
    expect((await run()).recordsRead).toBe(1); // a changed mtime alone is a change
  });

  it('a process killed after the table commit: the file is neither lost nor loaded twice', async () => {
    land('e.jsonl', [{ id: 5, ts: 1 }]);
    await session.close();
    clock.tick(3_600_000);
    const args = [JSON.stringify(def()), warehouse, 'after-commit', clock.now().toISO()!];
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', path.join(here, '../support/crash-run.ts'), ...args], { stdio: 'pipe' })).toThrow();
    await open();
    const dead = (await log()).find((r) => r.status === 'RUNNING')!;
    expect(dead).toBeDefined();
    const next = await run();
    expect((await log()).find((r) => r.runId === dead.runId)).toMatchObject({ status: 'SUCCESS', recordsInserted: 1 });
    expect(next).toMatchObject({ status: 'SUCCESS', recordsRead: 0, instant: undefined }); // e.jsonl is in the dead run's ledger
    expect(await ids()).toEqual([1, 2, 3, 4, 5]);
  });

  it('a process killed before committing: the file loads on the next run', async () => {
    land('f.jsonl', [{ id: 6, ts: 1 }]);
    await session.close();
    clock.tick(3_600_000);
    const args = [JSON.stringify(def()), warehouse, 'before-commit', clock.now().toISO()!];
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', path.join(here, '../support/crash-run.ts'), ...args], { stdio: 'pipe' })).toThrow();
    await open();
    const next = await run();
    expect(next).toMatchObject({ status: 'SUCCESS', recordsRead: 1, inserted: 1 });
    expect(await ids()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('empty polls after files matched once are no-data runs', async () => {
    for (const f of fs.readdirSync(landing)) fs.rmSync(path.join(landing, f));
    const empty = await run();
    expect(empty).toMatchObject({ status: 'SUCCESS', recordsRead: 0, instant: undefined, error: undefined });
    // Back as it was: the ledger still knows it (entries leave it only when a later load records a new one).
    land('a.jsonl', [{ id: 1, ts: 2 }, { id: 2, ts: 1 }], new Date('2001-06-01T00:00:00Z'));
    expect(await run()).toMatchObject({ status: 'SUCCESS', recordsRead: 0 });
    land('g.jsonl', [{ id: 7, ts: 1 }]);
    expect(await run()).toMatchObject({ status: 'SUCCESS', recordsRead: 1, inserted: 1 });
    expect(await ids()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a glob that never matched fails the extract; allowEmpty makes it a no-data run', async () => {
    const typo = def({ name: 'typo_feed', source: { kind: 'files', path: path.join(root, 'landnig', '*.jsonl'), format: 'json' }, target: { table: 'bronze.typo', recordKey: ['id'] } });
    const failed = await run(typo);
    expect(failed.status).toBe('FAILED');
    expect(failed.step).toBe('extract');
    expect(failed.error).toContain(`[extract] no file matches ${path.join(root, 'landnig', '*.jsonl')}`);
    expect((await run(typo)).status).toBe('FAILED'); // every day, not only the first
    const allowed = await run({ ...typo, source: { ...typo.source, allowEmpty: true } as PipelineDefinition['source'] });
    expect(allowed).toMatchObject({ status: 'SUCCESS', recordsRead: 0, instant: undefined });
    expect(() => validatePipeline({ ...typo, source: { ...typo.source, allowEmpty: 'yes' } }, 'typo.mjs')).toThrow(/allowEmpty must be true or false/);
  });
});
