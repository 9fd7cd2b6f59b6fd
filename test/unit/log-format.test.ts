/** Hudi's log format: the MOR fixtures' real log files, round trips, and corrupt input. */
import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, TableFormatError } from '../../src/errors.ts';
import { type AvroDataBlock, type DecodedLogBlock, type LogBlock, decodeLogBlocks, encodeLogBlocks } from '../../src/timeline/log-format.ts';
import { HUDI_FIXTURES, extractFixture } from '../support/hudi-fixtures.ts';

/** Every file under a directory, relative paths. */
function walk(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    return e.isDirectory() ? walk(dir, child) : [child];
  });
}

/** `.<fileId>_<baseInstant>.log.<version>_<token>` */
const LOG_NAME = /^\.(.+)_(\d+)\.log\.(\d+)_([\d-]+)$/;
const MOR_FIXTURES = [
  'quickstart_trips_table/mor/avro/v6_trips_8i1u.zip',
  'quickstart_trips_table/mor/avro/v6_trips_8i3d.zip',
  'quickstart_trips_table/mor/avro/v8_trips_8i3u1d.zip',
  'sample_table/mor/parquet/v6_nonpartitioned.zip',
  'sample_table/mor/parquet/v6_nonpartitioned_rollback.zip',
];

describe.skipIf(HUDI_FIXTURES === undefined)('log files of the MOR fixtures', () => {
  const tables = new Map<string, string>();
  const bases: string[] = [];
  beforeAll(() => {
    for (const zip of MOR_FIXTURES) {
      const base = extractFixture(zip);
      tables.set(path.basename(zip, '.zip'), base);
      bases.push(base);
    }
  });
  afterAll(() => {
    for (const base of bases) fs.rmSync(path.dirname(base), { recursive: true, force: true });
  });

  /** The log files of a fixture (data and metadata table), with their decoded blocks. */
  function logs(table: string): Array<{ rel: string; bytes: Buffer; blocks: DecodedLogBlock[] }> {
    const base = tables.get(table)!;
    return walk(base)
      .filter((rel) => LOG_NAME.test(path.basename(rel)))
      .map((rel) => {
        const bytes = fs.readFileSync(path.join(base, rel));
        return { rel, bytes, blocks: decodeLogBlocks(bytes, rel) };
      });
  }
  const completed = (table: string, dir = '.hoodie'): string[] =>
    fs.readdirSync(path.join(tables.get(table)!, dir)).filter((n) => /^\d+\.(deltacommit|commit|rollback|replacecommit)$/.test(n));
  const tableName = (table: string): string =>
    /hoodie\.table\.name=(.*)/.exec(fs.readFileSync(path.join(tables.get(table)!, '.hoodie/hoodie.properties'), 'utf8'))![1]!;
  const schemaName = (block: LogBlock): string => {
    const s = JSON.parse(block.header.get('SCHEMA')!) as { name: string; namespace: string };
    return `${s.namespace}.${s.name}`;
  };

  it('decodes every log file of every MOR fixture, and re-encodes each one byte for byte', () => {
    let files = 0;
    for (const table of tables.keys()) {
      for (const { rel, bytes, blocks } of logs(table)) {
        files++;
        expect(blocks.length, rel).toBeGreaterThan(0);
        expect(blocks.reduce((n, b) => n + b.length, 0), rel).toBe(bytes.length);
        for (const b of blocks) expect(b.header.get('INSTANT_TIME'), rel).toMatch(/^\d{17}$/);
        expect(Buffer.from(encodeLogBlocks(blocks)).equals(bytes), rel).toBe(true);
      }
    }
    expect(files).toBe(1 + 1 + 68 + 1 + 3);
  });

  it('v6_trips_8i1u: one Avro data block holding the update of rider-D, written by the second deltacommit', () => {
    const [log, ...rest] = logs('v6_trips_8i1u');
    expect(rest).toEqual([]);
    const [, fileId, baseInstant] = LOG_NAME.exec(path.basename(log!.rel))!;
    const [block] = log!.blocks as AvroDataBlock[];
    expect(block!.type).toBe('avro_data');
    const instant = block!.header.get('INSTANT_TIME')!;
    // The file is named after the base file's instant; the block after the deltacommit that appended it.
    expect(instant > baseInstant!).toBe(true);
    expect(completed('v6_trips_8i1u')).toContain(`${instant}.deltacommit`);
    expect(schemaName(block!)).toBe(`hoodie.${tableName('v6_trips_8i1u')}.${tableName('v6_trips_8i1u')}_record`);
    expect(block!.schema).toBe(block!.header.get('SCHEMA'));
    expect(block!.records).toHaveLength(1);
    expect(block!.records[0]).toMatchObject({
      _hoodie_commit_time: instant,
      _hoodie_record_key: '9909a8b1-2d15-4d3d-8ec9-efc48c536a00',
      _hoodie_partition_path: path.dirname(log!.rel),
      _hoodie_file_name: fileId,
      rider: 'rider-D',
      fare: 25,
    });
  });

  it('v6_trips_8i3d: one delete block with the keys of riders A, C and D', () => {
    const [log] = logs('v6_trips_8i3d');
    const [block] = log!.blocks;
    if (block?.type !== 'delete') throw new Error(`expected a delete block, got ${block?.type}`);
    expect(completed('v6_trips_8i3d')).toContain(`${block.header.get('INSTANT_TIME')}.deltacommit`);
    expect(schemaName(block)).toBe('hoodie.v6_trips_8i3d.v6_trips_8i3d_record');
    expect(block.deletes).toHaveLength(3);
    expect(block.deletes!.every((d) => d.partitionPath === path.dirname(log!.rel))).toBe(true);
    expect(block.deletes!.map((d) => d.recordKey)).toEqual(
      expect.arrayContaining(['334e26e9-8355-45cc-97c6-c31daf0df330', '9909a8b1-2d15-4d3d-8ec9-efc48c536a00']),
    );
  });

  it('v6_nonpartitioned_rollback: a rollback command block naming the rolled-back instant; Parquet blocks kept as bytes', () => {
    const all = logs('v6_nonpartitioned_rollback');
    const command = all.flatMap((l) => l.blocks).find((b) => b.type === 'command')!;
    expect(Object.fromEntries(command.header)).toEqual({
      INSTANT_TIME: '20250126040936578',
      COMMAND_BLOCK_TYPE: '0',
      TARGET_INSTANT_TIME: '20250126040826878',
    });
    expect(completed('v6_nonpartitioned_rollback')).toContain('20250126040936578.rollback');
    const parquet = all.flatMap((l) => l.blocks).filter((b) => b.type === 'parquet_data');
    expect(parquet).toHaveLength(2);
    for (const p of parquet) {
      if (p.type !== 'parquet_data') continue;
      expect(Buffer.from(p.content.subarray(0, 4)).toString()).toBe('PAR1');
      expect(Buffer.from(p.content.subarray(-4)).toString()).toBe('PAR1');
    }
  });

  it("our encoding of a fixture's decoded Avro block re-decodes to the same records", () => {
    const block = logs('v6_trips_8i1u')[0]!.blocks[0] as AvroDataBlock;
    const rebuilt: AvroDataBlock = { type: 'avro_data', header: new Map([['INSTANT_TIME', '20990101000000000']]), footer: new Map(), schema: block.schema, records: block.records };
    const [, again] = decodeLogBlocks(encodeLogBlocks([rebuilt, rebuilt]), 'rebuilt');
    expect((again as AvroDataBlock).records).toEqual(block.records);
    expect([...again!.header.keys()]).toEqual(['INSTANT_TIME', 'SCHEMA']);
  });

  it('a file cut anywhere, or with a flipped byte in its framing, is refused naming the file', () => {
    const { bytes } = logs('v6_trips_8i1u')[0]!;
    for (let cut = 1; cut < bytes.length; cut += 37) {
      expect(() => decodeLogBlocks(bytes.subarray(0, cut), 'cut.log'), `cut at ${cut}`).toThrow(TableFormatError);
    }
    try {
      decodeLogBlocks(bytes.subarray(0, bytes.length - 3), 'city=x/.f_1.log.1_0-0-0');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TableFormatError);
      expect((error as TableFormatError).file).toBe('city=x/.f_1.log.1_0-0-0');
      expect(String(error)).toMatch(/city=x\/\.f_1\.log\.1_0-0-0: truncated/);
    }
    const corrupt = (at: number, value: number): Buffer => {
      const copy = Buffer.from(bytes);
      copy[at] = value;
      return copy;
    };
    expect(() => decodeLogBlocks(corrupt(0, 0x2a), 'f')).toThrow(/no #HUDI# magic at byte 0/);
    expect(() => decodeLogBlocks(corrupt(17, 9), 'f')).toThrow(/log format version 9/);
    expect(() => decodeLogBlocks(corrupt(21, 7), 'f')).toThrow(/unknown block type 7/);
    expect(() => decodeLogBlocks(corrupt(bytes.length - 1, 0), 'f')).toThrow(/reverse pointer/);
    expect(() => decodeLogBlocks(Buffer.concat([bytes, Buffer.from('#HUD')]), 'f')).toThrow(/no #HUDI# magic at byte 1148/);
    expect(() => decodeLogBlocks(Buffer.from('PAR1 not a log'), 'f')).toThrow(/not a Hudi log file/);
  });
});

const SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Row',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'big', type: 'long' },
    { name: 'name', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'double' } },
    { name: 'blob', type: 'bytes' },
    { name: 'inner', type: ['null', { type: 'record', name: 'Inner', fields: [{ name: 'ok', type: 'boolean' }] }], default: null },
    // Hudi writes defaults avsc rejects; they must not stop a block from decoding.
    { name: 'legacy', type: ['string', 'null'], default: null },
  ],
});

