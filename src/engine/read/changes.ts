/**
 * The change feed of a copy-on-write table: one row per change in the commits of (since, until], as
 * Delta's change data feed and DuckLake's `table_changes` give it: the record's columns, `_change_type`
 * (`insert`, `update_preimage`, `update_postimage`, `delete`), `_commit_time` (the change's commit) and
 * `_change_order` (1, 2, … in commit order). No extra files: each commit's changes are computed from
 * the file groups it wrote or replaced, as they were just before it and just after it.
 *
 * Within a commit a record is its key and partition path: a row the commit wrote that its file group
 * held before is an update, one it did not an insert; a row the group held before that is gone after
 * is a delete. A key deleted from one partition and inserted into another by the same commit (a
 * record moved by the global index, or by an overwrite) is an update. Rolled-back commits are not on
 * the timeline, so they have no changes; a window whose start was rolled back or restored away, or
 * whose starting snapshot the cleaner removed, fails: a full reload is what the consumer needs.
 */
import { InvalidArgumentError, InvalidInstantError } from '../../errors.ts';
import { sqlString } from '../../storage/duckdb/sql.ts';
import { normalizeInstant } from '../../time/normalize-instant.ts';
import type { FileSlice } from '../../table/file-slice.ts';
import type { EngineContext } from '../context.ts';
import { type TableState, visibleSlices } from '../load/table-state.ts';
import { earliestReadableInstant } from '../services/clean.ts';
import { relationSql } from './read.ts';

/** The window of a change feed. */
export interface ChangesOptions {
  /** Changes committed after this instant (exclusive): the last commit the consumer applied. Default: from the table's start. */
  readonly since?: string;
  /** … up to this instant (inclusive); default: the latest commit. */
  readonly until?: string;
}

