/**
 * Instants as users give them (`--as-of`, `--until`, a read's options): instant times, `0`, or ISO
 * dates and date-times, normalized to Hudi's 17-digit instant times.
 */
import { InvalidInstantError } from '../errors.ts';

/**
 * Normalizes an instant given by a user: 14/17-digit instant times as they are, `0` as the
 * beginning, and ISO dates or date-times (UTC unless they say otherwise) as 17-digit instants.
 */
export function normalizeInstant(value: string, what: string): string {
  const v = value.trim();
  if (/^0+$/.test(v)) return '00000000000000000';
  if (/^\d{14}$/.test(v)) return `${v}000`;
  if (/^\d{17,}$/.test(v)) return v.slice(0, 17);
  const iso = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v) ? new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) || v.length === 10 ? v : `${v.replace(' ', 'T')}Z`) : undefined;
  if (iso === undefined || Number.isNaN(iso.getTime())) {
    throw new InvalidInstantError(`${what} "${value}" is not an instant time (yyyyMMddHHmmss[SSS]) or an ISO date/time`, { value });
  }
  return iso.toISOString().replace(/[-:TZ.]/g, '').slice(0, 17);
}
