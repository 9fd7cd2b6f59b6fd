/**
 * A `files` source types CSV columns by the engine's rules, as `write` does (#21): a text column
 * whose values happen to be `f`/`t` stays text (DuckDB alone reads it as BOOLEAN, and the next file
 * with another value would be refused forever), a long decimal stays exact, and a watermark column
 * read as text still selects the window's rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipeline } from '../../src/pipeline/definition.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { TidemarkSession } from '../../src/session.ts';
import { useTempDir } from '../support/temp-dir.ts';

const root = useTempDir('files-types');

function land(dir: string, name: string, text: string, mtime: Date): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), text);
  fs.utimesSync(path.join(dir, name), mtime, mtime);
}

describe('a files source reading CSV', () => {
  let session: TidemarkSession;
  beforeAll(async () => {
    session = await TidemarkSession.open({ warehouse: path.join(root, 'warehouse'), catalog: path.join(root, 'no-catalog') });
  });
  afterAll(async () => session?.close());

  const rowsOf = async (table: string): Promise<Array<Record<string, unknown>>> =>
    (await session.engine.read(path.join(root, 'warehouse', ...table.split('.')), { columns: ['id', 'flag', 'amount'] })).sort((a, b) => Number(a.id) - Number(b.id));

  it('keeps a column of f/t values as text and a long decimal exact, across files', async () => {
    const landing = path.join(root, 'flags');
    land(landing, 'a.csv', 'id,flag,amount\n1,f,12345678901234567.25\n2,f,1.5\n', new Date(Date.now() - 3_600_000));
    const def = definePipeline({ name: 'flags', source: { kind: 'files', path: path.join(landing, '*.csv') }, target: { table: 'types.flags', recordKey: ['id'] } });
    const first = await runPipeline(session.context, def);
    expect(first.error).toBeUndefined();
    expect(await rowsOf('types.flags')).toEqual([
      { id: 1n, flag: 'f', amount: '12345678901234567.25' },
      { id: 2n, flag: 'f', amount: '1.50' },
    ]);
    // Landed after the first run's window (which ends when that run started).
    await new Promise((resolve) => setTimeout(resolve, 20));
    land(landing, 'b.csv', 'id,flag,amount\n3,x,2.5\n', new Date());
    const second = await runPipeline(session.context, def);
    expect(second.error ?? "").toBe("");
    expect((await rowsOf('types.flags')).map((r) => r.flag)).toEqual(['f', 'f', 'x']);
    // The column is DECIMAL(38,2) now: a value its scale would round is refused, naming it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    land(landing, 'c.csv', 'id,flag,amount\n4,y,1.005\n', new Date());
    const third = await runPipeline(session.context, def);
    expect(third.status).toBe('FAILED');
    expect(third.error).toMatch(/value "1\.005" in column "amount" .* is DOUBLE, but column "amount" of table .* is DECIMAL\(38,2\), which would round it/);
    expect((await rowsOf('types.flags')).map((r) => r.id)).toEqual([1n, 2n, 3n]);
  });

  it('selects the window by a watermark column that is read as text', async () => {
    const landing = path.join(root, 'events');
    const now = Date.now();
    const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    land(landing, 'e.csv', `id,flag,amount,ts\n1,t,1.5,${iso(now - 7_200_000)}\n2,t,2.5,${iso(now + 86_400_000)}\n`, new Date(now - 3_600_000));
    const def = definePipeline({
      name: 'events',
      source: { kind: 'files', path: path.join(landing, '*.csv'), watermarkColumn: 'ts' },
      target: { table: 'types.events', recordKey: ['id'] },
    });
    const run = await runPipeline(session.context, def);
    expect(run.error).toBeUndefined();
    // Row 2 is stamped tomorrow: outside the window that ends now.
    expect(await rowsOf('types.events')).toEqual([{ id: 1n, flag: 't', amount: 1.5 }]);
  });
});
