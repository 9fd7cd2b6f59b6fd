/** Readable summaries of the step records: medians over repeats, ratios, goals, the scale curve. */
import type { StepRecord } from './driver.ts';
import { fmtCount, median } from './measure.ts';

export const TIDEMARK = 'tidemark';
export const FLOOR = 'cow-limit-meta';
/** The `cli` step's records (bench/cli.ts): the `tidemark` binary against its floors. */
export const CLI = 'cli';
/** The optional LanceDB peer (bench/peer-lance.ts). */
export const LANCE = 'lance';
/** Every peer the bench knows, in the order reports list them. */
export const PEER_NAMES: ReadonlyArray<string> = [TIDEMARK, FLOOR, LANCE];
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
 * tidemark/floor (or tidemark/`against`) for one step: the ratio within each repeat (the peers ran
 * one after the other on the same machine state), then the median over repeats; `perRepeat` lists them.
 */
export function stepRatio(records: ReadonlyArray<StepRecord>, step: string, scaleRows?: number, against = FLOOR): { median: number; perRepeat: number[] } | undefined {
  const pick = (peer: string): Map<string, number> =>
    new Map(
      records
        .filter((r) => r.peer === peer && r.step === step && (scaleRows === undefined || r.scale_rows === scaleRows) && typeof r.seconds === 'number')
        .map((r) => [String(r.repeat ?? 0), r.seconds as number]),
    );
  const a = pick(TIDEMARK);
  const b = pick(against);
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

/** Markdown table of tidemark vs the floor (or vs `against`, another peer) per step. */
export function stepTable(records: ReadonlyArray<StepRecord>, repeats: number, against = FLOOR): string {
  const other = against === FLOOR ? 'floor' : against;
  const lines = [
    `| step | tidemark s | ${against} s | ratio tidemark/${other} | per repeat | tidemark step RSS MiB | tidemark MiB on disk | ${other} MiB on disk |`,
    '|---|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const step of TIMED_STEPS) {
    const a = summarize(records, TIDEMARK, step);
    const b = summarize(records, against, step);
    if (!a && !b) continue;
    const r = stepRatio(records, step, undefined, against);
    const ratio = r ? r.median.toFixed(2) + '×' : '–';
    const per = r && r.perRepeat.length > 1 ? r.perRepeat.map((x) => x.toFixed(2)).join(', ') : '';
    lines.push(`| ${step} | ${s(a?.seconds)} | ${s(b?.seconds)} | ${ratio} | ${per} | ${a?.stepRssMb ?? ''} | ${mib(a?.bytes ?? null)} | ${mib(b?.bytes ?? null)} |`);
  }
  const c1 = correctness(records, TIDEMARK);
  const c2 = correctness(records, against);
  lines.push(`| correctness | ${c1.ok ? 'ok' : 'FAIL'} | ${c2.ok ? 'ok' : 'FAIL'} | | | | | |`);
  return `Seconds: medians over ${repeats} repeat(s); ratio: median over repeats of the ratio within each repeat.\n\n${lines.join('\n')}`;
}

interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The issue's goals, judged on this run (undefined = not measured by this run). */
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
  // Against LanceDB, when the run had it (the skewed upsert no slower; the snapshot read ≥ 10× faster).
  const lance = (step: string): number | undefined => stepRatio(records, step, undefined, LANCE)?.median;
  const notRun = `not run (add ${LANCE} to --peers: see bench/peer-lance.ts)`;
  const skewed = lance('upsert_skewed');
  out.push({ goal: 'upsert 1% skewed vs LanceDB', target: 'no slower (≤ 1×)', measured: skewed === undefined ? notRun : `${skewed.toFixed(2)}×`, met: skewed === undefined ? undefined : skewed <= 1 });
  const read = lance('snapshot_read');
  out.push({ goal: 'snapshot read vs LanceDB', target: '≥ 10× faster', measured: read === undefined ? notRun : `${(1 / read).toFixed(1)}× faster`, met: read === undefined ? undefined : 1 / read >= 10 });
  out.push(scaleGoal(scaleRecords));
  // Isolated: the maxRSS of tidemark's own processes (its whole run, the correctness snapshot included);
  // shared: the whole-process RSS sampled during tidemark's steps (the process's maxRSS includes the other peer).
  const mine = [...records, ...scaleRecords].filter((r) => r.peer === TIDEMARK);
  const isolated = mine.some((r) => r.isolated === true);
  const vals = isolated ? mine.map((r) => r.peak_rss_mb).filter((x) => x > 0) : mine.map((r) => r.step_rss_mb).filter((x): x is number => typeof x === 'number');
  const rss = vals.length ? Math.max(...vals) : undefined;
  if (!isolated && [...records, ...scaleRecords].some((r) => r.peer === LANCE)) {
    // LanceDB's in-memory Arrow tables and its own memory are in the process too.
    out.push({ goal: 'peak RSS', target: '≤ 2 GB', measured: `not judged: ${rss ?? '–'} MiB whole-process, with ${LANCE} in the process (run without it, or with --isolate)`, met: undefined });
    return out;
  }
  out.push({
    goal: 'peak RSS',
    target: '≤ 2 GB',
    measured: rss === undefined ? 'not run' : `${rss} MiB (${isolated ? "maxRSS of tidemark's own process" : "whole process, sampled during tidemark's steps"})`,
    met: rss === undefined ? undefined : rss <= 2048,
  });
  return out;
}

