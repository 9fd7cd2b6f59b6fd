/**
 * Partition paths as Hudi's key generators build them (Hudi format notes §8; PartitionPathEncodeUtils):
 * values joined by `/`, `field=value` when hive-style, `__HIVE_DEFAULT_PARTITION__` for null or empty,
 * Hudi's character set escaped as upper-case `%XX` when URL encoding is on. (Leading dots of a
 * non-hive level and unsafe levels are covered by table-paths.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PARTITION,
  ESCAPED_PARTITION_CHARS,
  escapePartitionValue,
  javaDateString,
  partitionMetadataText,
  partitionPathOf,
  partitionPathProblem,
  partitionValuesOf,
  percentCode,
  unescapePartitionValue,
} from '../../src/table/partition-path.ts';

const HIVE = { hiveStyle: true, urlEncode: true } as const;
const PLAIN = { hiveStyle: false, urlEncode: true } as const;
const HIVE_RAW = { hiveStyle: true, urlEncode: false } as const;
const PLAIN_RAW = { hiveStyle: false, urlEncode: false } as const;

describe('escapePartitionValue', () => {
  it.each<[string, string]>([
    ['2024-01-01', '2024-01-01'],
    ['a b', 'a b'],
    ['a/b', 'a%2Fb'],
    ['a=b', 'a%3Db'],
    ['a:b', 'a%3Ab'],
    ['100%', '100%25'],
    ['%2F', '%252F'],
    ['"quoted"', '%22quoted%22'],
    ["it's", 'it%27s'],
    ['#1', '%231'],
    ['*', '%2A'],
    ['?', '%3F'],
    ['a\\b', 'a%5Cb'],
    ['{[x]}', '%7B%5Bx%5D}'],
    ['^', '%5E'],
    ['tab\there', 'tab%09here'],
    ['line\nbreak', 'line%0Abreak'],
    ['\x01', '%01'],
    ['\x1f', '%1F'],
    ['\x7f', '%7F'],
    ['2024-01-01 10:00:00', '2024-01-01 10%3A00%3A00'],
    // not in Hudi's set: kept as they are
    ['a.b', 'a.b'],
    ['..', '..'],
    ['a-b_c~d!e@f$g&h(i)j+k,l;m<n>o|p}', 'a-b_c~d!e@f$g&h(i)j+k,l;m<n>o|p}'],
    ['café', 'café'],
    ['日本', '日本'],
    ['😀', '😀'],
  ])('%j → %j', (value, escaped) => {
    expect(escapePartitionValue(value)).toBe(escaped);
    expect(unescapePartitionValue(escaped)).toBe(value);
  });

  it("escapes exactly Hudi's set: 0x01-0x1F, \" # % ' * / : = ? \\ 0x7F { [ ] ^", () => {
    const escaped: string[] = [];
    for (let c = 0; c < 0x80; c++) {
      const ch = String.fromCharCode(c);
      if (escapePartitionValue(ch) !== ch) escaped.push(ch);
    }
    const expected = [...Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)), '"', '#', '%', "'", '*', '/', ':', '=', '?', '[', '\\', ']', '^', '{', '\x7f'];
    expect(escaped.sort()).toEqual(expected.sort());
    expect([...ESCAPED_PARTITION_CHARS].sort()).toEqual(expected.sort());
    expect(escapePartitionValue('\x00')).toBe('\x00');
  });

  it('percentCode is upper-case and two digits', () => {
    expect(percentCode('\n')).toBe('%0A');
    expect(percentCode('/')).toBe('%2F');
    expect(percentCode('\x7f')).toBe('%7F');
  });
});

describe('unescapePartitionValue', () => {
  it.each<[string, string]>([
    ['a%2Fb', 'a/b'],
    ['a%2fb', 'a/b'],
    ['%41%42', 'AB'],
    ['100%', '100%'],
    ['%', '%'],
    ['%G1', '%G1'],
    ['%2', '%2'],
    ['%%2F', '%/'],
    ['plain', 'plain'],
  ])('%j → %j', (value, expected) => {
    expect(unescapePartitionValue(value)).toBe(expected);
  });
});

describe('partitionPathOf', () => {
  it.each<[string, ReadonlyArray<string>, ReadonlyArray<string | null>, { hiveStyle: boolean; urlEncode: boolean }, string]>([
    ['non-partitioned', [], [], HIVE, ''],
    ['one level, plain', ['dt'], ['2024-01-01'], PLAIN, '2024-01-01'],
    ['one level, hive-style', ['dt'], ['2024-01-01'], HIVE, 'dt=2024-01-01'],
    ['two levels, plain', ['dt', 'h'], ['2024-01-01', '3'], PLAIN, '2024-01-01/3'],
    ['two levels, hive-style', ['dt', 'h'], ['2024-01-01', '3'], HIVE, 'dt=2024-01-01/h=3'],
    ['null, plain', ['dt'], [null], PLAIN, DEFAULT_PARTITION],
    ['null, hive-style', ['dt'], [null], HIVE, `dt=${DEFAULT_PARTITION}`],
    ['empty, hive-style', ['dt'], [''], HIVE, `dt=${DEFAULT_PARTITION}`],
    ['empty, without URL encoding', ['dt'], [''], PLAIN_RAW, DEFAULT_PARTITION],
    ['null in the second level', ['dt', 'h'], ['2024-01-01', null], HIVE, `dt=2024-01-01/h=${DEFAULT_PARTITION}`],
    ['a missing value', ['dt', 'h'], ['2024-01-01'], PLAIN, `2024-01-01/${DEFAULT_PARTITION}`],
    ['a slash escaped, hive-style', ['k'], ['a/b'], HIVE, 'k=a%2Fb'],
    ['a slash escaped, plain', ['k'], ['a/b'], PLAIN, 'a%2Fb'],
    ['an equals sign escaped, hive-style', ['k'], ['x=1'], HIVE, 'k=x%3D1'],
    ['a slash kept without URL encoding, hive-style', ['k'], ['a/b'], HIVE_RAW, 'k=a/b'],
    ['a slash kept without URL encoding, plain', ['k'], ['a/b'], PLAIN_RAW, 'a/b'],
    ['a space kept', ['city'], ['New York'], HIVE, 'city=New York'],
    ['a timestamp, hive-style', ['ts'], ['2024-01-01 10:00:00'], HIVE, 'ts=2024-01-01 10%3A00%3A00'],
    ['the default partition name itself', ['dt'], [DEFAULT_PARTITION], HIVE, `dt=${DEFAULT_PARTITION}`],
  ])('%s', (_, fields, values, options, expected) => {
    expect(partitionPathOf(fields, values, options)).toBe(expected);
  });
});

describe('partitionValuesOf', () => {
  it.each<[string, ReadonlyArray<string>, { hiveStyle: boolean; urlEncode: boolean }, Array<string | null>]>([
    ['', [], HIVE, []],
    ['dt=2024-01-01/h=3', ['dt', 'h'], HIVE, ['2024-01-01', '3']],
    ['2024-01-01/3', ['dt', 'h'], PLAIN, ['2024-01-01', '3']],
    [`dt=${DEFAULT_PARTITION}`, ['dt'], HIVE, [null]],
    [DEFAULT_PARTITION, ['dt'], PLAIN, [null]],
    ['k=a%2Fb', ['k'], HIVE, ['a/b']],
    ['k=a%2Fb', ['k'], HIVE_RAW, ['a%2Fb']],
    ['%2E%2E', ['k'], PLAIN, ['..']],
    // a hive-style level of another field keeps its prefix
    ['other=1', ['k'], HIVE, ['other=1']],
    // fewer levels than fields: the missing ones are empty
    ['dt=2024-01-01', ['dt', 'h'], HIVE, ['2024-01-01', '']],
  ])('%j of %j', (partitionPath, fields, options, expected) => {
    expect(partitionValuesOf(partitionPath, fields, options)).toEqual(expected);
  });

  it.each([HIVE, PLAIN])('reads back what partitionPathOf wrote (%o)', (options) => {
    const rows: Array<Array<string | null>> = [
      ['2024-01-01', '10'],
      ['a/b=c', 'x:y'],
      [null, 'z'],
      ['100%', '..'],
      ['.hoodie', '\t'],
      ['日本', 'é'],
    ];
    for (const values of rows) {
      const path = partitionPathOf(['p', 'q'], values, options);
      expect(path.split('/'), path).toHaveLength(2);
      expect(partitionPathProblem(path, ['p', 'q'], options), path).toBeUndefined();
      expect(partitionValuesOf(path, ['p', 'q'], options), path).toEqual(values);
    }
  });
});

describe('partitionPathProblem', () => {
  it('names the field and value of the level that is too long', () => {
    const long = 'é'.repeat(128); // 256 bytes
    const path = partitionPathOf(['a', 'b'], ['ok', long], PLAIN);
    expect(partitionPathProblem(path, ['a', 'b'], PLAIN)).toEqual({ field: 'b', value: long, reason: 'its directory name is 256 bytes long (at most 255)' });
  });

  it('names no field when a value spans several levels', () => {
    expect(partitionPathProblem('a/../b', ['k'], PLAIN_RAW)).toEqual({ field: undefined, value: 'a/../b', reason: 'it would make the directory level ".."' });
  });

  it('refuses a NUL and a hidden level', () => {
    expect(partitionPathProblem('a\0b', ['k'], PLAIN_RAW)).toEqual({ field: 'k', value: 'a\0b', reason: 'it holds a NUL character' });
    expect(partitionPathProblem('.x', ['k'], PLAIN_RAW)).toEqual({ field: 'k', value: '.x', reason: 'it would make the hidden directory ".x"' });
  });

  it('accepts any path of a non-partitioned table', () => {
    expect(partitionPathProblem('', [], PLAIN_RAW)).toBeUndefined();
  });
});

describe('partitionMetadataText', () => {
  it('is Hudi\'s .hoodie_partition_metadata, with the partition depth', () => {
    const at = new Date('2024-04-18T22:35:50.123Z');
    expect(partitionMetadataText('20240418223550123', 'dt=2024-04-18/h=3', at)).toBe(
      '#partition metadata\n#Thu Apr 18 22:35:50 UTC 2024\ncommitTime=20240418223550123\npartitionDepth=2\n',
    );
    expect(partitionMetadataText('20240418223550123', '', at)).toContain('\npartitionDepth=0\n');
    expect(partitionMetadataText('20240418223550123', '2023/04/01/12', at)).toContain('\npartitionDepth=4\n');
  });

  it.each<[string, string]>([
    ['2024-04-18T22:35:50.000Z', 'Thu Apr 18 22:35:50 UTC 2024'],
    ['2024-01-05T03:04:05.000Z', 'Fri Jan 05 03:04:05 UTC 2024'],
    ['1999-12-31T23:59:59.999Z', 'Fri Dec 31 23:59:59 UTC 1999'],
  ])('javaDateString(%s) is %j', (iso, text) => {
    expect(javaDateString(new Date(iso))).toBe(text);
  });
});
