/**
 * What each instant of a table's timeline did, as `Tidemark#commits` lists it: the record counts and
 * files of a completed write, from its commit metadata (zeros for other instants).
 */
import type { Instant } from '../../timeline/instant.ts';
import type { TableState } from './table-state.ts';

/** One line of `commits`: an instant and what it did. */
export interface CommitInfo extends Instant {
  readonly operation: string | undefined;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly rowsWritten: number;
  readonly filesWritten: number;
  readonly replacedFileGroups: number;
}

/** The timeline of a loaded table, each instant with what it did. */
export function commitInfos(state: TableState): CommitInfo[] {
  return state.timeline.instants.map((instant) => {
    const m = state.commits.get(instant.time);
    const info = { inserted: 0, updated: 0, deleted: 0, rowsWritten: 0, filesWritten: 0 };
    for (const stats of Object.values(m?.partitionToWriteStats ?? {})) {
      for (const s of stats) {
        info.inserted += s.numInserts;
        info.updated += s.numUpdateWrites;
        info.deleted += s.numDeletes;
        info.rowsWritten += s.numWrites;
        if (s.path !== null) info.filesWritten += 1;
      }
    }
    const replacedFileGroups = Object.values(m?.partitionToReplaceFileIds ?? {}).reduce((n, ids) => n + ids.length, 0);
    return { ...instant, operation: m?.operationType, ...info, replacedFileGroups };
  });
}
