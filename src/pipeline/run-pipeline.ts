/**
 * One run of one pipeline (the watermark contract is in the README):
 *
 *   lock the pipeline → reconcile runs a dead process left RUNNING → window (last SUCCESS end −
 *   lookback, end] → log RUNNING → extract → transform → checks → upsert (one commit, carrying the
 *   run id and window in its extraMetadata) → log SUCCESS / FAILED.
 *
 * A failed run is a value (`RunResult`), not an exception; the watermark moves only with SUCCESS.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, TableNotFoundError, messageOf } from '../errors.ts';
import { redact } from '../util/redact.ts';
import type { PipelineRun } from '../metastore/metastore.ts';
import { rewriteScans } from '../engine/read/scan-rewrite.ts';
import { sqlIdent } from '../storage/duckdb/sql.ts';
import { checkpointLookup, isCheckpointed } from './checkpoint.ts';
import { type CheckResult, checksFailedMessage, runChecks } from './checks.ts';
import { type PipelineContext, pathOfNameOrPath, registerTableState, tableLocation } from './context.ts';
import { sourceOf } from './sources/source-of.ts';
import type { Source } from './sources/source.ts';
import type { CheckpointedSource, SourcePosition } from './sources/checkpointed.ts';
import { type PipelineDefinition, splitTableName } from './definition.ts';
import { checkpoint, interruptReason } from './interrupt.ts';
import { uniqueScope } from './unique-scope.ts';
import { reconcileRuns } from './reconcile.ts';
import { createRunObjects } from './run-objects.ts';
import { historyBatch } from './scd2.ts';
import { type RunStep, failedIn, quoteUserSql, stepOf, withStep } from './run-steps.ts';
import { traceToSource } from './sources/trace.ts';
import { type Window, isStreamSource, nextWindow } from './window.ts';

/** How a run ended. `SKIPPED`: not run (its lock was held, or an upstream failed). */
export type RunResultStatus = 'SUCCESS' | 'FAILED' | 'SKIPPED';

/** What a run did. */
export interface RunResult {
  readonly pipeline: string;
  readonly runId: string | undefined;
  readonly status: RunResultStatus;
  readonly target: string;
  readonly window: Window | undefined;
  readonly recordsRead: number;
  readonly recordsProcessed: number;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly skippedAsOlder: number;
  readonly rejected: number;
  /** Record keys the write left in two partitions (a target without `index: 'global'`); see `CommitResult.keysInTwoPartitions`. */
  readonly keysInTwoPartitions: number;
  readonly instant: string | undefined;
  readonly durationSeconds: number;
  readonly checks: ReadonlyArray<CheckResult>;
  /** A FAILED run's error, starting with its step (`[transform] …`): the text `pipeline_log.error_message` holds. */
  readonly error: string | undefined;
  /** The step a FAILED run failed in (extract, transform, check, write or log). */
  readonly step?: RunStep;
  /** A stream source's position after the run: its checkpoint, the messages left for later and those skipped (absent for other sources). */
  readonly source?: SourcePosition;
  /** When the run started and ended by the session's clock, as logged (absent when it did not run). */
  readonly startedAt?: Date;
  readonly endedAt?: Date;
}

/** Options of one run. */
export interface RunOptions {
  /** An explicit window (backfill) instead of the one the watermark gives; logged `backfill`, it leaves the watermark where it was. Default: the watermark's window. */
  readonly window?: Window;
  /** Rebuilds the target from a full load (an `insert_overwrite_table` replacecommit). Default: false. */
  readonly fullRefresh?: boolean;
  /** Called after checks pass, before the table write starts (hooks for crash tests and callers); awaited. Default: none. */
  readonly beforeCommit?: () => Promise<void> | void;
  /** Called after the table commit, with its instant time, before the log records SUCCESS; awaited. Default: none. */
  readonly afterCommit?: (instant: string) => Promise<void> | void;
  /**
   * Stops the run at its next safe point (before extract, transform, checks or the write; never
   * inside the commit): it is logged FAILED, its window unchanged. Abort with the signal's name
   * (`controller.abort('SIGTERM')`) for the log to say `interrupted by SIGTERM`. Already aborted:
   * the run is not started (SKIPPED). Default: none (the run goes to its end).
   */
  readonly signal?: AbortSignal;
}

const EMPTY = { recordsRead: 0, recordsProcessed: 0, inserted: 0, updated: 0, deleted: 0, skippedAsOlder: 0, rejected: 0, keysInTwoPartitions: 0 };

