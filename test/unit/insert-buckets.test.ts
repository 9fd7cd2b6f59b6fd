/**
 * Hudi's insert bucketing (UpsertPartitioner; Hudi format notes §9): inserts fill the partition's
 * small file groups (size < smallFileLimit) up to maxFileSize, `(maxFileSize − size) / avgRecordSize`
 * records each, then go to new file groups of `maxFileSize / avgRecordSize` records, the last one
 * taking the remainder; the record size is the newest big-enough commit's bytes / records, rounded up.
 */
import { describe, expect, it } from 'vitest';
import { type InsertBucket, type SizedFileGroup, type SizingRules, assignInserts, averageRecordSize } from '../../src/table/insert-buckets.ts';

const MB = 1024 * 1024;
/** Hudi's defaults: small files under 100 MiB, files up to 120 MiB, 1 KiB records. */
const DEFAULTS: SizingRules = { smallFileLimit: 100 * MB, maxFileSize: 120 * MB, avgRecordSize: 1024 };
/** Small numbers: small under 100 bytes, files up to 1000 bytes, 10-byte records (100 per new file). */
const TINY: SizingRules = { smallFileLimit: 100, maxFileSize: 1000, avgRecordSize: 10 };

const newGroup = (count: number): InsertBucket => ({ fileId: undefined, count });
const into = (fileId: string, count: number): InsertBucket => ({ fileId, count });

describe('assignInserts', () => {
  it.each<[string, number, ReadonlyArray<SizedFileGroup>, SizingRules, InsertBucket[]]>([
    ['nothing to insert', 0, [{ fileId: 'a', size: 10 }], TINY, []],
    ['no file groups: one new group', 50, [], TINY, [newGroup(50)]],
    ['exactly one new group', 100, [], TINY, [newGroup(100)]],
    ['new groups of maxFileSize / recordSize, the last takes the rest', 250, [], TINY, [newGroup(100), newGroup(100), newGroup(50)]],
    ['a small file takes what it can hold', 50, [{ fileId: 'a', size: 40 }], TINY, [into('a', 50)]],
    ['a small file fills up, the rest to new groups', 200, [{ fileId: 'a', size: 40 }], TINY, [into('a', 96), newGroup(100), newGroup(4)]],
    // capacity rounds down: (1000 − 45) / 10 = 95.5 → 95
    ['capacity rounds down', 100, [{ fileId: 'a', size: 45 }], TINY, [into('a', 95), newGroup(5)]],
    ['a file at the limit is not small', 10, [{ fileId: 'a', size: 100 }], TINY, [newGroup(10)]],
    ['a file just under the limit is small', 10, [{ fileId: 'a', size: 99 }], TINY, [into('a', 10)]],
    [
      'small files are filled smallest first, then by file id',
      300,
      [
        { fileId: 'c', size: 50 },
        { fileId: 'b', size: 20 },
        { fileId: 'big', size: 500 },
        { fileId: 'a', size: 50 },
      ],
      TINY,
      [into('b', 98), into('a', 95), into('c', 95), newGroup(12)],
    ],
    ['an empty file group is small', 30, [{ fileId: 'e', size: 0 }], TINY, [into('e', 30)]],
    ['packing off (limit 0): new groups only', 50, [{ fileId: 'a', size: 10 }], { ...TINY, smallFileLimit: 0 }, [newGroup(50)]],
    ['packing off (negative limit)', 50, [{ fileId: 'a', size: 10 }], { ...TINY, smallFileLimit: -1 }, [newGroup(50)]],
    // a limit above the max file size: a file with no room (capacity ≤ 0) is skipped
    ['a small file with no room left is skipped', 5, [{ fileId: 'full', size: 1000 }, { fileId: 'room', size: 995 }], { ...TINY, smallFileLimit: 2000 }, [newGroup(5)]],
    ['a small file with room for some', 5, [{ fileId: 'full', size: 1000 }, { fileId: 'room', size: 980 }], { ...TINY, smallFileLimit: 2000 }, [into('room', 2), newGroup(3)]],
    ['records larger than a file: one record per new group', 3, [], { ...TINY, avgRecordSize: 5000 }, [newGroup(1), newGroup(1), newGroup(1)]],
    ['a record size of 0 counts as 1 byte', 1500, [], { ...TINY, avgRecordSize: 0 }, [newGroup(1000), newGroup(500)]],
    [
      "Hudi's defaults: a 10 MiB file takes 110 Ki records, new files 120 Ki",
      300_000,
      [{ fileId: 'a', size: 10 * MB }],
      DEFAULTS,
      [into('a', 112_640), newGroup(122_880), newGroup(64_480)],
    ],
  ])('%s', (_, inserts, groups, rules, expected) => {
    const buckets = assignInserts(inserts, groups, rules);
    expect(buckets).toEqual(expected);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(inserts);
  });

  it('does not reorder the groups it is given', () => {
    const groups = [
      { fileId: 'b', size: 20 },
      { fileId: 'a', size: 10 },
    ];
    assignInserts(10, groups, TINY);
    expect(groups.map((g) => g.fileId)).toEqual(['b', 'a']);
  });
});

describe('averageRecordSize', () => {
  it.each<[string, ReadonlyArray<{ totalWriteBytes: number; totalRecords: number }>, number, number]>([
    ['no commits: the default estimate', [], 100, 1024],
    ['the newest commit over the limit, rounded up', [{ totalWriteBytes: 1001, totalRecords: 10 }], 1000, 101],
    ['an exact division', [{ totalWriteBytes: 2000, totalRecords: 20 }], 1000, 100],
    ['newest first: the first one over the limit wins', [{ totalWriteBytes: 3000, totalRecords: 10 }, { totalWriteBytes: 5000, totalRecords: 100 }], 1000, 300],
    ['commits at or under the limit are skipped', [{ totalWriteBytes: 1000, totalRecords: 1 }, { totalWriteBytes: 999, totalRecords: 1 }, { totalWriteBytes: 1500, totalRecords: 3 }], 1000, 500],
    ['a commit of no records is skipped', [{ totalWriteBytes: 5000, totalRecords: 0 }, { totalWriteBytes: 4000, totalRecords: 8 }], 1000, 500],
    ['none over the limit: the default estimate', [{ totalWriteBytes: 500, totalRecords: 5 }], 1000, 1024],
    ['a limit of 0: any commit with bytes counts', [{ totalWriteBytes: 7, totalRecords: 2 }], 0, 4],
  ])('%s', (_, commits, limit, expected) => {
    expect(averageRecordSize(commits, limit)).toBe(expected);
  });
});
