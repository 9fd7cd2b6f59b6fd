/**
 * What a write does after its commit landed, still under the writer lock: the post-commit hooks
 * (delta-rs's commit builder is the model: prepare → commit → post-commit hooks). In order: the
 * automatic clean when the table asks for it (`hoodie.clean.automatic`), then archiving of the
 * oldest instants once the active timeline exceeds `hoodie.keep.max.commits` (Hudi's defaults).
 * Best-effort: the commit has landed, so a failure is a warning (a clean or archive cut short is
 * finished or redone by the next writer).
 */
import type { EngineContext, Warnings } from '../context.ts';
import { type TableState, loadTable } from '../load/table-state.ts';
import { archiveTimeline } from '../services/archive.ts';
import { cleanTable } from '../services/clean.ts';

/** A step run after a write's commit is published. */
export interface PostCommitHook {
  /** What failed, in a warning: `the automatic clean`. */
  readonly what: string;
  /** Whether it may have work once the table `before` the commit gains one completed write (known without reloading). */
  mayApply(before: TableState): boolean;
  /** Whether it has work on the table as it is after the commit. */
  applies(state: TableState): boolean;
  /** Does it; true when it changed the timeline (the table is then reloaded for the next hook). */
  run(ctx: EngineContext, state: TableState): Promise<boolean>;
}

/** Hudi's automatic clean (KEEP_LATEST_COMMITS), when the table's config turns it on. */
export const AUTO_CLEAN: PostCommitHook = {
  what: 'the automatic clean',
  mayApply: (before) => before.config.cleanAutomatic,
  applies: (state) => state.config.cleanAutomatic,
  run: async (ctx, state) => (await cleanTable(ctx, state)).cleanInstant !== undefined,
};

/** Archiving, once the active timeline holds more than `hoodie.keep.max.commits` completed writes. */
export const ARCHIVE: PostCommitHook = {
  what: 'archiving',
  mayApply: (before) => before.activeTimeline.completedWrites().length + 1 > before.config.keepMaxCommits,
  applies: (state) => state.activeTimeline.completedWrites().length > state.config.keepMaxCommits,
  run: async (ctx, state) => {
    await archiveTimeline(ctx, state, { minCommits: state.config.keepMinCommits, maxCommits: state.config.keepMaxCommits });
    return true;
  },
};

/** A write's hooks, in the order they run. */
export const POST_COMMIT_HOOKS: ReadonlyArray<PostCommitHook> = [AUTO_CLEAN, ARCHIVE];

/**
 * Runs the hooks after commit `instant` of the table at `basePath` (`before`: the table before the
 * write, undefined for a new table). Each failure is a warning; none fails the write.
 */
export async function runPostCommitHooks(
  ctx: EngineContext,
  basePath: string,
  before: TableState | undefined,
  instant: string,
  warnings: Warnings,
  hooks: ReadonlyArray<PostCommitHook> = POST_COMMIT_HOOKS,
): Promise<void> {
  // Known without reloading the table: nothing to do (the commit added one completed write).
  if (before !== undefined && !hooks.some((h) => h.mayApply(before))) return;
  const landed = `commit ${instant} of ${basePath} is published, but`;
  await warnings.attempt(`${landed} ${hooks.map((h) => h.what).join(' or ')} failed`, async () => {
    let state = await loadTable(ctx.store, basePath);
    for (const [i, hook] of hooks.entries()) {
      if (!hook.applies(state)) continue;
      let changed = false;
      await warnings.attempt(`${landed} ${hook.what} failed`, async () => {
        changed = await hook.run(ctx, state);
      });
      if (changed && i < hooks.length - 1) state = await loadTable(ctx.store, basePath);
    }
  });
}
