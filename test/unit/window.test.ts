/**
 * Watermark windows (the README's watermark contract): (start, end] with start = the last SUCCESS
 * window's end minus the lookback, a full load first; backfill day windows of processing time or of
 * the data date ([start, end)); whether a pipeline is due; durations like `26h`.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import type { Lookback, PipelineDefinition, Schedule } from '../../src/pipeline/definition.ts';
import type { RunStatus } from '../../src/metastore/metastore.ts';
import { type Window, backfillBasisText, backfillWindows, dataDateColumn, isDue, nextWindow, parseDuration, windowPredicate } from '../../src/pipeline/window.ts';

const d = (iso: string): Date => new Date(iso);
const iso = (w: Window): { start: string | null; end: string; basis?: string } => ({
  start: w.start === null ? null : w.start.toISOString(),
  end: w.end.toISOString(),
  ...(w.basis === undefined ? {} : { basis: w.basis }),
});

describe('nextWindow', () => {
  const now = d('2024-05-02T06:00:00.000Z');

  it.each<[string, string | null, Lookback | undefined, string | null]>([
    ['first run: a full load', null, undefined, null],
    ['first run with a lookback: still a full load', null, { days: 1 }, null],
    ['from the last success, no lookback', '2024-05-01T06:00:00.000Z', undefined, '2024-05-01T06:00:00.000Z'],
    ['an empty lookback', '2024-05-01T06:00:00.000Z', {}, '2024-05-01T06:00:00.000Z'],
    ['minutes of lookback', '2024-05-01T06:00:00.000Z', { minutes: 5 }, '2024-05-01T05:55:00.000Z'],
    ['hours of lookback', '2024-05-01T06:00:00.000Z', { hours: 26 }, '2024-04-30T04:00:00.000Z'],
    ['days, hours and minutes', '2024-05-01T06:00:00.000Z', { days: 1, hours: 2, minutes: 30 }, '2024-04-30T03:30:00.000Z'],
    ['across a month end', '2024-03-01T00:10:00.000Z', { minutes: 20 }, '2024-02-29T23:50:00.000Z'],
    // UTC: no daylight-saving hour is skipped or doubled (Europe moved its clocks on 2024-03-31)
    ['across a daylight-saving change', '2024-03-31T12:00:00.000Z', { days: 1 }, '2024-03-30T12:00:00.000Z'],
    ['the last end in milliseconds', '2024-05-01T06:00:00.123Z', { minutes: 1 }, '2024-05-01T05:59:00.123Z'],
  ])('%s', (_, lastEnd, lookback, start) => {
    expect(iso(nextWindow(lastEnd === null ? null : d(lastEnd), lookback, now))).toEqual({ start, end: now.toISOString() });
  });

  it('ends at now even when the last success ended later (a clock stepped back)', () => {
    expect(iso(nextWindow(d('2024-05-03T00:00:00.000Z'), undefined, now))).toEqual({ start: '2024-05-03T00:00:00.000Z', end: '2024-05-02T06:00:00.000Z' });
  });
});

describe('backfillWindows', () => {
  it('one processing-time day window per date, [from, to] inclusive, in order', () => {
    expect(backfillWindows('2024-05-01', '2024-05-03').map(iso)).toEqual([
      { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
      { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' },
      { start: '2024-05-03T00:00:00.000Z', end: '2024-05-04T00:00:00.000Z' },
    ]);
  });

  it('data-date windows are marked as such', () => {
    expect(backfillWindows('2024-02-28', '2024-03-01', 'data-date').map(iso)).toEqual([
      { start: '2024-02-28T00:00:00.000Z', end: '2024-02-29T00:00:00.000Z', basis: 'data-date' },
      { start: '2024-02-29T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z', basis: 'data-date' },
      { start: '2024-03-01T00:00:00.000Z', end: '2024-03-02T00:00:00.000Z', basis: 'data-date' },
    ]);
  });

  it('a single day', () => {
    expect(backfillWindows('2024-12-31', '2024-12-31').map(iso)).toEqual([{ start: '2024-12-31T00:00:00.000Z', end: '2025-01-01T00:00:00.000Z' }]);
  });

  it('a processing-time window has no basis field (the default)', () => {
    expect(backfillWindows('2024-05-01', '2024-05-01')[0]).not.toHaveProperty('basis');
  });

  it('a year of days', () => {
    const year = backfillWindows('2024-01-01', '2024-12-31');
    expect(year).toHaveLength(366);
    for (let i = 1; i < year.length; i++) expect(year[i]!.start!.getTime()).toBe(year[i - 1]!.end.getTime());
  });

  it.each<[string, string, string]>([
    ['2024-05-03', '2024-05-01', '--to 2024-05-01 is before --from 2024-05-03'],
    ['2024-5-1', '2024-05-03', '--from "2024-5-1" is not a date (YYYY-MM-DD)'],
    ['2024-05-01', '2024-05-01T00:00', '--to "2024-05-01T00:00" is not a date (YYYY-MM-DD)'],
    ['2024-02-30', '2024-03-01', '--from "2024-02-30" is not a date (YYYY-MM-DD)'],
    ['yesterday', '2024-03-01', '--from "yesterday" is not a date (YYYY-MM-DD)'],
    ['2024-05-01', '', '--to "" is not a date (YYYY-MM-DD)'],
  ])('refuses --from %j --to %j', (from, to, message) => {
    expect(() => backfillWindows(from, to)).toThrow(InvalidArgumentError);
    expect(() => backfillWindows(from, to)).toThrow(message);
  });
});

describe('windowPredicate', () => {
  const bound = (which: 'start' | 'end', at: Date): string => `${which.toUpperCase()}(${at.toISOString()})`;
  const start = d('2024-05-01T00:00:00.000Z');
  const end = d('2024-05-02T00:00:00.000Z');

  it.each<[string, Window, string]>([
    ['processing time: (start, end]', { start, end }, 'v > START(2024-05-01T00:00:00.000Z) AND v <= END(2024-05-02T00:00:00.000Z)'],
    ['processing time, explicit basis', { start, end, basis: 'processing-time' }, 'v > START(2024-05-01T00:00:00.000Z) AND v <= END(2024-05-02T00:00:00.000Z)'],
    ['data date: [start, end)', { start, end, basis: 'data-date' }, 'v >= START(2024-05-01T00:00:00.000Z) AND v < END(2024-05-02T00:00:00.000Z)'],
    ['a full load: up to end only', { start: null, end }, 'v <= END(2024-05-02T00:00:00.000Z)'],
    ['a data-date full load', { start: null, end, basis: 'data-date' }, 'v < END(2024-05-02T00:00:00.000Z)'],
  ])('%s', (_, window, sql) => {
    expect(windowPredicate('v', window, bound)).toBe(sql);
  });
});

describe('isDue', () => {
  const now = d('2024-05-02T10:30:00.000Z');

  it.each<[string, Schedule | undefined, string | null, RunStatus | null, boolean]>([
    ['never succeeded', 'daily', null, null, true],
    ['never succeeded, the last run failed', 'daily', null, 'FAILED', true],
    ['succeeded earlier today', 'daily', '2024-05-02T00:00:00.000Z', 'SUCCESS', false],
    ['succeeded yesterday', 'daily', '2024-05-01T23:59:59.999Z', 'SUCCESS', true],
    ['the default schedule is daily', undefined, '2024-05-02T01:00:00.000Z', 'SUCCESS', false],
    ['the default schedule, yesterday', undefined, '2024-05-01T10:30:00.000Z', 'SUCCESS', true],
    ['succeeded today, then a run failed: a retry is due', 'daily', '2024-05-02T01:00:00.000Z', 'FAILED', true],
    ['succeeded today, the latest run RUNNING: only FAILED makes it due here', 'daily', '2024-05-02T01:00:00.000Z', 'RUNNING', false],
    ['hourly, this hour', 'hourly', '2024-05-02T10:00:00.000Z', 'SUCCESS', false],
    ['hourly, the hour before', 'hourly', '2024-05-02T09:59:59.999Z', 'SUCCESS', true],
    ['always', 'always', '2024-05-02T10:29:59.000Z', 'SUCCESS', true],
    ['a success in the future (clock stepped back)', 'daily', '2024-05-03T01:00:00.000Z', 'SUCCESS', false],
  ])('%s', (_, schedule, lastSuccess, latest, due) => {
    expect(isDue(schedule, lastSuccess === null ? null : d(lastSuccess), now, latest)).toBe(due);
  });

  it('compares UTC days, not local ones', () => {
    // 23:30 UTC and 00:30 UTC the next day are different days whatever the local zone
    expect(isDue('daily', d('2024-05-01T23:30:00.000Z'), d('2024-05-02T00:30:00.000Z'))).toBe(true);
    expect(isDue('daily', d('2024-05-02T00:00:00.000Z'), d('2024-05-02T23:59:59.999Z'))).toBe(false);
  });
});

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['26h', 26 * 3_600_000],
    ['90m', 90 * 60_000],
    ['2d', 2 * 86_400_000],
    ['1d12h', 36 * 3_600_000],
    ['45s', 45_000],
    ['1d2h3m4s', ((24 + 2) * 3600 + 3 * 60 + 4) * 1000],
    ['1h30m', 90 * 60_000],
    ['0h', 0],
    [' 26h ', 26 * 3_600_000],
    ['100d', 100 * 86_400_000],
  ])('%j is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '   ', '26', 'h', '26H', '1.5h', '-1h', '30m1h', '1h 30m', '1w', '26 h', 'P1D'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    expect(() => parseDuration(text)).toThrow(`duration "${text}" is not like 26h, 90m, 2d or 1d12h`);
  });
});

describe('the data date of a backfill', () => {
  const def = (source: Record<string, unknown>): PipelineDefinition =>
    ({ name: 'p', source, target: { table: 't', recordKey: ['id'], precombine: 'ts' } }) as unknown as PipelineDefinition;

  it.each<[string, Record<string, unknown>, string | undefined, string]>([
    ['a watermark column', { kind: 'postgres', query: 'select 1', watermarkColumn: 'updated_at' }, 'updated_at', 'data date (updated_at)'],
    ['files without one', { kind: 'files', path: '/x/*.csv', format: 'csv' }, undefined, 'processing time (files new to the ledger)'],
    ['a table without one', { kind: 'table', table: 'bronze.events' }, undefined, 'processing time (upstream commit time)'],
    ['a table with one', { kind: 'table', table: 'bronze.events', watermarkColumn: 'day' }, 'day', 'data date (day)'],
  ])('%s', (_, source, column, text) => {
    expect(dataDateColumn(def(source))).toBe(column);
    expect(backfillBasisText(def(source))).toBe(text);
  });
});
