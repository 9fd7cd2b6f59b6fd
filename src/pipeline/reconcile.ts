/**
 * Runs a dead process left RUNNING. Every run's commit carries its run id in `extraMetadata`, and
 * runs of one pipeline hold its lock, so under the lock any RUNNING row is stale: if the target's
 * timeline has a commit with its run id, the run did commit (it died before logging SUCCESS) and
 * becomes SUCCESS with that commit's counts; otherwise it never committed and becomes FAILED, so
 * its window is processed again. Either way no window is lost or applied twice.
 */
import { CHECKPOINT_KEY } from '../streams/stream-checkpoint.ts';
import { TableNotFoundError } from '../errors.ts';
import { KEYS_IN_TWO_PARTITIONS } from '../engine/write/partition-duplicates.ts';
import type { CommitMetadata } from '../timeline/commit-metadata.ts';
import { type PipelineContext, registerTableState, tableLocation } from './context.ts';
import { type PipelineDefinition, splitTableName } from './definition.ts';

/** Closes the stale RUNNING runs of a pipeline from what its target's timeline says. */
export async function reconcileRuns(ctx: PipelineContext, def: PipelineDefinition): Promise<void> {
  const running = await ctx.metastore.runs({ pipelineName: def.name, status: 'RUNNING' });
  if (running.length === 0) return;
  const target = await tableLocation(ctx, def.target.table);
  const byRun = new Map<string, { instant: string; metadata: CommitMetadata; schema: string | null }>();
  let state;
  try {
    state = await ctx.engine.table(target.basePath);
    for (const [instant, metadata] of state.commits) {
      const id = metadata.extraMetadata['tidemark.run_id'];
      if (id !== undefined) byRun.set(id, { instant, metadata, schema: metadata.extraMetadata.schema ?? null });
    }
  } catch (error) {
    if (!(error instanceof TableNotFoundError)) throw error;
  }
  const now = ctx.clock.now().toJSDate();
  for (const run of running) {
    const commit = byRun.get(run.runId);
    const log = ctx.logger.child({ pipeline: def.name, runId: run.runId });
    if (commit === undefined) {
      await ctx.metastore.finishRun(run.runId, {
        status: 'FAILED',
        recordsProcessed: 0,
        recordsRead: 0,
        recordsInserted: 0,
        recordsUpdated: 0,
        recordsDeleted: 0,
        recordsSkippedOlder: 0,
        recordsRejected: 0,
        keysInTwoPartitions: 0,
        commitInstant: null,
        endedAt: now,
        processingTimeSeconds: null,
        errorMessage: 'the process running this pipeline ended before it committed; reconciled at the next start, the window is processed again',
      });
      log.warn('reconciled a dead run that never committed: FAILED');
      continue;
    }
    const totals = { inserted: 0, updated: 0, deleted: 0, written: 0 };
    for (const stats of Object.values(commit.metadata.partitionToWriteStats)) {
      for (const s of stats) {
        totals.inserted += s.numInserts;
        totals.updated += s.numUpdateWrites;
        totals.deleted += s.numDeletes;
      }
    }
    await ctx.metastore.finishRun(run.runId, {
      status: 'SUCCESS',
      recordsProcessed: totals.inserted + totals.updated + totals.deleted,
      recordsRead: 0,
      recordsInserted: totals.inserted,
      recordsUpdated: totals.updated,
      recordsDeleted: totals.deleted,
      recordsSkippedOlder: 0,
      recordsRejected: 0,
      keysInTwoPartitions: Number(commit.metadata.extraMetadata[KEYS_IN_TWO_PARTITIONS] ?? 0),
      commitInstant: commit.instant,
      endedAt: now,
      processingTimeSeconds: null,
      errorMessage: null,
      ...(commit.metadata.extraMetadata[CHECKPOINT_KEY] === undefined ? {} : { sourceCheckpoint: commit.metadata.extraMetadata[CHECKPOINT_KEY] }),
    });
    const { database, name } = splitTableName(def.target.table);
    if (!target.registered && state !== undefined) {
      await registerTableState(ctx, def.target.table, state);
    }
    await ctx.metastore.updateTableState(database, name, commit.instant, commit.schema);
    log.warn({ instant: commit.instant }, 'reconciled a dead run that had committed: SUCCESS');
  }
}
