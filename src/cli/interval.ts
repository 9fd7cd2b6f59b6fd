/** `--interval`'s value: `30s`, `2m`, `500ms`, `1h`, or a plain number of seconds. */
import { InvalidArgumentError } from './commander.ts';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of an interval (a usage error, exit 2, when it is not one). */
export function parseInterval(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (m === null) throw new InvalidArgumentError(`"${value}" is not an interval (e.g. 30s, 2m, 500ms, or seconds)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
}
