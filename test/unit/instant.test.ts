/**
 * Instants ↔ `.hoodie/` file names (timeline layout 1) and their order, as the Hudi format notes
 * (§3) define them: every action in every state, 14- and 17-digit instant times side by side, and
 * names that are not instants (left out of the timeline, never an error).
 */
import { describe, expect, it } from 'vitest';
import { ACTIONS, type Action, type Instant, type InstantState, INSTANT_STATES, WRITE_ACTIONS, compareInstants, instantFileName, isInstantTime, parseInstantFileName } from '../../src/timeline/instant.ts';

const T14 = '20240103153000';
const T17 = '20240103153000123';

describe('parseInstantFileName', () => {
  it.each<[string, Instant]>([
    // commit: the inflight file carries no action (`T.inflight`)
    [`${T14}.commit.requested`, { time: T14, action: 'commit', state: 'REQUESTED' }],
    [`${T14}.inflight`, { time: T14, action: 'commit', state: 'INFLIGHT' }],
    [`${T14}.commit`, { time: T14, action: 'commit', state: 'COMPLETED' }],
    [`${T17}.commit.requested`, { time: T17, action: 'commit', state: 'REQUESTED' }],
    [`${T17}.inflight`, { time: T17, action: 'commit', state: 'INFLIGHT' }],
    [`${T17}.commit`, { time: T17, action: 'commit', state: 'COMPLETED' }],
    [`${T17}.replacecommit.requested`, { time: T17, action: 'replacecommit', state: 'REQUESTED' }],
    [`${T17}.replacecommit.inflight`, { time: T17, action: 'replacecommit', state: 'INFLIGHT' }],
    [`${T14}.replacecommit`, { time: T14, action: 'replacecommit', state: 'COMPLETED' }],
    [`${T17}.deltacommit.inflight`, { time: T17, action: 'deltacommit', state: 'INFLIGHT' }],
    [`${T17}.clean.requested`, { time: T17, action: 'clean', state: 'REQUESTED' }],
    [`${T17}.clean`, { time: T17, action: 'clean', state: 'COMPLETED' }],
    [`${T17}.rollback.inflight`, { time: T17, action: 'rollback', state: 'INFLIGHT' }],
    [`${T17}.savepoint.inflight`, { time: T17, action: 'savepoint', state: 'INFLIGHT' }],
    [`${T17}.savepoint`, { time: T17, action: 'savepoint', state: 'COMPLETED' }],
    [`${T17}.restore.requested`, { time: T17, action: 'restore', state: 'REQUESTED' }],
    [`${T17}.compaction.requested`, { time: T17, action: 'compaction', state: 'REQUESTED' }],
    [`${T17}.indexing.inflight`, { time: T17, action: 'indexing', state: 'INFLIGHT' }],
    // Hudi's special instants (init, bootstrap) and metadata-table times longer than 17 digits
    ['00000000000000.commit', { time: '00000000000000', action: 'commit', state: 'COMPLETED' }],
    ['00000000000001.commit', { time: '00000000000001', action: 'commit', state: 'COMPLETED' }],
    ['20240103153000123001.deltacommit', { time: '20240103153000123001', action: 'deltacommit', state: 'COMPLETED' }],
  ])('%s', (fileName, expected) => {
    expect(parseInstantFileName(fileName)).toEqual(expected);
  });

  const cases = ACTIONS.flatMap((action) => INSTANT_STATES.flatMap((state) => [T14, T17].map((time) => ({ time, action, state }) as Instant)));

  it(`names and parses back every action in every state, 14 and 17 digits (${cases.length} instants)`, () => {
    for (const instant of cases) expect(parseInstantFileName(instantFileName(instant)), instantFileName(instant)).toEqual(instant);
  });

  it.each<[Action, InstantState, string]>([
    ['commit', 'REQUESTED', `${T17}.commit.requested`],
    ['commit', 'INFLIGHT', `${T17}.inflight`],
    ['commit', 'COMPLETED', `${T17}.commit`],
    ['deltacommit', 'INFLIGHT', `${T17}.deltacommit.inflight`],
    ['replacecommit', 'INFLIGHT', `${T17}.replacecommit.inflight`],
    ['rollback', 'REQUESTED', `${T17}.rollback.requested`],
    ['restore', 'COMPLETED', `${T17}.restore`],
  ])('instantFileName(%s, %s) is %s', (action, state, name) => {
    expect(instantFileName({ time: T17, action, state })).toBe(name);
  });

  it.each([
    ['hoodie.properties', 'the table config'],
    ['archived', 'a directory'],
    ['.temp', 'a hidden directory'],
    ['.aux', 'a hidden directory'],
    ['.tidemark.lock', 'the writer lock'],
    [`.${T17}.commit.0b7c.tmp`, "a temp file of writeAtomic"],
    [`${T17}.commit.crc`, 'a checksum file'],
    [`${T17}.commit~`, 'an editor backup'],
    [`${T17}.commit.swp`, 'an unknown suffix'],
    [`${T17}.commit.completed`, 'an unknown state'],
    [`${T17}.inflight.requested`, '"inflight" is not an action'],
    [`${T17}.requested`, 'a state without an action'],
    [`${T17}.COMMIT`, 'an upper-case action'],
    [`${T17}.clustering.requested`, "Hudi 1.x's clustering action, not in table version 6"],
    [`${T17}.unknown`, 'an unknown action'],
    [`${T17}commit`, 'no dot'],
    [`${T17}.`, 'no action'],
    [`${T17}`, 'a bare time'],
    ['2024010315300.commit', '13 digits'],
    ['2024010315.commit', '10 digits'],
    ['2024-01-03.commit', 'a date'],
    [`x${T17}.commit`, 'a prefix'],
    [` ${T17}.commit`, 'a leading space'],
    [`${T17}.commit `, 'a trailing space'],
    [`20240713010535797_20250713010536200.commit`, 'a layout-2 completed name (requested_completion)'],
  ])('ignores %j (%s)', (fileName) => {
    expect(parseInstantFileName(fileName)).toBeUndefined();
  });

  it('accepts 15 and 16 digits too (any time of 14 digits or more; Hudi parses `\\d+`)', () => {
    expect(parseInstantFileName('202401031530001.commit')).toEqual({ time: '202401031530001', action: 'commit', state: 'COMPLETED' });
    expect(parseInstantFileName('2024010315300012.inflight')).toEqual({ time: '2024010315300012', action: 'commit', state: 'INFLIGHT' });
  });
});

