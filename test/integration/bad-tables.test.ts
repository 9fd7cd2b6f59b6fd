/**
 * Bad input, continued: huge values, truncated Parquet, and tables whose own files are damaged
 * (corrupt hoodie.properties or commit file). Each is a clear error naming the
 * file and the table, and nothing changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { InvalidInputError, TableFormatError } from '../../src/errors.ts';
import { treeFingerprint } from '../support/tree.ts';
import { tableOptions } from '../support/table-options.ts';

describe('damaged tables and awkward input', () => {
  let tm: Tidemark;
  let dir: string;
  useEngine('damaged', (e) => ({ tm, dir } = e));
  const create = (name: string) => tableOptions(name, { partitionFields: ['p'] });
  const fresh = async (name: string): Promise<{ base: string; instant: string }> => {
    const base = path.join(dir, name);
    const r = await tm.upsert(base, { rows: [{ id: 1, ts: 1, p: 'a', v: 'x' }, { id: 2, ts: 1, p: 'b', v: 'y' }] }, { create: create(name) });
    return { base, instant: r.instant! };
  };

  it('stores and reads back a 5 MB string value', async () => {
    const { base } = await fresh('huge');
    const big = 'x'.repeat(5 * 1024 * 1024) + 'end';
    await tm.upsert(base, { rows: [{ id: 3, ts: 1, p: 'a', v: big }] });
    const [row] = await tm.read(base, { columns: ['v'], where: 'id = 3' });
    expect(String(row!.v).length).toBe(big.length);
    expect(String(row!.v).endsWith('end')).toBe(true);
  });

  it('a truncated Parquet input is refused, naming the file', async () => {
    const { base } = await fresh('truncated');
    const file = path.join(dir, 'half.parquet');
    await tm.duck.run(`COPY (SELECT range AS id, 1 AS ts, 'a' AS p, 'v' || range AS v FROM range(1000)) TO '${file}' (FORMAT parquet)`);
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    const before = treeFingerprint(base);
    const error = await tm.upsert(base, { file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain('half.parquet');
    expect(treeFingerprint(base)).toEqual(before);
  });

  it('a hoodie.properties edited by hand (checksum) or garbled is named in the error; nothing is written', async () => {
    const { base } = await fresh('props');
    const props = path.join(base, '.hoodie/hoodie.properties');
    const original = fs.readFileSync(props, 'latin1');
    fs.writeFileSync(props, original.replace('hoodie.table.name=props', 'hoodie.table.name=renamed'));
    const before = treeFingerprint(base);
    for (const attempt of [() => tm.read(base), () => tm.upsert(base, { rows: [{ id: 9, ts: 1, p: 'a', v: 'z' }] })]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TableFormatError);
      expect((error as Error).message).toMatch(/hoodie\.properties: hoodie\.table\.checksum \d+ does not match/);
      expect((error as TableFormatError).file).toBe(props);
    }
    fs.writeFileSync(props, '\u0000\u0001 not properties at all');
    const garbled = await tm.read(base).catch((e: unknown) => e);
    expect(garbled).toBeInstanceOf(TableFormatError);
    expect((garbled as Error).message).toContain('hoodie.properties');
    expect(treeFingerprint(base).filter((f) => !f.startsWith('.hoodie/hoodie.properties'))).toEqual(before.filter((f) => !f.startsWith('.hoodie/hoodie.properties')));
  });

  it('a corrupt commit file is named in the error; nothing is written', async () => {
    const { base, instant } = await fresh('commit');
    const commit = path.join(base, `.hoodie/${instant}.commit`);
    fs.writeFileSync(commit, '{"partitionToWriteStats": {"a": [ {"fileId": ');
    const before = treeFingerprint(base);
    for (const attempt of [() => tm.read(base), () => tm.upsert(base, { rows: [{ id: 9, ts: 1, p: 'a', v: 'z' }] })]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TableFormatError);
      expect((error as Error).message).toContain(`${instant}.commit is not valid JSON`);
    }
    expect(treeFingerprint(base)).toEqual(before);
  });
});
