/**
 * The pipeline API for code: each call opens a session (or uses the one given), does its work and
 * closes what it opened. Failed runs are results, not exceptions.
 *
 * @example
 * ```ts
 * import { runPipeline } from 'tidemark';
 * const result = await runPipeline('orders_silver', { warehouse: './warehouse' });
 * if (result.status !== 'SUCCESS') console.error(result.error);
 * ```
 */
import { InvalidArgumentError } from './errors.ts';
import { type DailyRunOptions, type DailyRunResult, dailyRun as dailyRunIn } from './pipeline/daily-run.ts';
import type { PipelineDefinition } from './pipeline/definition.ts';
import { type RunOptions, type RunResult, runPipeline as runPipelineIn } from './pipeline/run-pipeline.ts';
import { type PipelineStatus, pipelineStatus as pipelineStatusIn } from './pipeline/status.ts';
import { type SessionOptions, TidemarkSession } from './session.ts';

/** Session options, or an open session to use. */
export type WithSession<T> = T & SessionOptions & { readonly session?: TidemarkSession };

async function withSession<T>(options: WithSession<object>, fn: (s: TidemarkSession) => Promise<T>, catalogMode?: 'required'): Promise<T> {
  if (options.session !== undefined) return fn(options.session);
  const session = await TidemarkSession.open(catalogMode === undefined || options.catalogMode !== undefined ? options : { ...options, catalogMode });
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/**
 * Runs one pipeline, by catalog name or given as a definition: extract its window, transform,
 * check, write the target as one commit, and log the run in the metastore. A failed run is a
 * result (`status: 'FAILED'`, with `error`), not an exception.
 *
 * @param options - The run's options, plus session options or an open `session`; default: a
 *   session from the environment, opened and closed by this call.
 * @throws {@link InvalidArgumentError} when no pipeline of the catalog has that name, or a `window` is given to a stream (Kafka, NATS) pipeline.
 * @throws Without `session`, the errors of `TidemarkSession.open`: {@link InvalidArgumentError} (bad configuration, a catalog module
 *   that fails to load), {@link NotFoundError} (with `readOnly`: no metastore, or one not initialised),
 *   {@link MetastoreInUseError} (the embedded metastore is open in another process),
 *   {@link MetastoreError}, {@link StorageError}.
 * @throws {@link MetastoreError} when the run log cannot be read or written.
 */
export async function runPipeline(nameOrDefinition: string | PipelineDefinition, options: WithSession<RunOptions> = {}): Promise<RunResult> {
  return withSession(options, async (s) => {
    const def = typeof nameOrDefinition === 'string' ? s.context.pipelines.get(nameOrDefinition) : nameOrDefinition;
    if (def === undefined) {
      const known = [...s.context.pipelines.keys()].sort().join(', ') || 'none';
      throw new InvalidArgumentError(`no pipeline named "${String(nameOrDefinition)}" in the catalog ${s.config.catalog} (known: ${known})`, { value: nameOrDefinition });
    }
    return runPipelineIn(s.context, def, options);
  });
}

/**
 * Runs every due pipeline in dependency order; a catalog folder that does not exist is an error
 * (unless `definitions` are given). Failed runs are results, not exceptions.
 *
 * @param options - Which pipelines, backfill dates, dry run (see `DailyRunOptions`), plus session
 *   options or an open `session`; default: every due pipeline of the environment's catalog.
 * @throws {@link InvalidArgumentError} when the catalog folder does not exist, a named pipeline is
 *   unknown, pipelines depend on each other in a cycle, or a backfill's dates are malformed or incomplete.
 * @throws Without `session`, the errors of `TidemarkSession.open`: {@link InvalidArgumentError} (bad configuration, a catalog module
 *   that fails to load), {@link NotFoundError} (with `readOnly`: no metastore, or one not initialised),
 *   {@link MetastoreInUseError} (the embedded metastore is open in another process),
 *   {@link MetastoreError}, {@link StorageError}.
 * @throws {@link MetastoreError} when the run log cannot be read or written.
 */
export async function dailyRun(options: WithSession<DailyRunOptions> = {}): Promise<DailyRunResult> {
  return withSession(options, (s) => dailyRunIn(s.context, options), 'required');
}

/**
 * Per-pipeline summaries over the last `days` UTC days, from the metastore's run log.
 *
 * @param options - `days` (a count of days), `pipeline` to summarize only one (default: all), plus
 *   session options or an open `session`.
 * @throws Without `session`, the errors of `TidemarkSession.open`: {@link InvalidArgumentError} (bad configuration, a catalog module
 *   that fails to load), {@link NotFoundError} (with `readOnly`: no metastore, or one not initialised),
 *   {@link MetastoreInUseError} (the embedded metastore is open in another process),
 *   {@link MetastoreError}, {@link StorageError}.
 * @throws {@link MetastoreError} when the run log cannot be read.
 */
export async function pipelineStatus(options: WithSession<{ readonly days: number; readonly pipeline?: string }>): Promise<PipelineStatus[]> {
  return withSession(options, (s) => pipelineStatusIn(s.context, options));
}
