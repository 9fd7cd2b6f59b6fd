import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TableFormatError } from '../../src/errors.ts';
import { crc32, formatProperties, parseProperties, tableChecksum } from '../../src/table/properties.ts';
import { extractFixture, HUDI_FIXTURES } from '../support/hudi-fixtures.ts';

const entriesOf = (text: string): Array<[string, string]> => [...parseProperties(text)];

describe('parseProperties (java.util.Properties.load semantics)', () => {
  it('reads the three separator forms and trims whitespace around them', () => {
    expect(entriesOf('a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf  =  =6\ng   h i\n')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
      ['e', '5'],
      ['f', '=6'],
      ['g', 'h i'],
    ]);
  });

  it('takes a key with no separator as an empty value, and keeps trailing value whitespace', () => {
    expect(entriesOf('alone\nempty=\nspaced=x  \n')).toEqual([
      ['alone', ''],
      ['empty', ''],
      ['spaced', 'x  '],
    ]);
  });

  it('skips comments, blank lines and leading whitespace', () => {
    const text = '#c1\n  ! c2\n\n   \t\n   key = v\n\f#c3 = x\nk2=v2 # not a comment\n';
    expect(entriesOf(text)).toEqual([
      ['key', 'v'],
      ['k2', 'v2 # not a comment'],
    ]);
  });

  it('decodes escapes in keys and values', () => {
    const text = 'a\\:b\\=c\\ d=x\\:y\\=z\nu=\\u00e9\\u00C9\\uD83D\\uDE00\nctl=\\t\\n\\r\\f\\\\\\q\n';
    expect(entriesOf(text)).toEqual([
      ['a:b=c d', 'x:y=z'],
      ['u', 'éÉ😀'],
      ['ctl', '\t\n\r\f\\q'],
    ]);
  });

  it('joins continuation lines, dropping the next line’s leading whitespace', () => {
    const text = 'list=a,\\\n    b,\\\r\n\tc\ncr=x\\\r  y\rlast=z\\\n#not-a-comment\n';
    expect(entriesOf(text)).toEqual([
      ['list', 'a,b,c'],
      ['cr', 'xy'],
      ['last', 'z#not-a-comment'],
    ]);
  });

  it('does not continue after an even number of backslashes or a comment', () => {
    expect(entriesOf('a=x\\\\\nb=y\n#comment\\\nc=z\n')).toEqual([
      ['a', 'x\\'],
      ['b', 'y'],
      ['c', 'z'],
    ]);
  });

  it('drops a trailing backslash at end of input and skips an empty continued line', () => {
    expect(entriesOf('a=b\\')).toEqual([['a', 'b']]);
    expect(entriesOf('\\\n\nk=v')).toEqual([['k', 'v']]);
  });

  it('lets a later duplicate win', () => {
    expect(parseProperties('k=1\nk=2\n').get('k')).toBe('2');
  });

  it('rejects a malformed \\u escape', () => {
    expect(() => parseProperties('k=\\u12G4\n')).toThrow(TableFormatError);
    expect(() => parseProperties('k=\\u12')).toThrow(TableFormatError);
  });
});

