/**
 * `daily-run`: every due pipeline, in dependency order (a pipeline reading table X runs after the
 * pipeline writing X). A failed pipeline does not stop the others, only the pipelines downstream of
 * it. A pipeline whose latest run failed is due again at once, and its downstream with it.
 * Backfills replay explicit day windows in order: of the source's watermark column (the data date)
 * when it has one, else of processing time; their runs are logged `backfill` and never move the
 * watermark.
 */
import { InvalidArgumentError, messageOf } from '../errors.ts';
import { findScanCalls } from '../engine/read/scan-rewrite.ts';
import type { PipelineRun } from '../metastore/metastore.ts';
import type { PipelineContext } from './context.ts';
import type { PipelineDefinition } from './definition.ts';
import { interruptReason } from './interrupt.ts';
import { reconcileRuns } from './reconcile.ts';
import { type RunResult, plannedWindow, runPipeline, skipped } from './run-pipeline.ts';
import { type Window, type WindowBasis, backfillBasisText, backfillWindows, dataDateColumn, isDue, isStreamSource } from './window.ts';

/** Options of a daily run. */
export interface DailyRunOptions {
  /** Only these pipelines, by name (run whether due or not). Default (or empty): every pipeline that is due. */
  readonly pipelines?: ReadonlyArray<string>;
  /** Run every pipeline, due or not. Default: false (only those due). */
  readonly all?: boolean;
  /** Only report the windows that would be processed; nothing runs. Default: false. */
  readonly dryRun?: boolean;
  /**
   * Backfill: replay the day windows from `from` to `to` (dates, inclusive), of the source's
   * watermark column when it has one (the data date), else of processing time. Backfill runs never
   * move the watermark: the next normal run takes the window it would have taken without them.
   * Dates are `YYYY-MM-DD` (UTC); `from` and `to` go together. Default: no backfill.
   */
  readonly from?: string;
  /** The last day of a backfill (`YYYY-MM-DD`, UTC, inclusive); see `from`. */
  readonly to?: string;
  /** Rebuild each selected pipeline's target from a full load (see `RunOptions.fullRefresh`); selects every pipeline. Default: false. */
  readonly fullRefresh?: boolean;
  /**
   * Stops the daily run: the running pipeline stops at its next safe point and is logged FAILED
   * (its window unchanged); the pipelines not started yet are reported SKIPPED. See `RunOptions.signal`.
   * Default: none.
   */
  readonly signal?: AbortSignal;
  /** Told as each pipeline starts (for progress displays): its name, its 1-based `index` and the `total` selected. Default: none. */
  readonly onProgress?: (event: { readonly pipeline: string; readonly index: number; readonly total: number }) => void;
}

/** A window a dry run would process, or why it cannot tell. */
export interface PlannedRun {
  readonly pipeline: string;
  readonly window: Window | undefined;
  /** What the window's bounds are times of: a backfill's data date or processing time; a normal run's watermark (processing time). */
  readonly basis: WindowBasis;
  /** The same in words: `data date (order_date)`, `processing time (upstream commit time)`, `incremental (processing time)`. */
  readonly by: string;
  /** Why it is planned or how, when worth saying: a retry, a backfill that cannot go by data date. */
  readonly note?: string;
  readonly error?: string;
}

/** The outcome of a daily run. */
export interface DailyRunResult {
  /** No run FAILED and the daily run was not interrupted. */
  readonly ok: boolean;
  readonly results: ReadonlyArray<RunResult>;
  readonly planned: ReadonlyArray<PlannedRun>;
  /** Set when `signal` fired before the daily run ended: what stopped it (`interrupted by SIGINT`). */
  readonly interrupted?: string;
  /** Things the caller should know (also logged as warnings): a backfill that replays processing time, not data dates. */
  readonly notes: ReadonlyArray<string>;
}

/** Tables a pipeline reads: its table source and the tables its transform scans. */
export function upstreamTables(def: PipelineDefinition): string[] {
  const fromSource = def.source.kind === 'table' ? [def.source.table] : [];
  const fromTransform = def.transform === undefined ? [] : findScanCalls(def.transform).map((c) => c.path);
  return [...new Set([...fromSource, ...fromTransform])];
}

