/**
 * Instant times: 17-digit UTC `yyyyMMddHHmmssSSS`, and `nextInstantTime`, strictly after the last
 * instant on the timeline whatever the clock says (stalled, stepped back, same millisecond), with
 * 14-digit and longer-than-17-digit last instants.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { FixedClock, formatInstantTime, nextInstantTime, parseInstantTime } from '../../src/time/clock.ts';

const utc = (iso: string): DateTime => DateTime.fromISO(iso, { zone: 'utc' });

describe('nextInstantTime', () => {
  it.each<[string, string, string | undefined, string]>([
    ['no instant yet: now', '2024-01-03T15:30:00.123Z', undefined, '20240103153000123'],
    ['the clock is past the last instant: now', '2024-01-03T15:30:00.124Z', '20240103153000123', '20240103153000124'],
    ['long past it: now', '2025-06-01T00:00:00.000Z', '20240103153000123', '20250601000000000'],
    ['same millisecond: 1 ms after it', '2024-01-03T15:30:00.123Z', '20240103153000123', '20240103153000124'],
    ['the clock stepped back: 1 ms after it', '2024-01-03T15:29:00.000Z', '20240103153000123', '20240103153000124'],
    ['carries into the next second', '2024-01-03T15:30:00.999Z', '20240103153000999', '20240103153001000'],
    ['carries into the next year', '2024-12-31T23:59:59.999Z', '20241231235959999', '20250101000000000'],
    ['leap day', '2024-02-28T23:59:59.999Z', '20240228235959999', '20240229000000000'],
    // a 14-digit last instant is its second's first millisecond
    ['14 digits, the clock at its .000: 1 ms after it', '2024-01-03T15:30:00.000Z', '20240103153000', '20240103153000001'],
    ['14 digits, the clock 1 ms past it: now', '2024-01-03T15:30:00.001Z', '20240103153000', '20240103153000001'],
    ['14 digits, the clock behind it', '2024-01-03T15:29:59.999Z', '20240103153000', '20240103153000001'],
    ['14 digits, the clock in the next second', '2024-01-03T15:30:01.000Z', '20240103153000', '20240103153001000'],
    // longer than 17 digits (metadata-table suffixes): compared on the first 17
    ['a suffixed instant, same millisecond', '2024-01-03T15:30:00.123Z', '20240103153000123001', '20240103153000124'],
    ['a suffixed instant, the clock past it', '2024-01-03T15:30:00.124Z', '20240103153000123999', '20240103153000124'],
    // Hudi's special instants (init and bootstrap) are before any clock
    ['after the init instant', '2024-01-03T15:30:00.123Z', '00000000000000', '20240103153000123'],
    ['after a bootstrap instant', '2024-01-03T15:30:00.123Z', '00000000000002', '20240103153000123'],
  ])('%s', (_, now, after, expected) => {
    const next = nextInstantTime(utc(now), after);
    expect(next).toBe(expected);
    expect(next).toMatch(/^\d{17}$/);
    if (after !== undefined) expect(next > after, `${next} > ${after}`).toBe(true);
  });

  it('formats in UTC whatever the zone of now', () => {
    const inParis = DateTime.fromISO('2024-07-01T02:00:00.500', { zone: 'Europe/Paris' });
    expect(nextInstantTime(inParis, undefined)).toBe('20240701000000500');
    expect(nextInstantTime(DateTime.fromISO('2024-01-01T00:30:00.000-05:00', { setZone: true }), '20240101000000000')).toBe('20240101053000000');
  });

  it('is strictly increasing across a burst of instants in one millisecond of a stalled clock', () => {
    const clock = new FixedClock('2024-01-03T15:30:00.998Z');
    const times: string[] = [];
    let last: string | undefined;
    for (let i = 0; i < 5; i++) times.push((last = nextInstantTime(clock.now(), last)));
    expect(times).toEqual(['20240103153000998', '20240103153000999', '20240103153001000', '20240103153001001', '20240103153001002']);
  });

  it('returns to the wall clock once it passes the last instant', () => {
    const clock = new FixedClock('2024-01-03T15:30:00.000Z');
    let last = nextInstantTime(clock.now(), undefined);
    last = nextInstantTime(clock.now(), last);
    expect(last).toBe('20240103153000001');
    clock.tick(1);
    expect(nextInstantTime(clock.now(), last)).toBe('20240103153000002');
    clock.tick(10);
    expect(nextInstantTime(clock.now(), last)).toBe('20240103153000011');
  });
});

describe('formatInstantTime and parseInstantTime', () => {
  it.each<[string, string]>([
    ['2024-01-03T15:30:00.123Z', '20240103153000123'],
    ['2024-01-03T15:30:00.000Z', '20240103153000000'],
    ['1999-12-31T23:59:59.999Z', '19991231235959999'],
    ['2024-01-03T16:30:00.007+01:00', '20240103153000007'],
  ])('%s ↔ %s', (iso, instant) => {
    expect(formatInstantTime(DateTime.fromISO(iso, { setZone: true }))).toBe(instant);
    expect(parseInstantTime(instant)?.toUTC().toISO()).toBe(DateTime.fromISO(iso).toUTC().toISO());
  });

  it('parses 14 digits as the second', () => {
    expect(parseInstantTime('20240103153000')?.toISO()).toBe('2024-01-03T15:30:00.000Z');
  });

  it.each(['2024010315300', '202401031530001', '2024010315300012', '202401031530001234', '20241301000000', '20240230000000000', '20240103250000', '2024-01-03T15:30:00', ''])(
    'refuses %j',
    (value) => {
      expect(parseInstantTime(value)).toBeUndefined();
    },
  );
});

describe('FixedClock', () => {
  it('stands still until ticked, in UTC', () => {
    const clock = new FixedClock(DateTime.fromISO('2024-01-03T16:30:00.000+01:00', { setZone: true }));
    expect(clock.now().toISO()).toBe('2024-01-03T15:30:00.000Z');
    expect(clock.now().toISO()).toBe('2024-01-03T15:30:00.000Z');
    expect(clock.tick().toISO()).toBe('2024-01-03T15:30:00.001Z');
    expect(clock.tick(999).toISO()).toBe('2024-01-03T15:30:01.000Z');
    expect(clock.now().toISO()).toBe('2024-01-03T15:30:01.000Z');
  });
});