describe('encodeLogBlocks / decodeLogBlocks', () => {
  const row = fc.record({
    id: fc.maxSafeInteger(),
    // Longs beyond JavaScript's safe integers come back exactly, as bigints.
    big: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => (Number.isSafeInteger(Number(n)) && BigInt(Number(n)) === n ? Number(n) : n)),
    name: fc.option(fc.string(), { nil: null }),
    tags: fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 4 }),
    attrs: fc.dictionary(fc.string(), fc.double({ noNaN: true }), { maxKeys: 3 }),
    blob: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
    inner: fc.option(fc.record({ ok: fc.boolean() }), { nil: null }),
    legacy: fc.option(fc.string(), { nil: null }),
  });

  it('round-trips Avro data blocks with any records, and command and opaque blocks', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 5 }), fc.array(row, { maxLength: 3 }), (a, b) => {
        const blocks: LogBlock[] = [
          { type: 'avro_data', header: new Map([['INSTANT_TIME', '20240101000000000']]), footer: new Map(), schema: SCHEMA, records: a },
          { type: 'command', header: new Map([['INSTANT_TIME', '20240101000000001'], ['TARGET_INSTANT_TIME', '20240101000000000'], ['COMMAND_BLOCK_TYPE', '0']]), footer: new Map() },
          { type: 'parquet_data', header: new Map(), footer: new Map([['BLOCK_IDENTIFIER', 'x']]), content: new Uint8Array([1, 2, 3]) },
          { type: 'avro_data', header: new Map(), footer: new Map(), schema: SCHEMA, records: b },
        ];
        const bytes = encodeLogBlocks(blocks);
        const decoded = decodeLogBlocks(bytes, 'prop.log');
        expect(decoded.map((d) => d.type)).toEqual(['avro_data', 'command', 'parquet_data', 'avro_data']);
        expect((decoded[0] as AvroDataBlock).records).toEqual(a);
        expect((decoded[3] as AvroDataBlock).records).toEqual(b);
        expect(Object.fromEntries(decoded[1]!.header)).toEqual(Object.fromEntries(blocks[1]!.header));
        expect(decoded[2]).toMatchObject({ footer: new Map([['BLOCK_IDENTIFIER', 'x']]), content: new Uint8Array([1, 2, 3]) });
        // Encoding the decoded blocks gives the same bytes: appending blocks is concatenation.
        expect(Buffer.from(encodeLogBlocks(decoded)).equals(Buffer.from(bytes))).toBe(true);
        expect(decodeLogBlocks(Buffer.concat([bytes, bytes]), 'twice').length).toBe(8);
      }),
      { numRuns: 50 },
    );
  });

  it('writes the layout Hudi writes: magic, sizes, version 1, type ordinal, header entries, content version 3', () => {
    const bytes = Buffer.from(encodeLogBlocks([{ type: 'avro_data', header: new Map(), footer: new Map(), schema: '"string"', records: ['hi'] }]));
    const headerLength = 4 + 4 + 4 + Buffer.byteLength('"string"');
    const contentLength = 4 + 4 + 4 + 3;
    expect(bytes.subarray(0, 6).toString()).toBe('#HUDI#');
    expect(Number(bytes.readBigInt64BE(6))).toBe(bytes.length - 14);
    expect([bytes.readInt32BE(14), bytes.readInt32BE(18)]).toEqual([1, 3]);
    expect([bytes.readInt32BE(22), bytes.readInt32BE(26), bytes.readInt32BE(30)]).toEqual([1, 2, 8]);
    expect(Number(bytes.readBigInt64BE(22 + headerLength))).toBe(contentLength);
    const content = bytes.subarray(30 + headerLength, 30 + headerLength + contentLength);
    expect([content.readInt32BE(0), content.readInt32BE(4), content.readInt32BE(8)]).toEqual([3, 1, 3]);
    expect(avro.Type.forSchema('string').fromBuffer(content.subarray(12))).toBe('hi');
    expect(bytes.readInt32BE(bytes.length - 12)).toBe(0); // empty footer
    expect(Number(bytes.readBigInt64BE(bytes.length - 8))).toBe(bytes.length - 8);
  });

  it('refuses records that do not match the schema, and Avro records that are corrupt', () => {
    const bad = { type: 'avro_data', header: new Map(), footer: new Map(), schema: SCHEMA, records: [{ id: 'x' }] } as const;
    expect(() => encodeLogBlocks([bad])).toThrow(InvalidArgumentError);
    const good = Buffer.from(encodeLogBlocks([{ ...bad, schema: '"long"', records: [1] }]));
    const headerEnd = 22 + 12 + Buffer.byteLength('"long"');
    const lengthAt = headerEnd + 8 + 8;
    const wrong = Buffer.from(good);
    wrong.writeInt32BE(1000, lengthAt);
    expect(() => decodeLogBlocks(wrong, 'len.log')).toThrow(/len\.log: truncated: record 0/);
    const lying = Buffer.from(good);
    lying.writeInt32BE(2, headerEnd + 8 + 4); // claims two records
    expect(() => decodeLogBlocks(lying, 'count.log')).toThrow(TableFormatError);
    const noSchema = Buffer.from(encodeLogBlocks([{ type: 'parquet_data', header: new Map(), footer: new Map(), content: new Uint8Array(8) }]));
    noSchema.writeInt32BE(3, 18); // relabel as Avro data: no SCHEMA header
    expect(() => decodeLogBlocks(noSchema, 'x.log')).toThrow(/x\.log: Avro data block at byte 0 has no SCHEMA header/);
    const unknownKey = Buffer.from(encodeLogBlocks([{ type: 'command', header: new Map([['INSTANT_TIME', '1']]), footer: new Map() }]));
    unknownKey.writeInt32BE(42, 26);
    expect(() => decodeLogBlocks(unknownKey, 'k.log')).toThrow(/header key ordinal 42/);
  });
});