/** Pipelines in dependency order; `InvalidArgumentError` on a cycle. */
export function dependencyOrder(pipelines: ReadonlyArray<PipelineDefinition>): { order: PipelineDefinition[]; upstream: Map<string, string[]> } {
  const writer = new Map(pipelines.map((p) => [p.target.table, p.name]));
  const upstream = new Map(pipelines.map((p) => [p.name, upstreamTables(p).map((t) => writer.get(t)).filter((w): w is string => w !== undefined && w !== p.name)]));
  const byName = new Map(pipelines.map((p) => [p.name, p]));
  const order: PipelineDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new InvalidArgumentError(`pipelines depend on each other in a cycle: ${[...path, name].join(' → ')}`, { value: name });
    state.set(name, 'visiting');
    for (const u of upstream.get(name) ?? []) visit(u, [...path, name]);
    state.set(name, 'done');
    order.push(byName.get(name)!);
  };
  for (const p of [...pipelines].sort((a, b) => a.name.localeCompare(b.name))) visit(p.name, []);
  return { order, upstream };
}

/** Why a pipeline is run by a plain `daily-run`: its latest run failed (a retry), its schedule, or an upstream's retry. */
type DueReason = 'retry' | 'schedule' | 'upstream retry';

/** The lock `runPipeline` holds while a pipeline runs (the same key: see run-pipeline.ts). */
const pipelineLock = (name: string): string => `tidemark:pipeline:${name}`;

/**
 * Whether a pipeline is due on its own: its latest incremental run FAILED (also when interrupted),
 * whatever succeeded earlier in the period, or its schedule says so. A latest run left RUNNING is
 * either running in another process now (its lock is held: not a retry) or was left by a process
 * that died: that one is settled first, as its next run would (SUCCESS if it committed, else
 * FAILED, then retried); a dry run only looks and takes it for a retry. Backfill runs do not count.
 */
async function dueOnItsOwn(ctx: PipelineContext, def: PipelineDefinition, now: Date, dryRun: boolean): Promise<DueReason | undefined> {
  const latestRun = async (): Promise<PipelineRun | undefined> => (await ctx.metastore.runs({ pipelineName: def.name, kind: 'incremental', newestFirst: true, limit: 1 }))[0];
  let latest = await latestRun();
  if (latest?.status === 'RUNNING') {
    const dead = await ctx.metastore.withLock(pipelineLock(def.name), async () => (dryRun ? undefined : reconcileRuns(ctx, def)));
    if (dead.acquired) latest = dryRun ? { ...latest, status: 'FAILED' } : await latestRun();
  }
  if (latest?.status === 'FAILED') return 'retry';
  const last = await ctx.metastore.lastSuccess(def.name);
  return isDue(def.schedule, last?.startedAt ?? null, now) ? 'schedule' : undefined;
}

/** The note for a backfill of a pipeline whose source has no watermark column. */
function processingTimeNote(def: PipelineDefinition): string {
  return `${def.name} has no watermark column: its backfill replays windows of ${backfillBasisText(def)}, not data dates (give its source a watermarkColumn to backfill by data date)`;
}

