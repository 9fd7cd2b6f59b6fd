/**
 * No value changes on its way into a table without a word: a write either stores every value as
 * given or is refused with an error naming the column, the table and the input (issue #21).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tidemark } from '../../src/engine/tidemark.ts';
import { writeRowFile } from '../../src/storage/row-files.ts';
import { InvalidInputError, SchemaConflictError, type TidemarkError } from '../../src/errors.ts';
import { useEngine } from '../support/engine.ts';
import { treeFingerprint } from '../support/tree.ts';
import { tableOptions } from '../support/table-options.ts';

const create = tableOptions('vals', { partitionFields: ['dt'] });

describe('no silent value changes', () => {
  let tm: Tidemark;
  let dir: string;
  useEngine('silent', (e) => ({ tm, dir } = e));
  let n = 0;
  const table = (): string => path.join(dir, `t${++n}`);
  const file = (name: string, content: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };
  const byId = async (base: string, column: string): Promise<Record<string, unknown>> =>
    Object.fromEntries((await tm.read(base)).map((r) => [String(r.id), r[column]]));

  /** The write fails with `kind`, every fragment in its message, and the table's files unchanged. */
  async function refused(base: string, write: () => Promise<unknown>, kind: new (...a: never[]) => TidemarkError, ...fragments: RegExp[]): Promise<void> {
    const before = fs.existsSync(base) ? treeFingerprint(base) : undefined;
    const error = await write().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    for (const f of fragments) expect((error as Error).message).toMatch(f);
    expect(fs.existsSync(base) ? treeFingerprint(base) : undefined).toEqual(before);
  }

  it('a batch whose column is null in every row sets it to NULL, and the other rows of its file keep their text', async () => {
    // Such a column reaches DuckDB as JSON (a VARCHAR alias): merged as JSON, the stored text "b" failed to parse.
    const base = path.join(dir, 'all-null');
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, v: 'a' }, { id: 2, ts: 1, v: 'b' }] }, { create: tableOptions('t') });
    await tm.upsert(base, { rows: [{ id: 1, ts: 2, v: null }] });
    expect((await tm.read(base, { columns: ['id', 'v'] })).map((r) => [Number(r.id), r.v]).sort()).toEqual([[1, null], [2, 'b']]);
  });

  it('refuses widening BIGINT to DOUBLE, which would round stored values', async () => {
    const base = table();
    await tm.upsert(base, { query: "SELECT 1 AS id, 1 AS ts, 'a' AS dt, 9007199254740993::BIGINT AS n" }, { create });
    await refused(base, () => tm.upsert(base, { rows: [{ id: 2, ts: 1, dt: 'a', n: 1.5 }] }), SchemaConflictError, /column "n"/, /t1/, /BIGINT/, /DOUBLE/);
    expect(await byId(base, 'n')).toEqual({ 1: 9007199254740993n });
    // Whole values fit the column as it is: no widening, nothing rounded.
    await tm.upsert(base, { query: "SELECT 3 AS id, 1 AS ts, 'a' AS dt, 42.0::DOUBLE AS n" });
    expect(await byId(base, 'n')).toEqual({ 1: 9007199254740993n, 3: 42n });
  });

  it('refuses widening INTEGER to FLOAT', async () => {
    const base = table();
    await tm.upsert(base, { query: "SELECT 1 AS id, 1 AS ts, 'a' AS dt, 123456789::INTEGER AS n" }, { create });
    await refused(base, () => tm.upsert(base, { query: "SELECT 2 AS id, 1 AS ts, 'a' AS dt, 1.5::FLOAT AS n" }), SchemaConflictError, /column "n"/, /INTEGER/, /FLOAT/);
    expect(await byId(base, 'n')).toEqual({ 1: 123456789 });
  });

  it('casts integers into a DOUBLE column only when each is exact', async () => {
    const base = table();
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, dt: 'a', x: 1.5 }] }, { create });
    await tm.upsert(base, { rows: [{ id: 2, ts: 1, dt: 'a', x: 2 }] });
    await refused(base, () => tm.upsert(base, { query: "SELECT 3 AS id, 1 AS ts, 'a' AS dt, 9007199254740993::BIGINT AS x" }), SchemaConflictError, /"9007199254740993"/, /column "x"/, /DOUBLE/);
    expect(await byId(base, 'x')).toEqual({ 1: 1.5, 2: 2 });
  });

  it('keeps NaN and ±Infinity given as rows', async () => {
    const base = table();
    await tm.upsert(base, { rows: [{ id: 1, ts: 1, dt: 'a', x: Number.NaN }, { id: 2, ts: 1, dt: 'a', x: Number.POSITIVE_INFINITY }, { id: 3, ts: 1, dt: 'a', x: Number.NEGATIVE_INFINITY }, { id: 4, ts: 1, dt: 'a', x: 1.5 }] }, { create });
    await tm.upsert(base, { rows: [{ id: 5, ts: 1, dt: 'a', x: Number.NaN }] });
    expect(await byId(base, 'x')).toEqual({ 1: Number.NaN, 2: Number.POSITIVE_INFINITY, 3: Number.NEGATIVE_INFINITY, 4: 1.5, 5: Number.NaN });
  });

  it('refuses a JSON column of mixed types', async () => {
    const base = table();
    const json = file('mixed.jsonl', '{"id":1,"ts":1,"dt":"a","v":1}\n{"id":2,"ts":1,"dt":"a","v":"a"}\n');
    await refused(base, () => tm.upsert(base, { file: json }, { create }), InvalidInputError, /column "v"/, /mixed\.jsonl/, /number/, /string/);
    await refused(base, () => tm.upsert(base, { rows: [{ id: 1, ts: 1, dt: 'a', v: 1 }, { id: 2, ts: 1, dt: 'a', v: 'a' }] }, { create }), InvalidInputError, /column "v"/, /rows given in code/);
  });

  it('keeps CSV numbers with more digits than a DOUBLE holds exact', async () => {
    const base = table();
    const csv = file('long.csv', 'id,ts,dt,d,i,f\n1,1,a,12345678901234567890.123,123456789012345678901,1.5\n2,1,a,-0.5,7,2.25\n');
    await tm.upsert(base, { file: csv }, { create });
    expect(await byId(base, 'd')).toEqual({ 1: '12345678901234567890.123', 2: '-0.500' });
    expect(await byId(base, 'i')).toEqual({ 1: '123456789012345678901', 2: '7' });
    expect(await byId(base, 'f')).toEqual({ 1: 1.5, 2: 2.25 });
  });

  it('refuses nanosecond timestamps it would truncate', async () => {
    const base = table();
    const pq = path.join(dir, 'ns.parquet');
    await tm.duck.run(`COPY (SELECT 1 AS id, 1 AS ts, 'a' AS dt, '2024-01-01 10:00:00.123456789'::TIMESTAMP_NS AS at) TO '${pq}'`);
    await refused(base, () => tm.upsert(base, { file: pq }, { create }), SchemaConflictError, /column "at"/, /ns\.parquet/, /microsecond/);
    const csv = file('ns.csv', 'id,ts,dt,at\n1,1,a,2024-01-01 10:00:00.123456789\n');
    await refused(base, () => tm.upsert(base, { file: csv }, { create }), InvalidInputError, /column "at"/, /ns\.csv/, /microsecond/);
    const tz = file('ns-tz.csv', 'id,ts,dt,at\n1,1,a,2024-01-01 10:00:00.123456789+02\n');
    await refused(base, () => tm.upsert(base, { file: tz }, { create }), InvalidInputError, /column "at"/, /ns-tz\.csv/, /microsecond/);
    await tm.upsert(path.join(dir, 'tz'), { file: file('tz.csv', 'id,ts,dt,at\n1,1,a,2024-01-01 10:00:00.5+02\n2,1,a,2024-01-01T10:00:00Z\n') }, { create });
    expect(await byId(path.join(dir, 'tz'), 'at')).toEqual({ 1: '2024-01-01T08:00:00.500000Z', 2: '2024-01-01T10:00:00.000000Z' });
    const whole = path.join(dir, 'ns-whole.parquet');
    await tm.duck.run(`COPY (SELECT 1 AS id, 1 AS ts, 'a' AS dt, '2024-01-01 10:00:00.123456'::TIMESTAMP_NS AS at) TO '${whole}'`);
    await tm.upsert(base, { file: whole }, { create });
    expect(await byId(base, 'at')).toEqual({ 1: '2024-01-01T10:00:00.123456Z' });
    await refused(base, () => tm.upsert(base, { rows: [{ id: 2, ts: 1, dt: 'a', at: '2024-01-01T10:00:00.123456789Z' }] }), SchemaConflictError, /column "at"/, /rows given in code/, /microsecond/);
  });

  it('refuses column names that differ only in case', async () => {
    const base = table();
    const csv = file('case.csv', 'id,ts,dt,Val,val\n1,1,a,2,3\n');
    await refused(base, () => tm.upsert(base, { file: csv }, { create }), InvalidInputError, /"Val"/, /"val"/, /case\.csv/);
    const json = file('case.jsonl', '{"id":1,"ts":1,"dt":"a","Val":2,"val":3}\n');
    await refused(base, () => tm.upsert(base, { file: json }, { create }), InvalidInputError, /"Val"/, /"val"/, /case\.jsonl/);
    await refused(base, () => tm.upsert(base, { rows: [{ id: 1, ts: 1, dt: 'a', Val: 2, val: 3 }] }, { create }), InvalidInputError, /"Val"/, /"val"/);
    // A real column named like DuckDB's renaming is fine.
    await tm.upsert(base, { file: file('real.csv', 'id,ts,dt,val,val_1\n1,1,a,2,3\n') }, { create });
    expect(await byId(base, 'val_1')).toEqual({ 1: 3n });
  });

  it('never reads CSV text as booleans unless it says true or false', async () => {
    const base = table();
    await tm.upsert(base, { file: file('f.csv', 'id,ts,dt,t,b\n1,1,a,f,true\n') }, { create });
    await tm.upsert(base, { file: file('foo.csv', 'id,ts,dt,t,b\n2,1,a,foo,FALSE\n') });
    expect(await byId(base, 't')).toEqual({ 1: 'f', 2: 'foo' });
    expect(await byId(base, 'b')).toEqual({ 1: true, 2: false });
  });
});

describe('row files', () => {
  it('are private and named with the writer pid', async () => {
    const file = await writeRowFile('{}\n');
    try {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(path.basename(file)).toMatch(new RegExp(`^tidemark-rows-${process.pid}-`));
    } finally {
      fs.unlinkSync(file);
    }
  });

  it('left by a dead writer are removed when an engine opens; a live writer keeps its own', async () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const dead = path.join(os.tmpdir(), `tidemark-rows-${child.stdout}-${randomUUID()}.jsonl`);
    const live = path.join(os.tmpdir(), `tidemark-rows-${process.ppid}-${randomUUID()}.jsonl`);
    try {
      for (const f of [dead, live]) fs.writeFileSync(f, '{}\n', { mode: 0o600 });
      (await Tidemark.open()).close();
      expect(fs.existsSync(dead)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
    } finally {
      for (const f of [dead, live]) fs.rmSync(f, { force: true });
    }
  });
});
