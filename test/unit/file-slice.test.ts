/**
 * The visibility rule (Hudi format notes §10): per file group, the committed base file with the
 * greatest instant ≤ T; files of instants that never completed are invisible; groups a completed
 * replacecommit ≤ T replaced are dropped; instants before the first active one count as committed
 * (their commit files were archived).
 */
import { describe, expect, it } from 'vitest';
import { type BaseFile, parseBaseFilePath } from '../../src/table/base-file.ts';
import { type Replacement, type SliceQuery, fileGroupKey, fileSlicesAsOf } from '../../src/table/file-slice.ts';

/** A base file `<partition>/<fileId>_0-0-0_<instant>.parquet`. */
function file(partition: string, fileId: string, instant: string): BaseFile {
  const f = parseBaseFilePath(`${partition === '' ? '' : `${partition}/`}${fileId}_0-0-0_${instant}.parquet`);
  if (f === undefined) throw new Error('bad test file');
  return f;
}

/** The visible slices as `partition/fileId@instant`. */
function visible(files: ReadonlyArray<BaseFile>, query: Omit<Partial<SliceQuery>, 'completed'> & { completed: ReadonlyArray<string> }): string[] {
  const { completed, replacements = [], ...rest } = query;
  return fileSlicesAsOf(files, { completed: new Set(completed), replacements, ...rest }).map((s) => `${s.partitionPath}/${s.fileId}@${s.baseFile.instant}`);
}

const C1 = '20240101000000000';
const C2 = '20240102000000000';
const C3 = '20240103000000000';
const C4 = '20240104000000000';

