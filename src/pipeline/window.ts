/**
 * Watermark windows (the contract in the README): a run processes (start, end], where end is the
 * run's "now" and start is the end of the last SUCCESS window minus the lookback, or nothing (a full
 * load) on the first run. A FAILED run leaves the watermark where it was, so the next run covers
 * its window again. Backfills replay day windows instead: of the source's watermark column (the data
 * date) when it has one, else of processing time. Pure functions of their inputs.
 */
import { DateTime } from 'luxon';
import { InvalidArgumentError } from '../errors.ts';
import type { RunStatus } from '../metastore/metastore.ts';
import type { Lookback, PipelineDefinition, Schedule } from './definition.ts';

/**
 * What a window's bounds are times of. `processing-time` (the default when absent): the run clock,
 * file modification times, upstream commit times, or a watermark column compared with the clock;
 * `start` exclusive, `end` inclusive. `data-date`: a backfill day of the source's watermark column,
 * `start` INCLUSIVE and `end` exclusive, so a DATE column's day D (midnight) falls in D's window and
 * not in the day before's.
 */
export type WindowBasis = 'processing-time' | 'data-date';

/** A processing window: `start` exclusive (null = from the beginning), `end` inclusive (see {@link WindowBasis}). */
export interface Window {
  readonly start: Date | null;
  readonly end: Date;
  /** Absent: `processing-time`. */
  readonly basis?: WindowBasis;
}

/** Whether `def` reads a stream (Kafka, NATS): its runs follow offsets, not the clock. */
export function isStreamSource(def: PipelineDefinition): boolean {
  return def.source.kind === 'kafka' || def.source.kind === 'nats';
}

/**
 * The column whose values a backfill of `def` replays by day (the data date), or undefined when its
 * source has none and a backfill replays processing time (file modification or ledger, commit time).
 */
export function dataDateColumn(def: PipelineDefinition): string | undefined {
  return 'watermarkColumn' in def.source ? def.source.watermarkColumn : undefined;
}

/** How a backfill of `def` chooses its rows, in words (for dry runs and notes). */
export function backfillBasisText(def: PipelineDefinition): string {
  const column = dataDateColumn(def);
  if (column !== undefined) return `data date (${column})`;
  if (isStreamSource(def)) return 'none: a stream source is read by offsets, not by date (--full-refresh rereads every retained message)';
  return def.source.kind === 'table' ? 'processing time (upstream commit time)' : 'processing time (files new to the ledger)';
}

/**
 * SQL (DuckDB or PostgreSQL) keeping the rows whose `value` is in the window, against timestamptz
 * bounds: `> start AND <= end`, or for a data-date window `>= start AND < end`.
 */
export function windowPredicate(value: string, window: Window, bound: (which: 'start' | 'end', d: Date) => string): string {
  const data = window.basis === 'data-date';
  const upper = `${value} ${data ? '<' : '<='} ${bound('end', window.end)}`;
  return window.start === null ? upper : `${value} ${data ? '>=' : '>'} ${bound('start', window.start)} AND ${upper}`;
}

/** The next window of a pipeline. */
export function nextWindow(lastSuccessEnd: Date | null, lookback: Lookback | undefined, now: Date): Window {
  if (lastSuccessEnd === null) return { start: null, end: now };
  const start = DateTime.fromJSDate(lastSuccessEnd, { zone: 'utc' }).minus(lookback ?? {}).toJSDate();
  return { start, end: now };
}

/**
 * Day windows covering [from, to] (dates `YYYY-MM-DD`, UTC): from 00:00 to from+1 00:00, …; of
 * `basis` (a data-date day holds its midnight, a processing-time one the next midnight).
 */
export function backfillWindows(from: string, to: string, basis: WindowBasis = 'processing-time'): Window[] {
  const parse = (d: string, what: string): DateTime => {
    const t = DateTime.fromISO(d, { zone: 'utc' });
    if (!t.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new InvalidArgumentError(`${what} "${d}" is not a date (YYYY-MM-DD)`, { value: d });
    return t;
  };
  const a = parse(from, '--from');
  const b = parse(to, '--to');
  if (b < a) throw new InvalidArgumentError(`--to ${to} is before --from ${from}`, { value: to });
  const out: Window[] = [];
  for (let d = a; d <= b; d = d.plus({ days: 1 })) out.push({ start: d.toJSDate(), end: d.plus({ days: 1 }).toJSDate(), ...(basis === 'data-date' ? { basis } : {}) });
  return out;
}

/**
 * Whether a pipeline is due: its latest (incremental) run FAILED, whatever succeeded before it in
 * the same period (a retry, also of an interrupted run), or its last SUCCESS started in an earlier
 * schedule period (UTC) than now.
 */
export function isDue(schedule: Schedule | undefined, lastSuccessStarted: Date | null, now: Date, latestStatus: RunStatus | null = null): boolean {
  if (latestStatus === 'FAILED') return true;
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