describe('formatProperties (java.util.Properties.store output)', () => {
  const savedAt = new Date('2024-04-18T22:35:50.847Z');

  it('writes the two header comments, then key=value lines in order', () => {
    const text = formatProperties(
      [
        ['hoodie.table.name', 't'],
        ['hoodie.table.version', '6'],
      ],
      savedAt,
    );
    expect(text).toBe(
      '#Properties saved on 2024-04-18T22:35:50.847Z\n#Thu Apr 18 22:35:50 UTC 2024\nhoodie.table.name=t\nhoodie.table.version=6\n',
    );
  });

  it('omits a zero fraction and zero-pads the day, as Java does', () => {
    const header = formatProperties([], new Date('2026-04-03T08:09:07.000Z')).split('\n');
    expect(header.slice(0, 2)).toEqual(['#Properties saved on 2026-04-03T08:09:07Z', '#Fri Apr 03 08:09:07 UTC 2026']);
  });

  it('escapes like saveConvert: separators, comment chars, backslash, controls, non-ASCII', () => {
    const line = (key: string, value: string): string => formatProperties([[key, value]], savedAt).split('\n')[2]!;
    expect(line('a:b', '{"t":"x=y"}')).toBe('a\\:b={"t"\\:"x\\=y"}');
    expect(line('k', '#!')).toBe('k=\\#\\!');
    expect(line('k', 'C:\\dir')).toBe('k=C\\:\\\\dir');
    expect(line('a b', '  x y ')).toBe('a\\ b=\\  x y ');
    expect(line('k', 'a\tb\nc\rd\fe\u0001\u007f')).toBe('k=a\\tb\\nc\\rd\\fe\\u0001\\u007F');
    expect(line('ключ', 'é😀')).toBe('\\u043A\\u043B\\u044E\\u0447=\\u00E9\\uD83D\\uDE00');
    expect(line('k', '~}|{`_^]>?@')).toBe('k=~}|{`_^]>?@');
  });

  it('round-trips any keys and values through parseProperties', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })), {
          selector: ([k]) => k,
          maxLength: 8,
        }),
        (entries) => {
          expect(entriesOf(formatProperties(entries, savedAt))).toEqual(entries);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips the tricky cases explicitly', () => {
    const entries: Array<[string, string]> = [
      ['', 'empty key'],
      [' lead', ' leading space'],
      ['#hash', '!bang'],
      ['k=:', '=:=:'],
      ['multi\nline', 'a\r\nb\\'],
      ['uni', 'ÆØÅ 日本 😀'],
      ['trail', 'spaces   '],
    ];
    expect(entriesOf(formatProperties(entries, savedAt))).toEqual(entries);
  });
});

describe('tableChecksum', () => {
  it('matches java.util.zip.CRC32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
    expect(tableChecksum('default', 'v6_nonpartitioned')).toBe('1363530505');
  });

  it('hashes the UTF-8 bytes and is unsigned', () => {
    expect(tableChecksum('', 'ü')).toBe(String(crc32(new Uint8Array([0x2e, 0xc3, 0xbc]))));
    const values = ['a', 'b', 'db', 'x'.repeat(100)].map((n) => Number(tableChecksum('default', n)));
    for (const v of values) expect(v).toBeGreaterThanOrEqual(0);
  });
});

const FIXTURE_TABLES = [
  'v6_complexkeygen_hivestyle',
  'v6_empty',
  'v6_nonpartitioned',
  'v6_simplekeygen_hivestyle_no_metafields',
  'v6_simplekeygen_nonhivestyle',
  'v6_simplekeygen_nonhivestyle_overwritetable',
  'v6_timebasedkeygen_nonhivestyle',
];

const extracted = new Map<string, string>();
/** The fixture's hoodie.properties text, decoded as ISO-8859-1 as Java reads it. */
function readProps(table: string): string {
  let base = extracted.get(table);
  if (base === undefined) {
    base = extractFixture(`sample_table/cow/${table}.zip`);
    extracted.set(table, base);
  }
  return fs.readFileSync(path.join(base, '.hoodie/hoodie.properties'), 'latin1');
}

describe.skipIf(HUDI_FIXTURES === undefined)('hoodie.properties of the Spark-written fixtures', () => {
  it.each(FIXTURE_TABLES)('%s: parses, checksum verifies, create schema is JSON', (table) => {
    const props = parseProperties(readProps(table));
    expect(props.get('hoodie.table.name')).toBe(table);
    expect(props.get('hoodie.table.version')).toBe('6');
    expect(props.get('hoodie.table.checksum')).toBe(tableChecksum(props.get('hoodie.database.name') ?? '', table));
    const schema = JSON.parse(props.get('hoodie.table.create.schema')!) as { type: string; name: string };
    expect(schema).toMatchObject({ type: 'record', name: `${table}_record` });
  });

  it.each(FIXTURE_TABLES)('%s: formatting the parsed entries reproduces Java’s lines byte for byte', (table) => {
    const text = readProps(table);
    const written = formatProperties([...parseProperties(text)], new Date());
    expect(written.split('\n').slice(2)).toEqual(text.split('\n').slice(2));
  });

  it('formats the date line exactly as a UTC JVM did', () => {
    const text = readProps('v9_timebasedkeygen_nonhivestyle');
    const [first, second] = text.split('\n');
    expect(first).toBe('#Updated at 2026-04-03T18:38:39.837037Z');
    expect(formatProperties([], new Date('2026-04-03T18:38:39.837Z')).split('\n')[1]).toBe(second);
    expect(parseProperties(text).get('hoodie.keygen.timebased.input.dateformat')).toBe("yyyy-MM-dd'T'HH:mm:ss.SSSZ");
  });
});
