/**
 * Source checkpoints kept in the target's commits. A source that remembers what it has read (the
 * `files` source's ledger) hands the run entries for the commit's `extraMetadata`, and reads them
 * back from the target's latest commit of its pipeline that carries them. Being in the commit, the
 * checkpoint is published with the data it describes: a process that dies between the commit and
 * the log leaves the next run a checkpoint that matches the table, so nothing is lost or loaded
 * twice; a rolled-back or restored commit takes its checkpoint with it.
 */
import { TableNotFoundError } from '../errors.ts';
import { type PipelineContext, tableLocation } from './context.ts';
import type { PipelineDefinition } from './definition.ts';
import type { CheckpointLookup, CheckpointedSource, FoundCheckpoint } from './sources/checkpointed.ts';
import type { Source } from './sources/source.ts';
import { CHECKPOINT_KEY } from '../streams/stream-checkpoint.ts';

export type { CheckpointLookup, CheckpointedSource } from './sources/checkpointed.ts';

export function isCheckpointed(source: Source): source is Source & CheckpointedSource {
  return typeof (source as Partial<CheckpointedSource>).resume === 'function' && typeof (source as Partial<CheckpointedSource>).checkpoint === 'function';
}

/**
 * The lookup over the target of `def`: its latest completed write by this pipeline carrying `key`.
 * A stream's starting position that no commit carries yet (a first run with `startingOffsets:
 * 'latest'` read nothing, so it committed nothing) comes from the last successful run's log, while
 * the target does not exist and no run of the pipeline ever committed (a dropped target reloads).
 */
export function checkpointLookup(ctx: PipelineContext, def: PipelineDefinition): CheckpointLookup {
  return async (key) => {
    const target = await tableLocation(ctx, def.target.table);
    let state;
    try {
      state = await ctx.engine.table(target.basePath);
    } catch (error) {
      if (!(error instanceof TableNotFoundError)) throw error;
    }
    if (state === undefined) return key === CHECKPOINT_KEY ? loggedStart(ctx, def) : undefined;
    const writes = state.timeline.completedWrites();
    for (let i = writes.length - 1; i >= 0; i--) {
      const extra = state.commits.get(writes[i]!.time)?.extraMetadata;
      const value = extra?.[key];
      if (value !== undefined && extra!['tidemark.pipeline'] === def.name) return { value, instant: writes[i]!.time, from: `the commit ${writes[i]!.time} of ${def.target.table}` };
    }
    return undefined;
  };
}

/** The stream position logged by the pipeline's runs, none of which committed; undefined otherwise. */
async function loggedStart(ctx: PipelineContext, def: PipelineDefinition): Promise<FoundCheckpoint | undefined> {
  const runs = await ctx.metastore.runs({ pipelineName: def.name, status: 'SUCCESS' });
  if (runs.some((r) => r.commitInstant !== null)) return undefined;
  const last = runs.filter((r) => r.kind !== 'backfill').at(-1);
  return last?.sourceCheckpoint == null ? undefined : { value: last.sourceCheckpoint, instant: undefined, from: `the log of run ${last.runId}` };
}
