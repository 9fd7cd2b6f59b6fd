/**
 * `daily-run`: every due pipeline, in dependency order (a pipeline reading table X runs after the
 * pipeline writing X). A failed pipeline does not stop the others, only the pipelines downstream of
 * it. Backfills replay explicit day windows in order.
 */
import { InvalidArgumentError, messageOf } from '../errors.ts';
import { findScanCalls } from '../engine/scan-rewrite.ts';
import type { PipelineContext } from './context.ts';
import type { PipelineDefinition } from './definition.ts';
import { interruptReason } from './interrupt.ts';
import { type RunResult, plannedWindow, runPipeline, skipped } from './run-pipeline.ts';
import { type Window, backfillWindows, isDue } from './window.ts';

/** Options of a daily run. */
export interface DailyRunOptions {
  /** Only these pipelines (run whether due or not). */
  readonly pipelines?: ReadonlyArray<string>;
  /** Run every pipeline, due or not. */
  readonly all?: boolean;
  /** Only report the windows that would be processed. */
  readonly dryRun?: boolean;
  /** Backfill: replay the day windows from `from` to `to` (dates, inclusive). */
  readonly from?: string;
  readonly to?: string;
  readonly fullRefresh?: boolean;
  /**
   * Stops the daily run: the running pipeline stops at its next safe point and is logged FAILED
   * (its window unchanged); the pipelines not started yet are reported SKIPPED. See `RunOptions.signal`.
   */
  readonly signal?: AbortSignal;
  /** Told as each pipeline starts (for progress displays). */
  readonly onProgress?: (event: { readonly pipeline: string; readonly index: number; readonly total: number }) => void;
}

/** A window a dry run would process, or why it cannot tell. */
export interface PlannedRun {
  readonly pipeline: string;
  readonly window: Window | undefined;
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

/** Runs the due (or named) pipelines in dependency order. */
export async function dailyRun(ctx: PipelineContext, options: DailyRunOptions = {}): Promise<DailyRunResult> {
  const all = [...ctx.pipelines.values()];
  for (const name of options.pipelines ?? []) {
    if (!ctx.pipelines.has(name)) throw new InvalidArgumentError(`no pipeline named "${name}" in the catalog (known: ${[...ctx.pipelines.keys()].sort().join(', ') || 'none'})`, { value: name });
  }
  if ((options.from === undefined) !== (options.to === undefined)) throw new InvalidArgumentError('a backfill needs both --from and --to');
  const windows = options.from !== undefined ? backfillWindows(options.from, options.to!) : undefined;
  const { order, upstream } = dependencyOrder(all);
  const now = ctx.clock.now().toJSDate();
  const selected: PipelineDefinition[] = [];
  for (const def of order) {
    if (options.pipelines !== undefined && options.pipelines.length > 0) {
      if (options.pipelines.includes(def.name)) selected.push(def);
    } else if (options.all || windows !== undefined || options.fullRefresh) {
      selected.push(def);
    } else {
      const last = await ctx.metastore.lastSuccess(def.name);
      if (isDue(def.schedule, last?.startedAt ?? null, now)) selected.push(def);
    }
  }
  if (options.dryRun) {
    const planned: PlannedRun[] = [];
    for (const def of selected) {
      if (windows !== undefined) {
        for (const w of windows) planned.push({ pipeline: def.name, window: w });
        continue;
      }
      try {
        planned.push({ pipeline: def.name, window: await plannedWindow(ctx, def, { fullRefresh: options.fullRefresh ?? false }) });
      } catch (error) {
        planned.push({ pipeline: def.name, window: undefined, error: messageOf(error) });
      }
    }
    return { ok: true, results: [], planned };
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
  return { ok: !results.some((r) => r.status === 'FAILED') && interrupted === undefined, results, planned: [], ...(interrupted === undefined ? {} : { interrupted }) };
}
