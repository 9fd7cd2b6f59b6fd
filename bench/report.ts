/** Readable summaries of the step records: medians over repeats, ratios, goals, the scale curve. */
import type { StepRecord } from './driver.ts';
import { fmtCount, median } from './measure.ts';

export const TIDEMARK = 'tidemark';
export const FLOOR = 'cow-limit-meta';
const TIMED_STEPS = ['load', 'upsert', 'upsert_skewed', 'upsert_small', 'snapshot_read', 'point_lookup', 'point_lookup_pruned'];

/** Median seconds and worst memory of one peer/step over repeats. */
export interface StepSummary {
  seconds: number;
  perRepeat: number[];
  stepRssMb: number;
  peakRssMb: number;
  bytes: number | null;
}

export function summarize(records: ReadonlyArray<StepRecord>, peer: string, step: string, scaleRows?: number): StepSummary | undefined {
  const rs = records.filter((r) => r.peer === peer && r.step === step && (scaleRows === undefined || r.scale_rows === scaleRows) && typeof r.seconds === 'number');
  if (rs.length === 0) return undefined;
  const secs = rs.map((r) => r.seconds as number);
  const bytes = rs.map((r) => r.bytes_on_disk).filter((b): b is number => typeof b === 'number');
  return {
    seconds: median(secs),
    perRepeat: secs,
    stepRssMb: Math.max(...rs.map((r) => Number(r.step_rss_mb ?? 0))),
    peakRssMb: Math.max(...rs.map((r) => r.peak_rss_mb)),
    bytes: bytes.length ? median(bytes) : null,
  };
}

/**
 * tidemark/floor for one step: the ratio within each repeat (both peers ran back to back on the same
 * machine state), then the median over repeats; `perRepeat` lists them.
 */
export function stepRatio(records: ReadonlyArray<StepRecord>, step: string, scaleRows?: number): { median: number; perRepeat: number[] } | undefined {
  const pick = (peer: string): Map<string, number> =>
    new Map(
      records
        .filter((r) => r.peer === peer && r.step === step && (scaleRows === undefined || r.scale_rows === scaleRows) && typeof r.seconds === 'number')
        .map((r) => [String(r.repeat ?? 0), r.seconds as number]),
    );
  const a = pick(TIDEMARK);
  const b = pick(FLOOR);
  const per = [...a].filter(([k]) => (b.get(k) ?? 0) > 0).map(([k, v]) => v / b.get(k)!);
  return per.length ? { median: median(per), perRepeat: per } : undefined;
}

/** Correctness per peer over all repeats: ok, or the first failing repeat's problems. */
export function correctness(records: ReadonlyArray<StepRecord>, peer: string): { ok: boolean; problems: string[] } {
  const rs = records.filter((r) => r.peer === peer && r.step === 'correctness');
  const bad = rs.find((r) => r.ok !== true);
  return { ok: rs.length > 0 && bad === undefined, problems: bad ? (bad.problems as string[]) : rs.length ? [] : ['no correctness step ran'] };
}

const s = (x: number | undefined): string => (x === undefined ? '–' : x < 0.1 ? x.toFixed(4) : x.toFixed(3));
const mib = (b: number | null): string => (b === null ? '' : (b / 2 ** 20).toFixed(1));

/** Markdown table of tidemark vs the floor per step. */
export function stepTable(records: ReadonlyArray<StepRecord>, repeats: number): string {
  const lines = [
    `| step | tidemark s | ${FLOOR} s | ratio tidemark/floor | per repeat | tidemark step RSS MiB | tidemark MiB on disk | floor MiB on disk |`,
    '|---|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const step of TIMED_STEPS) {
    const a = summarize(records, TIDEMARK, step);
    const b = summarize(records, FLOOR, step);
    if (!a && !b) continue;
    const r = stepRatio(records, step);
    const ratio = r ? r.median.toFixed(2) + '×' : '–';
    const per = r && r.perRepeat.length > 1 ? r.perRepeat.map((x) => x.toFixed(2)).join(', ') : '';
    lines.push(`| ${step} | ${s(a?.seconds)} | ${s(b?.seconds)} | ${ratio} | ${per} | ${a?.stepRssMb ?? ''} | ${mib(a?.bytes ?? null)} | ${mib(b?.bytes ?? null)} |`);
  }
  const c1 = correctness(records, TIDEMARK);
  const c2 = correctness(records, FLOOR);
  lines.push(`| correctness | ${c1.ok ? 'ok' : 'FAIL'} | ${c2.ok ? 'ok' : 'FAIL'} | | | | | |`);
  return `Seconds: medians over ${repeats} repeat(s); ratio: median over repeats of the ratio within each repeat.\n\n${lines.join('\n')}`;
}

interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The goals, judged on this run (undefined = not measured by this run). */
export function goals(records: ReadonlyArray<StepRecord>, scaleRecords: ReadonlyArray<StepRecord> = []): Goal[] {
  const ratio = (step: string): number | undefined => stepRatio(records, step)?.median;
  const rg = (goal: string, step: string, max: number): Goal => {
    const r = ratio(step);
    return { goal, target: `≤ ${max}× floor`, measured: r === undefined ? 'not run' : `${r.toFixed(2)}×`, met: r === undefined ? undefined : r <= max };
  };
  const out = [
    rg('load', 'load', 1.3),
    rg('upsert 1% spread', 'upsert', 1.3),
    rg('upsert 1% skewed', 'upsert_skewed', 1.3),
    rg('upsert 100 rows', 'upsert_small', 2),
    rg('snapshot read', 'snapshot_read', 1.5),
    rg('point lookup, partition known', 'point_lookup_pruned', 2),
  ];
  const sizes = [...new Set(scaleRecords.map((r) => Number(r.scale_rows)))].sort((x, y) => x - y);
  const at = (n: number): number | undefined => summarize(scaleRecords, TIDEMARK, 'upsert_skewed', n)?.seconds;
  const t2 = at(2_000_000);
  const t20 = at(20_000_000);
  const top = sizes.length ? at(sizes[sizes.length - 1]!) : undefined;
  out.push({
    goal: 'skewed upsert at 20M vs 2M',
    target: '≤ 1.5× the 2M time',
    measured:
      t2 !== undefined && t20 !== undefined
        ? `${(t20 / t2).toFixed(2)}×`
        : t2 !== undefined && top !== undefined && sizes.length > 1
          ? `${(top / t2).toFixed(2)}× at ${fmtCount(sizes[sizes.length - 1]!)} (20M not run)`
          : 'not run (use --scale 2M,20M)',
    met: t2 !== undefined && t20 !== undefined ? t20 / t2 <= 1.5 : undefined,
  });
  const all = [...records, ...scaleRecords].filter((r) => r.peer === TIDEMARK);
  const rss = all.length ? Math.max(...all.map((r) => Number(r.step_rss_mb ?? 0))) : undefined;
  out.push({
    goal: 'peak RSS',
    target: '≤ 2 GB',
    measured: rss === undefined ? 'not run' : `${rss} MiB (whole process, sampled during tidemark's steps)`,
    met: rss === undefined ? undefined : rss <= 2048,
  });
  return out;
}

export function goalTable(gs: Goal[]): string {
  const lines = ['| goal | target | measured | met |', '|---|---|---|---|'];
  for (const g of gs) lines.push(`| ${g.goal} | ${g.target} | ${g.measured} | ${g.met === undefined ? '–' : g.met ? 'met' : 'not met'} |`);
  return lines.join('\n');
}

/** The --scale curve: skewed-upsert time and peak RSS by table size. */
export function scaleTable(records: ReadonlyArray<StepRecord>): string {
  const sizes = [...new Set(records.map((r) => Number(r.scale_rows)))].sort((x, y) => x - y);
  const lines = [
    '| rows | tidemark load s | floor load s | tidemark upsert_skewed s | floor upsert_skewed s | ratio | tidemark skewed vs first size | floor skewed vs first size | tidemark RSS MiB load / skewed | floor RSS MiB load / skewed | process peak RSS MiB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let first: { a: number; b: number } | undefined;
  for (const n of sizes) {
    const la = summarize(records, TIDEMARK, 'load', n);
    const lb = summarize(records, FLOOR, 'load', n);
    const a = summarize(records, TIDEMARK, 'upsert_skewed', n);
    const b = summarize(records, FLOOR, 'upsert_skewed', n);
    if (a && b && first === undefined) first = { a: a.seconds, b: b.seconds };
    const rssA = `${la?.stepRssMb ?? '–'} / ${a?.stepRssMb ?? '–'}`;
    const rssB = `${lb?.stepRssMb ?? '–'} / ${b?.stepRssMb ?? '–'}`;
    const peak = Math.max(la?.peakRssMb ?? 0, a?.peakRssMb ?? 0, lb?.peakRssMb ?? 0, b?.peakRssMb ?? 0);
    lines.push(
      `| ${fmtCount(n)} | ${s(la?.seconds)} | ${s(lb?.seconds)} | ${s(a?.seconds)} | ${s(b?.seconds)} | ${stepRatio(records, 'upsert_skewed', n)?.median.toFixed(2) ?? '–'}× | ` +
        `${a && first ? (a.seconds / first.a).toFixed(2) + '×' : '–'} | ${b && first ? (b.seconds / first.b).toFixed(2) + '×' : '–'} | ${rssA} | ${rssB} | ${peak} |`,
    );
  }
  const c1 = correctness(records, TIDEMARK);
  const c2 = correctness(records, FLOOR);
  const note = 'RSS = highest whole-process RSS sampled during the step; DuckDB keeps memory it freed, so the skewed upsert\'s figure includes what the load left behind.';
  return `${lines.join('\n')}\n\n${note}\n\ncorrectness (snapshot after load + upsert_skewed): tidemark ${c1.ok ? 'ok' : 'FAIL'}, ${FLOOR} ${c2.ok ? 'ok' : 'FAIL'}`;
}
