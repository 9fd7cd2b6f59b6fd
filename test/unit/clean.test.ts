/**
 * The cleaner's plan, Hudi's KEEP_LATEST_COMMITS (Hudi format notes §11): with more than N completed
 * writes, the N-th newest is the earliest commit to retain; per file group the latest slice and the
 * newest slice older than that commit stay, older slices go; groups replaced before it go entirely;
 * slices a savepoint sees never go.
 */
import { describe, expect, it } from 'vitest';
import { planClean } from '../../src/engine/services/clean.ts';
import type { TableState } from '../../src/engine/load/table-state.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { type BaseFile, parseBaseFilePath } from '../../src/table/base-file.ts';
import type { Replacement } from '../../src/table/file-slice.ts';
import type { Instant } from '../../src/timeline/instant.ts';
import { Timeline } from '../../src/timeline/timeline.ts';

const C = ['20240101000000000', '20240102000000000', '20240103000000000', '20240104000000000', '20240105000000000'] as const;
const [C1, C2, C3, C4, C5] = C;

function file(partition: string, fileId: string, instant: string): BaseFile {
  return parseBaseFilePath(`${partition}/${fileId}_0-0-0_${instant}.parquet`)!;
}

/** What planClean reads of a table: its timeline, its files and its replacecommits. */
function tableState(instants: ReadonlyArray<Instant>, files: ReadonlyArray<BaseFile>, replacements: ReadonlyArray<Replacement> = []): TableState {
  const timeline = new Timeline(instants);
  const state: Pick<TableState, 'timeline' | 'activeTimeline' | 'files' | 'replacements'> = { timeline, activeTimeline: timeline, files, replacements };
  return state as TableState;
}

const commit = (time: string, state: Instant['state'] = 'COMPLETED'): Instant => ({ time, action: 'commit', state });

/** The plan as `{ earliest, deleted: ['partition/fileId@instant', …] }`, sorted. */
function plan(state: TableState, retain: number, savepoints: ReadonlyArray<string> = []): { earliest: string | undefined; deleted: string[] } {
  const { earliest, files } = planClean(state, retain, savepoints);
  const deleted: string[] = [];
  for (const [partition, list] of files) {
    for (const f of list) {
      expect(f.partitionPath).toBe(partition);
      deleted.push(`${f.partitionPath}/${f.fileId}@${f.instant}`);
    }
  }
  return { earliest, deleted: deleted.sort() };
}

