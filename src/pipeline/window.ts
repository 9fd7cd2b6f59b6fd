/**
 * Watermark windows (the contract in the README): a run processes (start, end], where end is the
 * run's "now" and start is the end of the last SUCCESS window minus the lookback, or nothing (a full
 * load) on the first run. A FAILED run leaves the watermark where it was, so the next run covers
 * its window again. Pure functions of their inputs.
 */
import { DateTime } from 'luxon';
import { InvalidArgumentError } from '../errors.ts';
import type { Lookback, Schedule } from './definition.ts';

/** A processing window: `start` exclusive (null = from the beginning), `end` inclusive. */
export interface Window {
  readonly start: Date | null;
  readonly end: Date;
}

/** The next window of a pipeline. */
export function nextWindow(lastSuccessEnd: Date | null, lookback: Lookback | undefined, now: Date): Window {
  if (lastSuccessEnd === null) return { start: null, end: now };
  const start = DateTime.fromJSDate(lastSuccessEnd, { zone: 'utc' }).minus(lookback ?? {}).toJSDate();
  return { start, end: now };
}

/** Day windows covering [from, to] (dates `YYYY-MM-DD`, UTC): (from 00:00, from+1 00:00], … */
export function backfillWindows(from: string, to: string): Window[] {
  const parse = (d: string, what: string): DateTime => {
    const t = DateTime.fromISO(d, { zone: 'utc' });
    if (!t.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new InvalidArgumentError(`${what} "${d}" is not a date (YYYY-MM-DD)`, { value: d });
    return t;
  };
  const a = parse(from, '--from');
  const b = parse(to, '--to');
  if (b < a) throw new InvalidArgumentError(`--to ${to} is before --from ${from}`, { value: to });
  const out: Window[] = [];
  for (let d = a; d <= b; d = d.plus({ days: 1 })) out.push({ start: d.toJSDate(), end: d.plus({ days: 1 }).toJSDate() });
  return out;
}

/** Whether a pipeline is due: its last SUCCESS started in an earlier schedule period (UTC) than now. */
export function isDue(schedule: Schedule | undefined, lastSuccessStarted: Date | null, now: Date): boolean {
  if (lastSuccessStarted === null || schedule === 'always') return true;
  const unit = schedule === 'hourly' ? 'hour' : 'day';
  const period = (d: Date): number => DateTime.fromJSDate(d, { zone: 'utc' }).startOf(unit).toMillis();
  return period(lastSuccessStarted) < period(now);
}

/** A duration like `26h`, `90m`, `2d`, `1d12h` in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (m === null || text.trim() === '') throw new InvalidArgumentError(`duration "${text}" is not like 26h, 90m, 2d or 1d12h`, { value: text });
  const [, d, h, min, s] = m.map((x) => Number(x ?? 0)) as [number, number, number, number, number];
  return (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
}
