/** Timing, disk and memory measurement helpers. */
import fs from 'node:fs';
import path from 'node:path';

export function median(a: ReadonlyArray<number>): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Bytes under a path (files and directories, recursively). */
export function duBytes(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  let s = 0;
  for (const e of fs.readdirSync(p)) s += duBytes(path.join(p, e));
  return s;
}

/** The process's peak resident set since it started (process-wide, so a running max), in MiB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Samples the current RSS every few milliseconds while `fn` runs and returns the highest value seen
 * (MiB). DuckDB works off the JS thread, so the event loop is free to sample while a statement runs.
 * This is a per-step peak, unlike `peakRssMb`, which never goes down.
 */
export async function sampled<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; stepRssMb: number }> {
  let max = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > max) max = r;
  }, 5);
  const t0 = performance.now();
  try {
    const value = await fn();
    const seconds = (performance.now() - t0) / 1000;
    max = Math.max(max, process.memoryUsage.rss());
    return { value, seconds, stepRssMb: Math.round(max / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

/** Runs `fn` `reps` times; the median, first and min seconds, the last result, the RSS peak seen. */
export async function timeReps<T>(fn: () => Promise<T>, reps = 5): Promise<{ value: T; seconds: number; first_s: number; min_s: number; stepRssMb: number }> {
  const secs: number[] = [];
  let value: T | undefined;
  let rss = 0;
  for (let i = 0; i < reps; i++) {
    const r = await sampled(fn);
    secs.push(r.seconds);
    value = r.value;
    rss = Math.max(rss, r.stepRssMb);
  }
  return { value: value as T, seconds: median(secs), first_s: round4(secs[0]!), min_s: round4(Math.min(...secs)), stepRssMb: rss };
}

export function round4(x: number): number {
  return +x.toFixed(4);
}

/** Parses a row count: 200000, 200k, 2M, 1.5M. */
export function parseCount(v: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(v.trim());
  if (m === null) throw new Error(`not a row count: "${v}" (use e.g. 200000, 200k, 2M)`);
  const mult = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1e3 : 1e6;
  return Math.round(Number(m[1]) * mult);
}

/** 2000000 -> "2M", 200000 -> "200k". */
export function fmtCount(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

/**
 * Walks command-line flags: `handle(flag, value)` for each, where `value()` takes the next argument
 * as the flag's value (an error when there is none, or it is another flag).
 */
export function forEachFlag(argv: ReadonlyArray<string>, handle: (flag: string, value: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    handle(flag, () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    });
  }
}