/** The change types, in the order a commit's changes of one record are given. */
export const CHANGE_TYPES = ['update_preimage', 'update_postimage', 'delete', 'insert'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** The SELECT of the change feed of `state` over `options`' window (nothing is read yet). */
export async function changesSql(ctx: EngineContext, state: TableState, options: ChangesOptions): Promise<string> {
  if (!state.config.populateMetaFields) {
    throw new InvalidArgumentError(`table ${state.config.name} at ${state.basePath} has no meta fields, so it has no change feed`, { table: state.basePath });
  }
  const since = options.since === undefined ? '00000000000000000' : normalizeInstant(options.since, 'since instant');
  const until = options.until === undefined ? state.timeline.latestCompletedWrite()?.time : normalizeInstant(options.until, 'until instant');
  const writes = until === undefined ? [] : state.timeline.writesBetween(since, until);
  const all = state.timeline.completedWrites();
  const previousOf = (time: string): string | undefined => all[all.findIndex((i) => i.time === time) - 1]?.time;
  assertStartNotUndone(state, since, options.since);
  if (writes.length > 0) await assertNotCleaned(ctx, state, previousOf(writes[0]!.time) ?? writes[0]!.time, options.since);
  const parts: string[] = [];
  for (const commit of writes) {
    const previous = previousOf(commit.time);
    const sql = commitChangesSql(state, commit.time, previous);
    if (sql !== undefined) parts.push(sql);
  }
  if (parts.length === 0) return `SELECT *, NULL::VARCHAR AS _change_type, NULL::VARCHAR AS _commit_time, NULL::BIGINT AS _change_order FROM ${relationSql(state, [])} WHERE false`;
  const rank = `CASE _change_type ${CHANGE_TYPES.map((t, i) => `WHEN '${t}' THEN ${i}`).join(' ')} END`;
  return `SELECT *, row_number() OVER (ORDER BY _commit_time, _hoodie_record_key, ${rank}, _hoodie_partition_path) AS _change_order
    FROM (${parts.join('\nUNION ALL BY NAME\n')}) ORDER BY _change_order`;
}

/** The changes of one commit; undefined when it touched no file group (an empty commit). */
function commitChangesSql(state: TableState, commit: string, previous: string | undefined): string | undefined {
  const metadata = state.commits.get(commit);
  const touched = new Set<string>();
  for (const [partition, stats] of Object.entries(metadata?.partitionToWriteStats ?? {})) {
    for (const s of stats) touched.add(groupKey(s.partitionPath ?? partition, s.fileId));
  }
  for (const [partition, ids] of Object.entries(metadata?.partitionToReplaceFileIds ?? {})) {
    for (const id of ids) touched.add(groupKey(partition, id));
  }
  if (touched.size === 0) return undefined;
  const of = (slices: ReadonlyArray<FileSlice>): FileSlice[] => slices.filter((s) => touched.has(groupKey(s.partitionPath, s.fileId)));
  const before = previous === undefined ? [] : of(visibleSlices(state, previous));
  const after = of(visibleSlices(state, commit));
  const c = sqlString(commit);
  const same = (x: string, y: string): string => `${x}._hoodie_record_key = ${y}._hoodie_record_key AND ${x}._hoodie_partition_path = ${y}._hoodie_partition_path`;
  return `(WITH b AS (SELECT * FROM ${relationSql(state, before, previous)}),
      a AS (SELECT * FROM ${relationSql(state, after, commit)}),
      w AS (SELECT * FROM a WHERE _hoodie_commit_time = ${c}),
      ins AS (SELECT w.* FROM w ANTI JOIN b ON ${same('w', 'b')}),
      del AS (SELECT b.* FROM b ANTI JOIN a ON ${same('b', 'a')}),
      moved AS (SELECT _hoodie_record_key FROM ins INTERSECT SELECT _hoodie_record_key FROM del)
    SELECT b.*, 'update_preimage' AS _change_type, ${c} AS _commit_time FROM b SEMI JOIN w ON ${same('b', 'w')}
    UNION ALL BY NAME SELECT w.*, 'update_postimage' AS _change_type, ${c} AS _commit_time FROM w SEMI JOIN b ON ${same('w', 'b')}
    UNION ALL BY NAME SELECT del.*, CASE WHEN _hoodie_record_key IN (SELECT * FROM moved) THEN 'update_preimage' ELSE 'delete' END AS _change_type, ${c} AS _commit_time FROM del
    UNION ALL BY NAME SELECT ins.*, CASE WHEN _hoodie_record_key IN (SELECT * FROM moved) THEN 'update_postimage' ELSE 'insert' END AS _change_type, ${c} AS _commit_time FROM ins)`;
}

const groupKey = (partitionPath: string, fileId: string): string => `${partitionPath}\u0000${fileId}`;

/**
 * Fails when the window starts at an instant that was rolled back or restored away: it is not a
 * completed write, and a rollback or restore completed after it (a consumer at that instant may
 * have applied commits that are gone).
 */
function assertStartNotUndone(state: TableState, since: string, given: string | undefined): void {
  if (given === undefined || since === '00000000000000000' || state.timeline.completedWrites().some((i) => i.time === since)) return;
  const undone = [...state.timeline.completed('rollback'), ...state.timeline.completed('restore')].find((i) => i.time > since);
  if (undone === undefined) return;
  throw new InvalidInstantError(
    `the change feed of table ${state.config.name} at ${state.basePath} since ${given} cannot be given: ${since} is not a commit of the table, and the ${undone.action} ${undone.time} undid commits after it, which a consumer at ${since} may have applied; a full reload is needed`,
    { table: state.basePath, value: given },
  );
}

/** Fails when the cleaner removed the snapshot the window starts from (`needed`: the commit before its first). */
async function assertNotCleaned(ctx: EngineContext, state: TableState, needed: string, given: string | undefined): Promise<void> {
  const earliest = await earliestReadableInstant(ctx, state);
  if (earliest === undefined || needed >= earliest || state.timeline.completed('savepoint').some((i) => i.time === needed)) return;
  throw new InvalidInstantError(
    `the change feed of table ${state.config.name} at ${state.basePath} ${given === undefined ? 'from its start' : `since ${given}`} needs the snapshot of commit ${needed}, which the cleaner removed (commits from ${earliest} on stay readable); a full reload is needed`,
    { table: state.basePath, value: given ?? needed },
  );
}
