/**
 * Partition values that spell paths become plain directory names that decode to the same value, and
 * `pathInTable` refuses any path outside the table (or data inside `.hoodie/`).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathInTable } from '../../src/engine/table-paths.ts';
import { partitionPathOf, partitionPathProblem, partitionValuesOf } from '../../src/table/partition-path.ts';

const VALUES = ['..', '.', '.hoodie', '../x', 'a/../..', '.hidden', '...', '%2E', 'a.b', 'plain'];

describe('partition paths of values that spell paths', () => {
  for (const hiveStyle of [false, true]) {
    it(`encode to one safe level and decode back (hive-style ${hiveStyle})`, () => {
      const options = { hiveStyle, urlEncode: true };
      for (const v of VALUES) {
        const pp = partitionPathOf(['p'], [v], options);
        expect(pp.split('/'), v).toHaveLength(1);
        expect(partitionPathProblem(pp, ['p'], options), v).toBeUndefined();
        expect(partitionValuesOf(pp, ['p'], options), v).toEqual([v]);
      }
      expect(partitionPathOf(['p'], ['..'], options)).toBe(hiveStyle ? 'p=..' : '%2E%2E');
      expect(partitionPathOf(['p'], ['a.b'], options)).toBe(hiveStyle ? 'p=a.b' : 'a.b');
    });
  }

  it('without URL encoding, unsafe levels and long names are problems', () => {
    const options = { hiveStyle: false, urlEncode: false };
    for (const v of ['..', '.', '.hoodie', '../x', 'a/../..', 'a//b']) expect(partitionPathProblem(v, ['p'], options), v).toBeDefined();
    expect(partitionPathProblem('2024/01/01', ['p'], options)).toBeUndefined();
    expect(partitionPathProblem('x'.repeat(256), ['p'], { hiveStyle: false, urlEncode: true })).toMatchObject({ field: 'p', reason: expect.stringContaining('256 bytes') });
    expect(partitionPathProblem('x'.repeat(255), ['p'], { hiveStyle: false, urlEncode: true })).toBeUndefined();
  });
});

describe('pathInTable', () => {
  const base = path.resolve('/data/wh/t');
  it('resolves paths inside the table', () => {
    expect(pathInTable(base, 'a/f.parquet', { data: true })).toBe(path.join(base, 'a/f.parquet'));
    expect(pathInTable(base, path.join(base, 'f.parquet'), { data: true })).toBe(path.join(base, 'f.parquet'));
    expect(pathInTable(base, '', { dir: true })).toBe(base);
    expect(pathInTable(base, '.hoodie/1.commit')).toBe(path.join(base, '.hoodie/1.commit'));
    expect(pathInTable(base, '..x/f')).toBe(path.join(base, '..x/f'));
  });

  it('refuses paths outside it, the base path itself, and data in .hoodie', () => {
    for (const p of ['../../evil.parquet', '..', '/etc/passwd', 'a/../../b', path.resolve('/data/wh/t2/f')]) {
      expect(() => pathInTable(base, p, { data: true, table: 't', file: 'c.commit' }), p).toThrow(/outside table t/);
    }
    expect(() => pathInTable(base, '.', { data: true })).toThrow(/base path/);
    expect(() => pathInTable(base, '.hoodie/x.parquet', { data: true })).toThrow(/\.hoodie/);
    expect(() => pathInTable(base, 'a/./../.hoodie', { data: true })).toThrow(/\.hoodie/);
  });
});