/** The result of a run that did not happen. */
export function skipped(def: PipelineDefinition, reason: string): RunResult {
  return { pipeline: def.name, runId: undefined, status: 'SKIPPED', target: def.target.table, window: undefined, ...EMPTY, instant: undefined, durationSeconds: 0, checks: [], error: reason };
}

/** The window a run would process now (for `--dry-run` and for the run itself). */
export async function plannedWindow(ctx: PipelineContext, def: PipelineDefinition, options: RunOptions = {}): Promise<Window> {
  if (options.window !== undefined) return options.window;
  const now = ctx.clock.now().toJSDate();
  const end = await sourceOf(ctx, def, options.fullRefresh).windowEnd(now);
  if (options.fullRefresh) return { start: null, end };
  const last = await ctx.metastore.lastSuccess(def.name);
  const lookback = def.source.kind === 'table' ? undefined : def.lookback; // commit instants are exact
  const window = nextWindow(last?.currentRunTimestamp ?? null, lookback, end);
  return last !== undefined && window.end < last.currentRunTimestamp ? { start: window.start, end: last.currentRunTimestamp } : window;
}

/** Runs one pipeline under its lock. Never throws for a failed run; throws `InvalidArgumentError` for a window given to a stream pipeline. */
export async function runPipeline(ctx: PipelineContext, def: PipelineDefinition, options: RunOptions = {}): Promise<RunResult> {
  if (options.window !== undefined && isStreamSource(def)) {
    throw new InvalidArgumentError(`${def.name} reads a stream by offsets: it has no windows to backfill (fullRefresh rereads every retained message)`, { value: def.name });
  }
  if (options.signal?.aborted) return skipped(def, `not started: ${interruptReason(options.signal)}`);
  const locked = await ctx.metastore.withLock(`tidemark:pipeline:${def.name}`, async () => {
    await reconcileRuns(ctx, def);
    return runLocked(ctx, def, options);
  });
  return locked.acquired ? locked.value : skipped(def, `another run of ${def.name} holds its lock`);
}

async function runLocked(ctx: PipelineContext, def: PipelineDefinition, options: RunOptions): Promise<RunResult> {
  const started = ctx.clock.now().toJSDate();
  const t0 = performance.now();
  const runId = randomUUID();
  const log = ctx.logger.child({ pipeline: def.name, runId });
  let window: Window;
  let windowError: string | undefined;
  try {
    window = await plannedWindow(ctx, def, options);
  } catch (error) {
    // Still a run, and logged as one: its window is the one the watermark would give.
    windowError = `cannot determine the window: ${messageOf(error)}`;
    window = { start: (await ctx.metastore.lastSuccess(def.name))?.currentRunTimestamp ?? null, end: started };
  }
  const base: Omit<PipelineRun, 'status' | 'recordsProcessed' | 'recordsRead' | 'recordsInserted' | 'recordsUpdated' | 'recordsDeleted' | 'recordsSkippedOlder' | 'recordsRejected' | 'keysInTwoPartitions' | 'commitInstant' | 'endedAt' | 'processingTimeSeconds' | 'errorMessage'> = {
    runId,
    pipelineName: def.name,
    targetTable: def.target.table,
    lastRunTimestamp: window.start,
    currentRunTimestamp: window.end,
    startedAt: started,
    // An explicit window is a backfill: logged as such, so it never moves the watermark.
    ...(options.window === undefined ? {} : { kind: 'backfill' as const }),
  };
  // Logged and stored: a driver's message may quote a connection URL, so passwords are redacted.
  const failed = (step: RunStep, error: string): Executed => ({ ...EMPTY, instant: undefined, checks: [], step, error: redact(withStep(step, error)) });
  try {
    await ctx.metastore.startRun(base);
  } catch (error) {
    // Nothing ran: the log, which should say so, is what failed; the result says it instead.
    const unlogged = failed('log', `cannot record the run's start in pipeline_log, so it did not run: ${messageOf(error)}`);
    log.error({ error: unlogged.error }, 'run failed');
    return { pipeline: def.name, runId, status: 'FAILED', target: def.target.table, window, durationSeconds: (performance.now() - t0) / 1000, ...unlogged, startedAt: started };
  }
  log.info({ window: { start: window.start?.toISOString() ?? null, end: window.end.toISOString() } }, 'run started');
  // The window comes from the source (its end) and the watermark: a failure there is the extract's.
  let result = windowError !== undefined ? failed('extract', windowError) : await execute(ctx, def, options, runId, window).catch((error: unknown) => failed(stepOf(error) ?? 'extract', messageOf(error)));
  const durationSeconds = (performance.now() - t0) / 1000;
  let status: RunResultStatus = result.error === undefined ? 'SUCCESS' : 'FAILED';
  const ended = ctx.clock.now().toJSDate();
  try {
    await ctx.metastore.finishRun(runId, {
      status,
      recordsProcessed: result.recordsProcessed,
      recordsRead: result.recordsRead,
      recordsInserted: result.inserted,
      recordsUpdated: result.updated,
      recordsDeleted: result.deleted,
      recordsSkippedOlder: result.skippedAsOlder,
      recordsRejected: result.rejected,
      keysInTwoPartitions: result.keysInTwoPartitions,
      commitInstant: result.instant ?? null,
      endedAt: ended,
      processingTimeSeconds: durationSeconds,
      errorMessage: result.error ?? null,
      ...(result.source === undefined ? {} : { sourceCheckpoint: result.source.checkpoint, sourceLag: result.source.lag, sourceSkipped: result.source.skipped }),
    });
  } catch (error) {
    // The row stays RUNNING; the next run of the pipeline settles it from the target's timeline
    // (SUCCESS if this run committed). What the run did stays in the result, with the log's error.
    const outcome = result.error ?? `${status}${result.instant === undefined ? '' : `, commit ${result.instant}`}`;
    result = { ...result, step: 'log', error: redact(withStep('log', `cannot record the run's outcome (${outcome}) in pipeline_log; the next run of ${def.name} settles it: ${messageOf(error)}`)) };
    status = 'FAILED';
  }
  if (result.source?.warning !== undefined) log.warn({ skipped: result.source.skipped }, result.source.warning);
  if (status === 'SUCCESS') log.info({ records: result.recordsProcessed, instant: result.instant ?? null, seconds: +durationSeconds.toFixed(3) }, 'run succeeded');
  else log.error({ error: result.error }, 'run failed');
  return { pipeline: def.name, runId, status, target: def.target.table, window, durationSeconds, ...result, startedAt: started, endedAt: ended };
}