/**
 * Skewed upsert at 20M vs 2M, from a --scale run (tidemark medians). Judged only when both sizes
 * took a batch of the same size (the scale shape; runs saved before it upserted 1% of N).
 */
function scaleGoal(scaleRecords: ReadonlyArray<StepRecord>): Goal {
  const goal = 'skewed upsert at 20M vs 2M';
  const target = '≤ 1.5× the 2M time, same daily batch';
  const sizes = [...new Set(scaleRecords.filter((r) => r.scale_rows !== undefined).map((r) => Number(r.scale_rows)))].sort((x, y) => x - y);
  const at = (n: number): number | undefined => summarize(scaleRecords, TIDEMARK, 'upsert_skewed', n)?.seconds;
  const describe = (n: number): string => {
    const sh = scaleShape(scaleRecords, n);
    return `${fmtCount(n)}: ${sh.days ?? '?'} days, ${sh.batchRows === undefined ? '?' : fmtCount(sh.batchRows)}-row batch, ${s(at(n))} s`;
  };
  const t2 = at(2_000_000);
  const hi = [...sizes].reverse().find((n) => n > 2_000_000 && at(n) !== undefined);
  if (t2 === undefined || hi === undefined) return { goal, target, measured: 'not run (use --scale 2M,20M)', met: undefined };
  const b2 = scaleShape(scaleRecords, 2_000_000).batchRows;
  const bh = scaleShape(scaleRecords, hi).batchRows;
  const detail = `(${describe(2_000_000)}; ${describe(hi)})`;
  if (b2 === undefined || bh === undefined || b2 !== bh) return { goal, target, measured: `not comparable: the batches differ ${detail}`, met: undefined };
  const r = at(hi)! / t2;
  if (hi !== 20_000_000) return { goal, target, measured: `${r.toFixed(2)}× at ${fmtCount(hi)}, 20M not run ${detail}`, met: undefined };
  return { goal, target, measured: `${r.toFixed(2)}× ${detail}`, met: r <= 1.5 };
}

export function goalTable(gs: Goal[]): string {
  const lines = ['| goal | target | measured | met |', '|---|---|---|---|'];
  for (const g of gs) lines.push(`| ${g.goal} | ${g.target} | ${g.measured} | ${g.met === undefined ? '–' : g.met ? 'met' : 'not met'} |`);
  return lines.join('\n');
}

/** Days and skewed-batch rows of one --scale size, from its records (undefined in runs saved before they were recorded). */
export function scaleShape(records: ReadonlyArray<StepRecord>, n: number): { days: number | undefined; batchRows: number | undefined } {
  const rs = records.filter((r) => r.scale_rows === n);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const days = rs.map((r) => num(r.days)).find((d) => d !== undefined);
  const batch = rs.map((r) => num(r.batch_rows) ?? (r.step === 'upsert_skewed' ? num(r.rows) : undefined)).find((b) => b !== undefined);
  return { days, batchRows: batch };
}

