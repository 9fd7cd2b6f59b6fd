/**
 * The Timeline value: one entry per (time, action) in its most advanced state, in time order, and
 * its queries (completed writes, pending instants, latest, ranges), with 14- and 17-digit instants mixed.
 */
import { describe, expect, it } from 'vitest';
import { type Instant, parseInstantFileName } from '../../src/timeline/instant.ts';
import { Timeline } from '../../src/timeline/timeline.ts';

/** A timeline from `.hoodie/` file names, as a listing gives them (junk included). */
function timelineOf(...fileNames: string[]): Timeline {
  return new Timeline(fileNames.map(parseInstantFileName).filter((i): i is Instant => i !== undefined));
}

const names = (instants: ReadonlyArray<Instant>): string[] => instants.map((i) => `${i.time}.${i.action}.${i.state}`);

describe('Timeline', () => {
  // A table's .hoodie/ listing, in no order: an old 14-digit writer's commits, then 17-digit ones,
  // a clean, a savepoint, a rolled-back commit and a write still in flight.
  const listing = [
    '20240103153001000.inflight',
    'hoodie.properties',
    '20240103153000.commit',
    '20240103153000.commit.requested',
    '20240103153000.inflight',
    '20240103152959.commit.requested',
    '20240103152959.inflight',
    '20240103152959.commit',
    '20240103153000500.replacecommit.requested',
    '20240103153000500.replacecommit.inflight',
    '20240103153000500.replacecommit',
    '20240103153000700.clean.requested',
    '20240103153000700.clean.inflight',
    '20240103153000700.clean',
    '20240103153000800.savepoint.inflight',
    '20240103153000800.savepoint',
    '20240103153000900.rollback.requested',
    '20240103153000900.rollback.inflight',
    '20240103153001000.commit.requested',
    '20240103153000950.deltacommit.requested',
    '20240103153000950.deltacommit.inflight',
    '20240103153000950.deltacommit',
    '.20240103153001000.commit.1a2b.tmp',
  ];
  const timeline = timelineOf(...listing);

  it('keeps one instant per (time, action), in its most advanced state, ordered by time', () => {
    expect(names(timeline.instants)).toEqual([
      '20240103152959.commit.COMPLETED',
      '20240103153000.commit.COMPLETED',
      '20240103153000500.replacecommit.COMPLETED',
      '20240103153000700.clean.COMPLETED',
      '20240103153000800.savepoint.COMPLETED',
      '20240103153000900.rollback.INFLIGHT',
      '20240103153000950.deltacommit.COMPLETED',
      '20240103153001000.commit.INFLIGHT',
    ]);
  });

  it('does not depend on the listing order', () => {
    expect(timelineOf(...[...listing].reverse()).instants).toEqual(timeline.instants);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(timeline.instants)).toBe(true);
  });

  it('completedWrites: completed commit, replacecommit and deltacommit, oldest first', () => {
    expect(timeline.completedWrites().map((i) => i.time)).toEqual(['20240103152959', '20240103153000', '20240103153000500', '20240103153000950']);
  });

  it('pending: requested or inflight instants of any action', () => {
    expect(names(timeline.pending())).toEqual(['20240103153000900.rollback.INFLIGHT', '20240103153001000.commit.INFLIGHT']);
  });

  it.each<[Instant['action'], string[]]>([
    ['commit', ['20240103152959', '20240103153000']],
    ['replacecommit', ['20240103153000500']],
    ['clean', ['20240103153000700']],
    ['savepoint', ['20240103153000800']],
    ['rollback', []],
    ['restore', []],
  ])('completed(%s)', (action, times) => {
    expect(timeline.completed(action).map((i) => i.time)).toEqual(times);
  });

  it('latestCompletedWrite is the newest completed write, not the newest instant', () => {
    expect(timeline.latestCompletedWrite()).toEqual({ time: '20240103153000950', action: 'deltacommit', state: 'COMPLETED' });
  });

  it('lastInstantTime is the greatest time of any state and action', () => {
    expect(timeline.lastInstantTime()).toBe('20240103153001000');
    expect(timelineOf('20240103153000.commit', '20240103153000999.clean.requested').lastInstantTime()).toBe('20240103153000999');
    // 14 digits after 17: the later second wins over the earlier second's milliseconds
    expect(timelineOf('20240103153000999.commit', '20240103153001.commit.requested').lastInstantTime()).toBe('20240103153001');
  });

  it.each<[string | undefined, string | undefined, string[]]>([
    [undefined, undefined, ['20240103152959', '20240103153000', '20240103153000500', '20240103153000950']],
    ['20240103152959', undefined, ['20240103153000', '20240103153000500', '20240103153000950']],
    [undefined, '20240103153000500', ['20240103152959', '20240103153000', '20240103153000500']],
    ['20240103153000', '20240103153000500', ['20240103153000500']],
    ['20240103153000500', '20240103153000500', []],
    ['20240103153000950', undefined, []],
    [undefined, '20240103152958', []],
    // mixed lengths compare as strings: 14 digits are the second's first moment
    ['20240103153000000', undefined, ['20240103153000500', '20240103153000950']],
    [undefined, '20240103153000000', ['20240103152959', '20240103153000']],
  ])('writesBetween(%s, %s]', (after, upTo, times) => {
    expect(timeline.writesBetween(after, upTo).map((i) => i.time)).toEqual(times);
  });

  it('hasCompletedWrite only for completed write instants, by exact time', () => {
    expect(timeline.hasCompletedWrite('20240103153000')).toBe(true);
    expect(timeline.hasCompletedWrite('20240103153000500')).toBe(true);
    expect(timeline.hasCompletedWrite('20240103153000000')).toBe(false);
    expect(timeline.hasCompletedWrite('20240103153000700')).toBe(false); // a clean
    expect(timeline.hasCompletedWrite('20240103153001000')).toBe(false); // inflight
  });

  it('with() returns a new timeline and leaves the old one as it was', () => {
    const done = timeline.with({ time: '20240103153001000', action: 'commit', state: 'COMPLETED' });
    expect(done.latestCompletedWrite()?.time).toBe('20240103153001000');
    expect(names(done.pending())).toEqual(['20240103153000900.rollback.INFLIGHT']);
    expect(timeline.latestCompletedWrite()?.time).toBe('20240103153000950');
    expect(timeline.instants).toHaveLength(8);
    expect(done.instants).toHaveLength(8);
  });

  it('with() never moves an instant back to an earlier state', () => {
    const back = timeline.with({ time: '20240103153000', action: 'commit', state: 'REQUESTED' });
    expect(back.instants).toEqual(timeline.instants);
  });

  it('an empty timeline has no writes, no pending instants and no last time', () => {
    const empty = new Timeline([]);
    expect(empty.instants).toEqual([]);
    expect(empty.completedWrites()).toEqual([]);
    expect(empty.pending()).toEqual([]);
    expect(empty.latestCompletedWrite()).toBeUndefined();
    expect(empty.lastInstantTime()).toBeUndefined();
    expect(empty.writesBetween(undefined, undefined)).toEqual([]);
  });

  it('keeps instants of one time but different actions apart', () => {
    const t = timelineOf('20240103153000123.commit', '20240103153000123.clean.requested');
    expect(names(t.instants)).toEqual(['20240103153000123.clean.REQUESTED', '20240103153000123.commit.COMPLETED']);
    expect(t.completedWrites().map((i) => i.time)).toEqual(['20240103153000123']);
    expect(names(t.pending())).toEqual(['20240103153000123.clean.REQUESTED']);
  });

  it('keeps a 14-digit instant and the 17-digit one of the same second apart', () => {
    const t = timelineOf('20240103153000000.commit', '20240103153000.commit');
    expect(t.completedWrites().map((i) => i.time)).toEqual(['20240103153000', '20240103153000000']);
  });
});