describe('compareInstants', () => {
  const at = (time: string, state: InstantState = 'COMPLETED', action: Action = 'commit'): Instant => ({ time, action, state });

  it('orders 14- and 17-digit instants by time, then requested < inflight < completed', () => {
    // The order hudi-rs's timeline test checks, in Hudi's string comparison of instant times.
    const ordered = [
      at('20240103152959'),
      at('20240103152959999'),
      at('20240103153000'),
      at('20240103153000001'),
      at('20240103153000999', 'REQUESTED'),
      at('20240103153000999', 'INFLIGHT'),
      at('20240103153000999', 'COMPLETED'),
      at('20240103153001'),
      at('20240103153001000', 'REQUESTED', 'clean'),
      at('20241231235959999'),
      at('20250101000000'),
    ];
    const shuffled = [ordered[6]!, ordered[0]!, ordered[10]!, ordered[3]!, ordered[8]!, ordered[4]!, ordered[1]!, ordered[9]!, ordered[7]!, ordered[2]!, ordered[5]!];
    expect([...shuffled].sort(compareInstants)).toEqual(ordered);
    for (let i = 0; i + 1 < ordered.length; i++) {
      expect(compareInstants(ordered[i]!, ordered[i + 1]!), `${ordered[i]!.time} < ${ordered[i + 1]!.time}`).toBeLessThan(0);
      expect(compareInstants(ordered[i + 1]!, ordered[i]!)).toBeGreaterThan(0);
    }
  });

  it.each<[string, string, number]>([
    // a 14-digit time is the 17-digit one with .000, and sorts just before it (string order)
    ['20240103153000', '20240103153000000', -1],
    ['20240103153000', '20240103153000001', -1],
    ['20240103153001', '20240103153000999', 1],
    ['20240103153000999', '20240103153001', -1],
    ['20240103153000123', '20240103153000123', 0],
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(Math.sign(compareInstants(at(a), at(b)))).toBe(sign);
  });

  it('ranks states of one time by lifecycle, whatever the action', () => {
    expect(compareInstants(at(T17, 'INFLIGHT', 'clean'), at(T17, 'REQUESTED', 'commit'))).toBeGreaterThan(0);
    expect(compareInstants(at(T17, 'COMPLETED', 'rollback'), at(T17, 'INFLIGHT', 'commit'))).toBeGreaterThan(0);
    expect(compareInstants(at(T17, 'COMPLETED', 'rollback'), at(T17, 'COMPLETED', 'commit'))).toBe(0);
  });
});

describe('isInstantTime', () => {
  it.each<[string, boolean]>([
    ['20240103153000', true],
    ['20240103153000123', true],
    ['00000000000000', true],
    ['2024010315300', false],
    ['202401031530001', false],
    ['2024010315300012', false],
    ['202401031530001234', false],
    ['2024-01-03 15:30:00', false],
    ['20240103153000.commit', false],
    ['', false],
  ])('%j → %s', (value, expected) => {
    expect(isInstantTime(value)).toBe(expected);
  });
});

describe('write actions', () => {
  it('are commit, deltacommit and replacecommit only', () => {
    expect(ACTIONS.filter((a) => WRITE_ACTIONS.has(a))).toEqual(['commit', 'deltacommit', 'replacecommit']);
  });
});