describe('planClean (KEEP_LATEST_COMMITS)', () => {
  // fg1 rewritten by every commit; fg2 written at C1 and C2 only; fg3 written once, at C1, in another partition
  const files = [...C.map((c) => file('p=a', 'fg1', c)), file('p=a', 'fg2', C1), file('p=a', 'fg2', C2), file('p=b', 'fg3', C1)];
  const fiveCommits = tableState(C.map((c) => commit(c)), files);

  it.each<[number, string | undefined, string[]]>([
    // retain N ≥ the number of completed writes: nothing to clean
    [5, undefined, []],
    [6, undefined, []],
    // earliest = C2: C1 is the newest slice older than C2 of fg1 and fg2 (and fg3's only one), so it stays
    [4, C2, []],
    // earliest = C3: fg1 keeps C3..C5 and C2 (what a read as of C3's predecessor sees), drops C1; fg2 keeps C2 (latest), drops C1
    [3, C3, ['p=a/fg1@' + C1, 'p=a/fg2@' + C1]],
    [2, C4, ['p=a/fg1@' + C1, 'p=a/fg1@' + C2, 'p=a/fg2@' + C1]],
    [1, C5, ['p=a/fg1@' + C1, 'p=a/fg1@' + C2, 'p=a/fg1@' + C3, 'p=a/fg2@' + C1]],
  ])('retaining %i commits: earliest %s, deletes %j', (retain, earliest, deleted) => {
    expect(plan(fiveCommits, retain)).toEqual({ earliest, deleted });
  });

  it('keeps the latest slice of a group even when it is older than the earliest retained commit', () => {
    // fg3 was written only at C1: it is what every reader sees, so it stays with any N
    expect(plan(fiveCommits, 1).deleted.filter((d) => d.startsWith('p=b/'))).toEqual([]);
  });

  it('counts only completed writes: cleans, savepoints, rollbacks and pending commits are not commits', () => {
    const noisy = tableState(
      [
        ...C.slice(0, 4).map((c) => commit(c)),
        { time: '20240103100000000', action: 'clean', state: 'COMPLETED' },
        { time: '20240103200000000', action: 'rollback', state: 'COMPLETED' },
        { time: '20240103300000000', action: 'savepoint', state: 'COMPLETED' },
        commit(C5, 'INFLIGHT'),
      ],
      files,
    );
    // four completed writes C1..C4, retain 2: earliest C3; C5's files belong to no completed commit
    expect(plan(noisy, 2)).toEqual({ earliest: C3, deleted: ['p=a/fg1@' + C1, 'p=a/fg2@' + C1] });
  });

  it('counts replacecommits and deltacommits as writes', () => {
    const mixed = tableState(
      [commit(C1), { time: C2, action: 'replacecommit', state: 'COMPLETED' }, { time: C3, action: 'deltacommit', state: 'COMPLETED' }, commit(C4)],
      [file('p', 'fg', C1), file('p', 'fg', C2), file('p', 'fg', C3), file('p', 'fg', C4)],
    );
    expect(plan(mixed, 2)).toEqual({ earliest: C3, deleted: ['p/fg@' + C1] });
  });

  it('never plans the files of a commit that is not completed', () => {
    // C2 failed (its files are still on disk, listed by a stray stat): they are the rollback's, not the cleaner's
    const failed = tableState([commit(C1), commit(C2, 'REQUESTED'), commit(C3), commit(C4)], [file('p', 'fg', C1), file('p', 'fg', C2), file('p', 'fg', C3), file('p', 'fg', C4)]);
    expect(plan(failed, 1)).toEqual({ earliest: C4, deleted: ['p/fg@' + C1] });
  });

  it('counts a file listed twice once', () => {
    const twice = tableState(C.slice(0, 3).map((c) => commit(c)), [file('p', 'fg', C1), file('p', 'fg', C1), file('p', 'fg', C2), file('p', 'fg', C3)]);
    expect(plan(twice, 1)).toEqual({ earliest: C3, deleted: ['p/fg@' + C1] });
  });

  describe('replaced file groups', () => {
    const R = C3;
    const instants = [commit(C1), commit(C2), { time: R, action: 'replacecommit', state: 'COMPLETED' } as Instant, commit(C4), commit(C5)];
    const replaced = [file('p', 'old', C1), file('p', 'old', C2), file('p', 'new', R), file('p', 'new', C4), file('p', 'new', C5)];
    const replacement: Replacement = { instant: R, partitionToReplaceFileIds: { p: ['old'] } };
    const state = tableState(instants, replaced, [replacement]);

    it('go entirely, latest slice included, once replaced before the earliest retained commit', () => {
      // `new` keeps C5, C4 and R (its newest slice older than C4)
      expect(plan(state, 2)).toEqual({ earliest: C4, deleted: ['p/old@' + C1, 'p/old@' + C2] });
    });

    it('stay while the replacecommit is the earliest retained commit or later', () => {
      // earliest = R: a read as of R must still work, and as of C2 is not retained, but the group
      // is dropped only once replaced *before* the earliest retained commit
      expect(plan(state, 3)).toEqual({ earliest: R, deleted: ['p/old@' + C1] });
    });

    it('are kept where a savepoint sees them', () => {
      expect(plan(state, 2, [C2])).toEqual({ earliest: C4, deleted: ['p/old@' + C1] });
    });
  });

  describe('savepoints', () => {
    it('protect every slice visible at the savepoint', () => {
      // savepoint at C1: fg1@C1, fg2@C1 and fg3@C1 are what a read as of C1 sees
      expect(plan(fiveCommits, 1, [C1])).toEqual({ earliest: C5, deleted: ['p=a/fg1@' + C2, 'p=a/fg1@' + C3] });
    });

    it('protect nothing more than what is visible at them', () => {
      expect(plan(fiveCommits, 1, [C2])).toEqual({ earliest: C5, deleted: ['p=a/fg1@' + C1, 'p=a/fg1@' + C3, 'p=a/fg2@' + C1] });
    });

    it('several savepoints protect the union of their slices', () => {
      expect(plan(fiveCommits, 1, [C1, C3])).toEqual({ earliest: C5, deleted: ['p=a/fg1@' + C2] });
    });

    it('at a time between commits protect the slices visible then', () => {
      expect(plan(fiveCommits, 1, ['20240102120000000'])).toEqual({ earliest: C5, deleted: ['p=a/fg1@' + C1, 'p=a/fg1@' + C3, 'p=a/fg2@' + C1] });
    });
  });

  it('works on 14-digit instants mixed with 17-digit ones', () => {
    const times = ['20240101000000', '20240101000000500', '20240101000001', '20240101000001001'];
    const mixed = tableState(times.map((t) => commit(t)), times.map((t) => file('p', 'fg', t)));
    // earliest = the 2nd newest ('20240101000001'); kept: it, the newest, and the newest older slice ('…000500')
    expect(plan(mixed, 2)).toEqual({ earliest: '20240101000001', deleted: ['p/fg@20240101000000'] });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %s commits to retain', (retain) => {
    expect(() => planClean(fiveCommits, retain, [])).toThrow(InvalidArgumentError);
  });
});
