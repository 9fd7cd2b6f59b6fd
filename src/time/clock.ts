/**
 * Time is a port: the engine asks a `Clock` for "now" so tests can pin it. Instant times are
 * Hudi's `yyyyMMddHHmmssSSS`, always formatted in UTC (tables declare
 * `hoodie.table.timeline.timezone=UTC`).
 */
import { DateTime } from 'luxon';

/** Source of the current time. */
export interface Clock {
  now(): DateTime;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => DateTime.utc() };

/** A clock that stands still until moved; for tests and replays. */
export class FixedClock implements Clock {
  private current: DateTime;
  constructor(start: DateTime | string) {
    this.current = typeof start === 'string' ? DateTime.fromISO(start, { zone: 'utc' }) : start.toUTC();
  }
  now(): DateTime {
    return this.current;
  }
  /** Moves the clock forward by `millis` and returns the new time. */
  tick(millis = 1): DateTime {
    this.current = this.current.plus({ milliseconds: millis });
    return this.current;
  }
}

/** Formats a time as a 17-digit UTC instant time (`yyyyMMddHHmmssSSS`). */
export function formatInstantTime(time: DateTime): string {
  return time.toUTC().toFormat('yyyyMMddHHmmssSSS');
}

/** Parses a 14- or 17-digit instant time as UTC; undefined when it is not one. */
export function parseInstantTime(instant: string): DateTime | undefined {
  if (!/^\d{14}(\d{3})?$/.test(instant)) return undefined;
  const format = instant.length === 17 ? 'yyyyMMddHHmmssSSS' : 'yyyyMMddHHmmss';
  const time = DateTime.fromFormat(instant, format, { zone: 'utc' });
  return time.isValid ? time : undefined;
}

/**
 * The instant time for a new instant: now, or 1 ms after `after` when the clock has not passed it,
 * so instants on one timeline are strictly increasing even when the clock stalls or steps back.
 */
export function nextInstantTime(now: DateTime, after: string | undefined): string {
  const candidate = formatInstantTime(now);
  if (after === undefined || candidate > after.slice(0, 17).padEnd(17, '0')) return candidate;
  const last = parseInstantTime(after.slice(0, 17).padEnd(17, '0'));
  return formatInstantTime((last ?? now).plus({ milliseconds: 1 }));
}