/**
 * The --scale curve: per size, its day partitions and skewed-batch rows, load and upsert_skewed
 * seconds, the skewed upsert against the floor and against the smallest size, and tidemark's step RSS.
 */
export function scaleTable(records: ReadonlyArray<StepRecord>): string {
  const sizes = [...new Set(records.filter((r) => r.scale_rows !== undefined).map((r) => Number(r.scale_rows)))].sort((x, y) => x - y);
  const lines = [
    '| rows | days | batch rows | tidemark load s | tidemark upsert_skewed s | floor upsert_skewed s | ratio to floor | tidemark skewed vs smallest size | floor skewed vs smallest size | tidemark step RSS MiB (load / skewed) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let firstA: number | undefined;
  let firstB: number | undefined;
  const rel = (x: number | undefined, first: number | undefined): string => (x !== undefined && first !== undefined && first > 0 ? (x / first).toFixed(2) + '×' : '–');
  for (const n of sizes) {
    const { days, batchRows } = scaleShape(records, n);
    const la = summarize(records, TIDEMARK, 'load', n);
    const a = summarize(records, TIDEMARK, 'upsert_skewed', n);
    const b = summarize(records, FLOOR, 'upsert_skewed', n);
    firstA ??= a?.seconds;
    firstB ??= b?.seconds;
    const ratio = stepRatio(records, 'upsert_skewed', n);
    lines.push(
      `| ${fmtCount(n)} | ${days ?? '–'} | ${batchRows === undefined ? '–' : fmtCount(batchRows)} | ${s(la?.seconds)} | ${s(a?.seconds)} | ${s(b?.seconds)} | ${ratio ? ratio.median.toFixed(2) + '×' : '–'} | ` +
        `${rel(a?.seconds, firstA)} | ${rel(b?.seconds, firstB)} | ${la?.stepRssMb ?? '–'} / ${a?.stepRssMb ?? '–'} |`,
    );
  }
  const c1 = correctness(records, TIDEMARK);
  const c2 = correctness(records, FLOOR);
  const note =
    'From 2M up, each size is a table grown by days (about 66.7k rows per day partition) and takes the same daily batch into its 2 latest days, so a copy-on-write engine rewrites the same data at every size: growth in the skewed time is overhead that grows with the table (below 2M: 30 days and 1% of N, the proportional shape). ' +
    `RSS = highest ${records.some((r) => r.isolated === true) ? "RSS of tidemark's own (child) process" : 'whole-process RSS'} sampled during the step; DuckDB keeps memory it freed, so the skewed upsert's figure includes what the load left behind.`;
  const ok = (c: { ok: boolean }, p: string): string => (records.some((r) => r.peer === p) ? (c.ok ? 'ok' : 'FAIL') : 'not run');
  return `${lines.join('\n')}\n\n${note}\n\ncorrectness (snapshot after load + upsert_skewed, every size): tidemark ${ok(c1, TIDEMARK)}, ${FLOOR} ${ok(c2, FLOOR)}`;
}

/**
 * Each peer's own memory, from isolated runs (run.ts --isolate): per size and peer, the child's RSS
 * before its first timed step, the step RSS of the load, of the last upsert and the highest of any
 * step, and the child's maxRSS (worst over repeats).
 */
export function rssTable(records: ReadonlyArray<StepRecord>): string {
  const iso = records.filter((r) => r.isolated === true && r.peer !== 'data' && r.peer !== 'env');
  const sizeOf = (r: StepRecord): number | undefined => (typeof r.scale_rows === 'number' ? r.scale_rows : undefined);
  const sizes = [...new Set(iso.map(sizeOf))].sort((x, y) => (x ?? 0) - (y ?? 0));
  const standardRows = iso.find((r) => r.step === 'load')?.rows;
  const peers = PEER_NAMES.filter((p) => iso.some((r) => r.peer === p));
  const lines = ['| rows | peer | start MiB | load step MiB | last upsert step MiB | max step MiB | maxRSS MiB |', '|---:|---|---:|---:|---:|---:|---:|'];
  const max = (rs: ReadonlyArray<StepRecord>, f: (r: StepRecord) => unknown): string => {
    const v = rs.map(f).filter((x): x is number => typeof x === 'number' && x > 0); // a crashed child's record has no figures
    return v.length ? String(Math.max(...v)) : '–';
  };
  for (const n of sizes) {
    for (const p of peers) {
      const rs = iso.filter((r) => r.peer === p && sizeOf(r) === n);
      if (rs.length === 0) continue;
      const rows = n ?? standardRows;
      const lastUpsert = [...rs].reverse().find((r) => r.step.startsWith('upsert'))?.step;
      lines.push(
        `| ${typeof rows === 'number' ? fmtCount(rows) : '–'} | ${p}${rs.some((r) => r.crashed === true) ? ' (child crashed)' : ''} | ${max(rs, (r) => r.start_rss_mb)} | ${max(rs.filter((r) => r.step === 'load'), (r) => r.step_rss_mb)} | ` +
          `${max(rs.filter((r) => r.step === lastUpsert), (r) => r.step_rss_mb)}${lastUpsert ? ` (${lastUpsert})` : ''} | ${max(rs, (r) => r.step_rss_mb)} | ${max(rs, (r) => r.peak_rss_mb)} |`,
      );
    }
  }
  return lines.join('\n');
}

/** The cli step's goals: `--help` in absolute seconds, `read` against its floor. */
const CLI_GOALS: Readonly<Record<string, { target: string; met: (seconds: number, ratio: number) => boolean }>> = {
  help: { target: '≤ 0.2 s', met: (seconds) => seconds <= 0.2 },
  read: { target: '≤ 1.5× floor', met: (_, ratio) => ratio <= 1.5 },
};

/** The cli step: per command, median seconds, its floor's, the median per-repeat ratio, the goal. */
export function cliTable(records: ReadonlyArray<StepRecord>, repeats: number): string {
  const cli = records.filter((r) => r.peer === CLI);
  const lines = ['| command | s | floor | floor s | ratio | goal | met? |', '|---|---:|---|---:|---:|---|---|'];
  for (const step of [...new Set(cli.map((r) => r.step))]) {
    const rs = cli.filter((r) => r.step === step);
    const timed = rs.filter((r) => typeof r.seconds === 'number');
    const goal = CLI_GOALS[step];
    const first = (timed[0] ?? rs[0])!;
    if (timed.length === 0) {
      const why = first.skipped ?? `FAILED: ${((first.problems as string[] | undefined) ?? []).join('; ')}`;
      lines.push(`| ${String(first.command ?? step)} | – | ${String(why)} | | | ${goal?.target ?? '–'} | ${goal ? 'not run' : '–'} |`);
      continue;
    }
    const secs = median(timed.map((r) => r.seconds as number));
    const ratio = median(timed.map((r) => Number(r.ratio)));
    const met = goal === undefined ? '–' : goal.met(secs, ratio) ? 'met' : 'not met';
    lines.push(`| ${String(first.command)} | ${secs.toFixed(3)} | ${String(first.floor)} | ${median(timed.map((r) => Number(r.floor_seconds))).toFixed(3)} | ${ratio.toFixed(2)}× | ${goal?.target ?? '–'} | ${met} |`);
  }
  const failed = cli.filter((r) => r.ok === false);
  const note = failed.length ? `\n\ncli FAILED:\n  - ${failed.map((r) => `${r.step}${r.repeat === undefined ? '' : ` (repeat ${String(r.repeat)})`}: ${(r.problems as string[]).join('; ')}`).join('\n  - ')}` : '';
  return `Wall seconds of each process, start to exit (Node's start-up included): medians over ${repeats} repeat(s); ratio: median over repeats of the ratio within each repeat, the command and its floor run back to back.\n\n${lines.join('\n')}${note}`;
}