/** Runs the due (or named) pipelines in dependency order. */
export async function dailyRun(ctx: PipelineContext, options: DailyRunOptions = {}): Promise<DailyRunResult> {
  const all = [...ctx.pipelines.values()];
  for (const name of options.pipelines ?? []) {
    if (!ctx.pipelines.has(name)) throw new InvalidArgumentError(`no pipeline named "${name}" in the catalog (known: ${[...ctx.pipelines.keys()].sort().join(', ') || 'none'})`, { value: name });
  }
  if ((options.from === undefined) !== (options.to === undefined)) throw new InvalidArgumentError('a backfill needs both --from and --to');
  const backfill = options.from !== undefined ? { from: options.from, to: options.to! } : undefined;
  if (backfill !== undefined) backfillWindows(backfill.from, backfill.to); // bad dates fail before anything runs
  const windowsOf = (def: PipelineDefinition): Window[] | undefined =>
    backfill === undefined ? undefined : backfillWindows(backfill.from, backfill.to, dataDateColumn(def) === undefined ? 'processing-time' : 'data-date');
  const { order, upstream } = dependencyOrder(all);
  const now = ctx.clock.now().toJSDate();
  const selected: PipelineDefinition[] = [];
  const reasons = new Map<string, DueReason>();
  for (const def of order) {
    if (options.pipelines !== undefined && options.pipelines.length > 0) {
      if (options.pipelines.includes(def.name)) selected.push(def);
    } else if (options.all || backfill !== undefined || options.fullRefresh) {
      selected.push(def);
    } else {
      // A retried pipeline may bring what its downstream missed: they follow it, whatever their schedule.
      const own = await dueOnItsOwn(ctx, def, now, options.dryRun ?? false);
      const follows = (upstream.get(def.name) ?? []).some((u) => reasons.get(u) === 'retry' || reasons.get(u) === 'upstream retry');
      const reason = own === 'retry' ? own : follows ? 'upstream retry' : own;
      if (reason === undefined) continue;
      reasons.set(def.name, reason);
      selected.push(def);
    }
  }
  // Streams are read by offsets: a backfill by date has nothing to replay (a full refresh rereads them).
  const streams = backfill === undefined ? [] : selected.filter(isStreamSource);
  const namedStreams = streams.filter((def) => options.pipelines?.includes(def.name) === true);
  if (namedStreams.length > 0) {
    throw new InvalidArgumentError(`${namedStreams.map((d) => d.name).join(', ')} read${namedStreams.length === 1 ? 's a stream' : ' streams'} by offsets and cannot be backfilled by date (--from/--to); --full-refresh rereads every retained message`, { value: namedStreams[0]!.name });
  }
  for (const def of streams) selected.splice(selected.indexOf(def), 1);
  const notes = [
    ...streams.map((def) => `${def.name} reads a stream by offsets: not backfilled by date (--full-refresh rereads every retained message)`),
    ...(backfill === undefined ? [] : selected.filter((def) => dataDateColumn(def) === undefined).map(processingTimeNote)),
  ];
  for (const note of notes) ctx.logger.warn(note);
  if (options.dryRun) {
    const planned: PlannedRun[] = [];
    for (const def of selected) {
      const windows = windowsOf(def);
      if (windows !== undefined) {
        const by = backfillBasisText(def);
        const note = dataDateColumn(def) === undefined ? 'no watermark column: processing time, not data dates' : undefined;
        for (const [i, w] of windows.entries()) planned.push({ pipeline: def.name, window: w, basis: w.basis ?? 'processing-time', by, ...(i === 0 && note !== undefined ? { note } : {}) });
        continue;
      }
      const reason = reasons.get(def.name);
      const note = reason === 'retry' ? 'its latest run failed: retried' : reason === 'upstream retry' ? 'follows the retry of an upstream pipeline' : undefined;
      const head = { pipeline: def.name, basis: 'processing-time' as const, by: 'incremental (processing time)', ...(note === undefined ? {} : { note }) };
      try {
        planned.push({ ...head, window: await plannedWindow(ctx, def, { fullRefresh: options.fullRefresh ?? false }) });
      } catch (error) {
        planned.push({ ...head, window: undefined, error: messageOf(error) });
      }
    }
    return { ok: true, results: [], planned, notes };
  }
  // Why a pipeline's downstream must not run in this process: its upstream failed, or another
  // daily-run holds the upstream's lock (and so runs the downstream after it, in order).
  const blocked = new Map<string, string>();
  const results: RunResult[] = [];
  const signal = options.signal;
  for (const [index, def] of selected.entries()) {
    if (signal?.aborted) {
      results.push(skipped(def, `not started: ${interruptReason(signal)}`));
      continue;
    }
    options.onProgress?.({ pipeline: def.name, index: index + 1, total: selected.length });
    const upstreamBlock = (upstream.get(def.name) ?? []).map((u) => blocked.get(u)).find((why) => why !== undefined);
    if (upstreamBlock !== undefined) {
      blocked.set(def.name, upstreamBlock);
      results.push(skipped(def, upstreamBlock));
      continue;
    }
    const windows = windowsOf(def);
    for (const window of windows ?? [undefined]) {
      const r = await runPipeline(ctx, def, { ...(window === undefined ? {} : { window }), fullRefresh: options.fullRefresh ?? false, ...(signal === undefined ? {} : { signal }) });
      results.push(r);
      if (r.status === 'FAILED') {
        blocked.set(def.name, `upstream pipeline ${def.name} failed`);
        break;
      }
      if (r.status === 'SKIPPED') {
        blocked.set(def.name, `upstream pipeline ${def.name} is running in another process, which runs this one after it`);
        break;
      }
    }
  }
  // A run skipped because another daily-run holds its lock is not a failure; one skipped because its upstream failed follows a FAILED.
  const interrupted = signal?.aborted ? interruptReason(signal) : undefined;
  return { ok: !results.some((r) => r.status === 'FAILED') && interrupted === undefined, results, planned: [], notes, ...(interrupted === undefined ? {} : { interrupted }) };
}