type Executed = Omit<RunResult, 'pipeline' | 'runId' | 'status' | 'target' | 'window' | 'durationSeconds'>;

async function execute(ctx: PipelineContext, def: PipelineDefinition, options: RunOptions, runId: string, window: Window): Promise<Executed> {
  const source = sourceOf(ctx, def, options.fullRefresh);
  // A source that remembers what it read (the files ledger, a stream's offsets) keeps that in the commit's extraMetadata.
  const checkpointed = isCheckpointed(source) ? source : undefined;
  checkpointed?.resume(checkpointLookup(ctx, def));
  const executed = await executeFrom(ctx, def, options, runId, window, source, checkpointed);
  const position = executed.error === undefined ? checkpointed?.position?.() : undefined;
  return position === undefined ? executed : { ...executed, source: position };
}

async function executeFrom(
  ctx: PipelineContext,
  def: PipelineDefinition,
  options: RunOptions,
  runId: string,
  window: Window,
  source: Source,
  checkpointed: (Source & CheckpointedSource) | undefined,
): Promise<Executed> {
  const duck = ctx.engine.duck;
  let step: RunStep = 'extract';
  let extracted = false;
  // The run's DuckDB objects, in a schema of its own: other runs in this process use the same instance.
  const own = await createRunObjects(duck);
  const out = own.out;
  try {
    checkpoint(options.signal, 'the extract');
    const read = await source.extract(window, own.staged);
    if (read === undefined) return { ...EMPTY, instant: undefined, checks: [], error: undefined };
    extracted = true;
    await own.exposeSource();
    step = 'transform';
    checkpoint(options.signal, 'the transform');
    const transform = def.transform ?? 'SELECT * FROM source';
    const sql = await rewriteScans(transform, async (call) => ctx.engine.readSql(await pathOfNameOrPath(ctx, call.path), call.options));
    try {
      await own.runTransform(`CREATE TABLE ${own.outName} AS ${sql}`); // `source` is the run's own
    } catch (error) {
      throw new InvalidArgumentError(`transform of pipeline ${def.name} failed: ${quoteUserSql(messageOf(error), `CREATE TABLE ${own.outName} AS `)}`, { value: def.name, cause: error });
    }
    const { recordKey, precombine } = def.target;
    const order = precombine === undefined ? '' : ` ORDER BY ${sqlIdent(precombine)} DESC`;
    try {
      await duck.run(`CREATE TABLE ${own.batch} AS SELECT * FROM ${out} QUALIFY row_number() OVER (PARTITION BY ${recordKey.map(sqlIdent).join(', ')}${order}) = 1`);
    } catch (error) {
      const wanted = [...recordKey, ...(precombine === undefined ? [] : [precombine])].join(', ');
      throw new InvalidArgumentError(`the transform output of pipeline ${def.name} cannot be keyed for table ${def.target.table} (record key and precombine: ${wanted}): ${messageOf(error)}`, { value: def.name, cause: error });
    }
    const [{ n }] = (await duck.rows(`SELECT count(*) AS n FROM ${out}`)) as [{ n: bigint }];
    const processed = Number(n);
    step = 'check';
    checkpoint(options.signal, 'the checks');
    // `unique` looks at the target as the write would leave it (keys left in two partitions too).
    const scope = await uniqueScope(ctx.engine, def, (await tableLocation(ctx, def.target.table)).basePath, own.batch, own.unique);
    const checks = await runChecks(duck, own.batch, def.checks ?? [], def.name, recordKey, scope);
    const failed = checks.filter((c) => c.failing > 0);
    if (failed.length > 0) {
      const error = redact(withStep('check', checksFailedMessage(failed)));
      return { ...EMPTY, recordsRead: read, recordsProcessed: processed, rejected: failed.reduce((a, c) => a + c.failing, 0), instant: undefined, checks, step: 'check', error };
    }
    // Messages consumed but nothing to write: the checkpoint is committed alone, into an existing table.
    const mustPublish = checkpointed?.mustPublish?.() === true;
    const target = await tableLocation(ctx, def.target.table);
    const publishAlone = mustPublish && (await tableExists(ctx, target.basePath));
    if (processed === 0 && !options.fullRefresh && !publishAlone) return { ...EMPTY, recordsRead: read, instant: undefined, checks, error: undefined };
    step = 'write';
    await options.beforeCommit?.();
    checkpoint(options.signal, 'the write');
    const { database, name } = splitTableName(def.target.table);
    // A history target (scd2.ts) writes the closes and opens it computes from the transform output.
    const history = def.target.mode === 'scd2' ? await historyBatch(ctx.engine, def, target.basePath, { schema: own.schema, table: own.outName }, window) : undefined;
    if (history?.rows === 0 && !target.registered && !publishAlone) return { ...EMPTY, recordsRead: read, recordsProcessed: processed, skippedAsOlder: history.skippedAsOlder, instant: undefined, checks, error: undefined };
    const commit = await ctx.engine.write(target.basePath, { query: `SELECT * FROM ${out}`, label: `the transform output of pipeline ${def.name}` }, {
      operation: options.fullRefresh && history === undefined ? 'insert_overwrite_table' : 'upsert',
      dropUnchanged: true,
      commitEmpty: publishAlone,
      globalIndex: def.target.index === 'global' && history === undefined,
      create: {
        name,
        database,
        recordKeyFields: history?.recordKey ?? def.target.recordKey,
        precombineField: history === undefined ? def.target.precombine : undefined,
        partitionFields: def.target.partitionBy ?? [],
        hiveStylePartitioning: def.target.hiveStyle ?? false,
      },
      extraMetadata: {
        'tidemark.pipeline': def.name,
        'tidemark.run_id': runId,
        'tidemark.window_start': window.start?.toISOString() ?? '',
        'tidemark.window_end': window.end.toISOString(),
        ...checkpointed?.checkpoint(),
      },
    });
    const state = await ctx.engine.table(target.basePath);
    if (!target.registered) {
      await registerTableState(ctx, def.target.table, state);
    }
    if (commit.instant !== undefined) {
      await options.afterCommit?.(commit.instant);
      await ctx.metastore.updateTableState(database, name, commit.instant, state.commits.get(commit.instant)?.extraMetadata.schema ?? null);
    }
    return {
      recordsRead: read,
      recordsProcessed: processed,
      inserted: (history ?? commit).inserted,
      updated: (history ?? commit).updated,
      deleted: (history ?? commit).deleted,
      skippedAsOlder: (history ?? commit).skippedAsOlder,
      rejected: 0,
      keysInTwoPartitions: commit.keysInTwoPartitions,
      instant: commit.instant,
      checks,
      error: undefined,
    };
  } catch (error) {
    // Said here, while the staged source still exists: the step, and for a conversion or key error
    // in the transform or the write, the source row behind it.
    throw failedIn(step, error, extracted && (step === 'transform' || step === 'write') ? await traceToSource(duck, source, own.staged, error) : messageOf(error));
  } finally {
    await own.drop();
  }
}

/** Whether a table exists at `basePath`. */
async function tableExists(ctx: PipelineContext, basePath: string): Promise<boolean> {
  try {
    await ctx.engine.table(basePath);
    return true;
  } catch (error) {
    if (error instanceof TableNotFoundError) return false;
    throw error;
  }
}
