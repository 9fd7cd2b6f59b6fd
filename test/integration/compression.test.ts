/**
 * The Parquet codec of a table's files: `hoodie.parquet.compression.codec` (snappy unless the
 * table says otherwise), chosen at creation, changeable in hoodie.properties; a codec Tidemark
 * cannot write is refused before anything changes, and the table stays readable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { InvalidArgumentError, TableFormatError } from '../../src/errors.ts';
import { parseProperties } from '../../src/table/properties.ts';
import { COMPRESSION_CODECS } from '../../src/table/table-config.ts';
import { treeFingerprint } from '../support/tree.ts';
import { tableOptions } from '../support/table-options.ts';

describe('the codec of the files a table is written with', () => {
  let tm: Tidemark;
  let dir: string;
  useEngine('codec', (e) => ({ tm, dir } = e));
  const create = (name: string, extra: object = {}) => tableOptions(name, { partitionFields: ['p'], ...extra });
  const rows = (ts: number) => [{ id: 1, ts, p: 'a', v: `x${ts}` }, { id: 2, ts, p: 'b', v: `y${ts}` }];
  const propsFile = (base: string) => path.join(base, '.hoodie', 'hoodie.properties');
  const codecsOf = async (base: string): Promise<string[]> => {
    const files = (await tm.fileSlices(base)).map((s) => path.join(base, s.baseFile.path));
    const r = await tm.duck.rows(`SELECT DISTINCT compression AS c FROM parquet_metadata([${files.map((f) => `'${f}'`).join(', ')}]) ORDER BY c`);
    return r.map((x) => String(x.c));
  };

  it.each(COMPRESSION_CODECS)('%s: recorded in hoodie.properties and used for every file written', async (codec) => {
    const base = path.join(dir, `t_${codec}`);
    await tm.upsert(base, { rows: rows(1) }, { create: create(`t_${codec}`, { compressionCodec: codec }) });
    await tm.upsert(base, { rows: [{ id: 1, ts: 2, p: 'a', v: 'x2' }] });
    expect(parseProperties(fs.readFileSync(propsFile(base), 'latin1')).get('hoodie.parquet.compression.codec')).toBe(codec);
    expect(await codecsOf(base)).toEqual([codec.toUpperCase()]);
    const read = await tm.read(base, { columns: ['id', 'v'] });
    expect(read.map((r) => [Number(r.id), r.v]).sort()).toEqual([[1, 'x2'], [2, 'y1']]);
  });

  it('defaults to snappy; a codec changed in hoodie.properties applies to the next write, old files read beside new ones', async () => {
    const base = path.join(dir, 'switch');
    await tm.upsert(base, { rows: rows(1) }, { create: create('switch') });
    expect(await codecsOf(base)).toEqual(['SNAPPY']);
    const text = fs.readFileSync(propsFile(base), 'latin1');
    fs.writeFileSync(propsFile(base), text.replace('hoodie.parquet.compression.codec=snappy', 'hoodie.parquet.compression.codec=ZSTD'));
    await tm.upsert(base, { rows: [{ id: 1, ts: 2, p: 'a', v: 'x2' }] }); // rewrites partition a only
    expect(await codecsOf(base)).toEqual(['SNAPPY', 'ZSTD']);
    expect((await tm.read(base, { columns: ['id', 'v'] })).map((r) => r.v).sort()).toEqual(['x2', 'y1']);
  });

  it('a table asking for a codec Tidemark does not write: reads work, a write is refused naming the codec, the table and the file, nothing changes', async () => {
    const base = path.join(dir, 'lzo');
    await tm.upsert(base, { rows: rows(1) }, { create: create('lzo') });
    const text = fs.readFileSync(propsFile(base), 'latin1');
    fs.writeFileSync(propsFile(base), text.replace('hoodie.parquet.compression.codec=snappy', 'hoodie.parquet.compression.codec=lzo'));
    const before = treeFingerprint(base);
    expect(await tm.read(base, { columns: ['id'] })).toHaveLength(2);
    const error = await tm.upsert(base, { rows: rows(2) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TableFormatError);
    expect((error as TableFormatError).message).toMatch(/hoodie\.parquet\.compression\.codec=lzo/);
    expect((error as TableFormatError).message).toContain('snappy, zstd, gzip, uncompressed');
    expect((error as TableFormatError).file).toBe(propsFile(base));
    expect((error as TableFormatError).table).toBe(base);
    expect(treeFingerprint(base)).toEqual(before);
  });

  it('creating a table with an unknown codec fails and leaves nothing behind', async () => {
    const base = path.join(dir, 'bad');
    const error = await tm.upsert(base, { rows: rows(1) }, { create: create('bad', { compressionCodec: 'lz4' }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain('"lz4"');
    expect(fs.existsSync(base)).toBe(false);
  });

  it('the CLI takes --compression on table create and shows it in table describe', async () => {
    const warehouse = path.join(dir, 'warehouse');
    let out = '';
    const cli = (...args: string[]) => main(['--warehouse', warehouse, ...args], { stdout: (s) => void (out += s), stderr: (s) => void (out += s) });
    expect(await cli('table', 'create', 'shop.items', '--key', 'sku', '--compression', 'zstd')).toBe(0);
    out = '';
    expect(await cli('table', 'describe', 'shop.items', '--json')).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ compression: 'zstd' });
    out = '';
    expect(await cli('table', 'create', 'shop.other', '--key', 'sku', '--compression', 'lzo')).not.toBe(0);
    expect(out).toContain('lzo');
    expect(fs.existsSync(path.join(warehouse, 'shop', 'other'))).toBe(false);
  });
});