describe('fileSlicesAsOf', () => {
  const files = [
    file('p=a', 'fg1', C1),
    file('p=a', 'fg1', C2),
    file('p=a', 'fg1', C3),
    file('p=a', 'fg2', C2),
    file('p=b', 'fg3', C1),
    file('p=b', 'fg3', C4),
  ];
  const completed = [C1, C2, C3, C4];

  it.each<[string, string | undefined, string[]]>([
    ['latest', undefined, ['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C4]],
    ['as of the last commit', C4, ['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C4]],
    ['as of C3', C3, ['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C1]],
    ['as of C2', C2, ['p=a/fg1@' + C2, 'p=a/fg2@' + C2, 'p=b/fg3@' + C1]],
    ['between C1 and C2', '20240101120000000', ['p=a/fg1@' + C1, 'p=b/fg3@' + C1]],
    ['as of C1', C1, ['p=a/fg1@' + C1, 'p=b/fg3@' + C1]],
    ['just before C1', '20231231235959999', []],
    ['long before', '19700101000000000', []],
    ['after the last commit', '20991231000000000', ['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C4]],
  ])('%s (asOf %s)', (_, asOf, expected) => {
    expect(visible(files, { completed, ...(asOf === undefined ? {} : { asOf }) })).toEqual(expected);
  });

  it('orders slices by partition, then file id, whatever the input order', () => {
    const shuffled = [files[5]!, files[3]!, files[0]!, files[4]!, files[2]!, files[1]!, file('', 'z', C1), file('p=a', 'fg0', C1)];
    expect(visible(shuffled, { completed })).toEqual(['/z@' + C1, 'p=a/fg0@' + C1, 'p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C4]);
  });

  it('returns the base file itself', () => {
    const [slice] = fileSlicesAsOf([files[0]!], { completed: new Set([C1]), replacements: [] });
    expect(slice).toEqual({ partitionPath: 'p=a', fileId: 'fg1', baseFile: files[0] });
    expect(slice!.baseFile.path).toBe(`p=a/fg1_0-0-0_${C1}.parquet`);
  });

  describe('files of instants that never completed', () => {
    it('are invisible: a pending (requested or inflight) commit', () => {
      // C4 is still in flight: fg3's C4 file and a new group's file exist, but readers see C1
      const pending = [...files, file('p=b', 'fg4', C4)];
      expect(visible(pending, { completed: [C1, C2, C3] })).toEqual(['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C1]);
    });

    it('are invisible: a commit between completed ones (rolled back, or failed)', () => {
      expect(visible(files, { completed: [C1, C3, C4] })).toEqual(['p=a/fg1@' + C3, 'p=b/fg3@' + C4]);
      expect(visible(files, { completed: [C1, C3, C4], asOf: C2 })).toEqual(['p=a/fg1@' + C1, 'p=b/fg3@' + C1]);
    });

    it('are invisible when nothing completed', () => {
      expect(visible(files, { completed: [] })).toEqual([]);
    });

    it('count as committed when older than the first active instant (their commits were archived)', () => {
      // C1 and C2 were archived: only C3 and C4 are on the active timeline
      expect(visible(files, { completed: [C3, C4], firstActiveInstant: C3 })).toEqual(['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C4]);
      expect(visible(files, { completed: [C3, C4], firstActiveInstant: C3, asOf: C2 })).toEqual(['p=a/fg1@' + C2, 'p=a/fg2@' + C2, 'p=b/fg3@' + C1]);
    });

    it('do not count as committed at or after the first active instant', () => {
      // C3 is the first active instant but not completed (pending): its file is not visible
      expect(visible(files, { completed: [C4], firstActiveInstant: C3 })).toEqual(['p=a/fg1@' + C2, 'p=a/fg2@' + C2, 'p=b/fg3@' + C4]);
    });
  });

  describe('replaced file groups', () => {
    const R = '20240103120000000';
    const replaceFg1AndFg3: Replacement = { instant: R, partitionToReplaceFileIds: { 'p=a': ['fg1'], 'p=b': ['fg3'] } };
    const withReplace = [...files, file('p=a', 'fg5', R)];
    const done = [C1, C2, R, C3, C4];

    it('are dropped as of the replacecommit and after, with every slice (even later ones)', () => {
      expect(visible(withReplace, { completed: done, replacements: [replaceFg1AndFg3] })).toEqual(['p=a/fg2@' + C2, 'p=a/fg5@' + R]);
      expect(visible(withReplace, { completed: done, replacements: [replaceFg1AndFg3], asOf: R })).toEqual(['p=a/fg2@' + C2, 'p=a/fg5@' + R]);
    });

    it('are visible before the replacecommit', () => {
      expect(visible(withReplace, { completed: done, replacements: [replaceFg1AndFg3], asOf: C2 })).toEqual(['p=a/fg1@' + C2, 'p=a/fg2@' + C2, 'p=b/fg3@' + C1]);
      expect(visible(withReplace, { completed: done, replacements: [replaceFg1AndFg3], asOf: '20240103115959999' })).toEqual(['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C1]);
    });

    it('are matched by partition and file id together', () => {
      // fg2 is replaced in p=b, where it does not exist: p=a's fg2 stays
      const other: Replacement = { instant: R, partitionToReplaceFileIds: { 'p=b': ['fg2'] } };
      expect(visible(files, { completed: done, replacements: [other] })).toEqual(['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C4]);
    });

    it('an insert-overwrite of everything leaves only its own files', () => {
      const all: Replacement = { instant: C4, partitionToReplaceFileIds: { 'p=a': ['fg1', 'fg2'], 'p=b': ['fg3'] } };
      const overwrite = [...files.filter((f) => f.instant !== C4), file('p=c', 'fg9', C4)];
      expect(visible(overwrite, { completed, replacements: [all] })).toEqual(['p=c/fg9@' + C4]);
      expect(visible(overwrite, { completed, replacements: [all], asOf: C3 })).toEqual(['p=a/fg1@' + C3, 'p=a/fg2@' + C2, 'p=b/fg3@' + C1]);
    });
  });

  it('reads 14- and 17-digit instants in one file group by string order', () => {
    // a table written first by a 14-digit writer, then by a 17-digit one
    const mixed = [file('', 'fg', '20240101000000'), file('', 'fg', '20240101000000500'), file('', 'fg', '20240101000001')];
    const done = ['20240101000000', '20240101000000500', '20240101000001'];
    expect(visible(mixed, { completed: done })).toEqual(['/fg@20240101000001']);
    expect(visible(mixed, { completed: done, asOf: '20240101000000999' })).toEqual(['/fg@20240101000000500']);
    expect(visible(mixed, { completed: done, asOf: '20240101000000000' })).toEqual(['/fg@20240101000000']);
    expect(visible(mixed, { completed: done, asOf: '20240101000000499' })).toEqual(['/fg@20240101000000']);
  });

  it('fileGroupKey separates partition and file id unambiguously', () => {
    expect(fileGroupKey('a/b', 'c')).not.toBe(fileGroupKey('a', 'b/c'));
    expect(fileGroupKey('p=a', 'fg1')).toBe('p=a\u0000fg1');
  });
});
