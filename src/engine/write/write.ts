/**
 * A write into a copy-on-write table: upsert, insert, bulk_insert or delete of one batch, as one
 * instant on the timeline. Everything that can fail because of the input (missing columns, null
 * keys, type conflicts) fails before the timeline changes.
 *
 * Under the writer lock: recover what dead writers left, then prepare (stage, conform and plan the
 * batch), commit (`PendingCommit`: requested → inflight with the plan → markers and files →
 * completed), then the post-commit hooks (`post-commit.ts`: automatic clean, archiving).
 */
import { InvalidArgumentError, InvalidInputError, SchemaConflictError, TableNotFoundError } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { nextInstantTime } from '../../time/clock.ts';
import { avroSchemaJson, duckdbTypeSql } from '../../table/schema.ts';
import { sqlIdent } from '../../storage/duckdb/sql.ts';
import { type TableConfig, newTableConfig, writableCodec } from '../../table/table-config.ts';
import type { OperationType } from '../../timeline/commit-metadata.ts';
import { PendingCommit } from '../commit/pending-instant.ts';
import { withTableLock } from '../commit/table-lock.ts';
import { recoverDeadWriters } from '../commit/recovery.ts';
import { runPostCommitHooks } from './post-commit.ts';
import { writeFiles } from './commit-files.ts';
import { conformBatch } from './conform.ts';
import { incomingSchema, resolveSchema } from './resolve-schema.ts';
import { type StagedInput, type WriteInput, describeInput, stageInput } from './input.ts';
import { type WrittenFile } from './base-file-writer.ts';
import { commitMetadata, planMetadata } from './write-metadata.ts';
import { createTable } from './create-table.ts';
import { type TableState, loadTable, tableSchema, visibleSlices } from '../load/table-state.ts';
import { explainMissingBaseFile } from '../load/missing-files.ts';
import { WRITE_OPERATIONS, type WriteOperation, planWrite } from './write-plan.ts';
import { undoingNewTable } from '../commit/first-write.ts';
import { assertPartitionPaths } from '../table-paths.ts';
import { type EngineContext, Warnings } from '../context.ts';
import { propertiesPath } from '../layout.ts';
import { assertWritable } from './writable.ts';
import { applyGlobalIndex } from './global-index.ts';
import { KEYS_IN_TWO_PARTITIONS, countKeysInTwoPartitions } from './partition-duplicates.ts';
import { type Scratch, scratchObjects } from './scratch.ts';
import type { CommitResult, WriteOptions, WriteProgress } from './write-options.ts';

export type { CommitResult, WriteOptions, WriteProgress } from './write-options.ts';

const OPERATION_TYPES: Record<WriteOperation, OperationType> = {
  upsert: 'UPSERT',
  insert: 'INSERT',
  bulk_insert: 'BULK_INSERT',
  delete: 'DELETE',
  insert_overwrite_table: 'INSERT_OVERWRITE_TABLE',
};

let writeCounter = 0;

/** Writes one batch into the table at `basePath`. */
export async function writeTable(ctx: EngineContext, basePath: string, input: WriteInput, options: WriteOptions): Promise<CommitResult> {
  if (!(WRITE_OPERATIONS as readonly string[]).includes(options.operation)) {
    throw new InvalidArgumentError(`unknown write operation "${options.operation}"; use one of ${WRITE_OPERATIONS.join(', ')}`, {
      table: basePath,
      value: options.operation,
    });
  }
  const scratch = scratchObjects(ctx.duck, `tm_w${++writeCounter}_`);
  const existed = await ctx.store.exists(basePath);
  const warnings = new Warnings(ctx.onWarning);
  // Set once the write is done (its commit published, or nothing to commit): from then on nothing fails it.
  const done: { result?: CommitResult } = {};
  try {
    await withTableLock(
      ctx.store,
      basePath,
      async () => {
        const { result, before } = await undoingNewTable(ctx.store, basePath, () => writeStaged(ctx, basePath, input, options, scratch, warnings));
        done.result = result;
        if (result.instant !== undefined) await runPostCommitHooks(ctx, basePath, before, result.instant, warnings);
      },
      ctx.lockTimeoutMs,
    );
  } catch (error) {
    if (done.result === undefined) {
      // A first write that failed leaves no table behind, not even the lock's directory.
      if (!existed && !(await ctx.store.exists(propertiesPath(basePath)))) await ctx.store.remove(basePath);
      throw error;
    }
    // Only the lock's release runs after the result is set.
    warnings.add(`the ${options.operation} of ${basePath} succeeded, but releasing its writer lock failed`, error);
  } finally {
    if (done.result === undefined) await scratch.release();
    else await warnings.attempt(`the ${options.operation} of ${basePath} succeeded, but dropping its DuckDB scratch tables failed`, () => scratch.release());
  }
  const result = done.result!;
  return warnings.messages.length === 0 ? result : { ...result, warnings: [...warnings.messages] };
}

/** The write's result, and the table as it was before (after recovery); undefined for a new table. */
async function writeStaged(
  ctx: EngineContext,
  basePath: string,
  input: WriteInput,
  options: WriteOptions,
  scratch: Scratch,
  warnings: Warnings,
): Promise<{ result: CommitResult; before: TableState | undefined }> {
  const { store } = ctx;
  let state: TableState | undefined;
  try {
    state = await loadTable(store, basePath);
  } catch (error) {
    if (!(error instanceof TableNotFoundError) || options.create === undefined) throw error;
  }
  // Under the writer lock a pending instant is a dead writer's: roll it back, as Hudi's eager policy does.
  if (state !== undefined) state = await recoverDeadWriters(ctx, state);
  const label = state?.config.name ?? options.create?.name ?? basePath;
  const table = `${label} (${basePath})`;
  if (state !== undefined) assertWritable(state, table);
  const ctxInfo = { table, input: describeInput(input), ...('file' in input ? { file: input.file } : {}) };
  try {
    return { result: await stageAndCommit(ctx, basePath, state, input, options, scratch, table, ctxInfo, warnings), before: state };
  } catch (error) {
    // A failure of the stored files (not of the batch) may be a base file gone missing: name it.
    if (state === undefined || error instanceof InvalidInputError || error instanceof SchemaConflictError || error instanceof InvalidArgumentError) throw error;
    throw await explainMissingBaseFile(store, state, visibleSlices(state).map((s) => s.baseFile), `the ${options.operation}`, error);
  }
}

async function stageAndCommit(
  ctx: EngineContext,
  basePath: string,
  state: TableState | undefined,
  input: WriteInput,
  options: WriteOptions,
  scratch: Scratch,
  table: string,
  ctxInfo: { table: string; input: string; file?: string },
  warnings: Warnings,
): Promise<CommitResult> {
  const { duck, store } = ctx;
  const prefix = scratch.prefix;
  // A batch with no rows commits nothing (an insert_overwrite_table of it empties the table); it
  // cannot create a table, which takes its columns and types from its first batch.
  const fromInput = await stageInput(duck, store, input, `${prefix}raw`, table);
  const staged = fromInput ?? (state === undefined ? undefined : await stageEmpty(duck, state, `${prefix}raw`));
  if (staged === undefined || (state === undefined && (await duck.column(`SELECT count(*) FROM (SELECT 1 FROM ${staged.relation} LIMIT 1)`))[0] === 0n)) {
    throw new InvalidInputError(
      `${ctxInfo.input} has no rows, so it cannot create table ${table}, which takes its columns and types from its first batch: write a batch with rows, or create the table first (tidemark table create)`,
      { table, ...('file' in input ? { file: input.file } : {}) },
    );
  }
  const incoming = await incomingSchema(duck, staged, ctxInfo);
  // A new table is created only once the batch has proven writable, so bad input leaves nothing behind.
  const config: TableConfig = state?.config ?? newTableConfig(options.create!);
  const keysOnly = options.operation === 'delete';
  const resolved = resolveSchema(config, state === undefined ? undefined : tableSchema(state), incoming.schema, keysOnly, ctxInfo);
  const profile = await conformBatch(duck, {
    config,
    schema: resolved.schema,
    incoming: incoming.duckTypes,
    staged,
    target: `${prefix}batch`,
    hasDeleteMarker: incoming.hasDeleteMarker,
    forceDelete: keysOnly,
    requireOrdering: !keysOnly,
    ctx: ctxInfo,
  });
  const global = options.globalIndex === true && options.operation === 'upsert' && state !== undefined ? await applyGlobalIndex(duck, state, profile, prefix) : undefined;
  const batch = global?.profile ?? profile;
  const progress = (stage: WriteProgress['stage'], files: number): void => {
    try {
      options.onProgress?.({ stage, rows: profile.rows, files });
    } catch (error) {
      warnings.add(`the progress callback of the ${options.operation} of ${table} failed`, error);
    }
  };
  progress('planning', 0);
  // Before anything is created: every new partition must be a directory inside the table.
  assertPartitionPaths(basePath, config, batch.partitions.map((p) => p.partitionPath), ctxInfo);
  const plan = await planWrite({
    duck,
    store,
    state,
    config,
    operation: options.operation,
    batch: batch.relation,
    profile: batch,
    prefix,
    dropUnchanged: options.dropUnchanged ?? false,
    columns: resolved.schema.map((f) => f.name),
    schema: resolved.schema,
  });
  // A partitioned write without the global index may store a key twice: counted, so callers can say so.
  const duplicated = global === undefined && options.operation !== 'delete' && options.operation !== 'insert_overwrite_table';
  const keysInTwoPartitions = duplicated ? await countKeysInTwoPartitions(duck, state, config, resolved.schema, plan, prefix) : 0;
  const result = {
    basePath,
    operation: options.operation,
    inserted: plan.inserted,
    updated: plan.updated,
    deleted: plan.deleted,
    skippedAsOlder: plan.skippedAsOlder + (global?.skippedAsOlder ?? 0),
    ...(global === undefined ? {} : { moved: global.moved }),
    keysInTwoPartitions,
    notFound: plan.notFound,
    unchanged: plan.unchanged,
    replacedFileGroups: Object.values(plan.replaced).reduce((n, ids) => n + ids.length, 0),
    addedColumns: state === undefined ? [] : resolved.added,
    widenedColumns: resolved.widened,
  };
  if (state === undefined) await createTable(ctx, basePath, { ...options.create!, schema: resolved.schema });
  if (plan.groups.length === 0 && result.replacedFileGroups === 0 && !(options.commitEmpty === true && state !== undefined)) return { ...result, instant: undefined, filesWritten: 0, files: [] };

  const instant = nextInstantTime(ctx.clock.now(), state?.timeline.lastInstantTime());
  const pending = new PendingCommit(store, basePath, instant, options.operation === 'insert_overwrite_table' ? 'replacecommit' : 'commit');
  const extraMetadata = {
    ...(options.extraMetadata ?? {}),
    ...(keysInTwoPartitions === 0 ? {} : { [KEYS_IN_TWO_PARTITIONS]: String(keysInTwoPartitions) }),
    schema: avroSchemaJson(config.name, resolved.schema),
  };
  const operationType = OPERATION_TYPES[options.operation];
  progress('writing', plan.groups.length);
  await pending.request();
  let written: WrittenFile[];
  try {
    await pending.inflightPlan(planMetadata(plan, extraMetadata, operationType));
    written = await writeFiles(ctx, pending, plan, resolved.schema, writableCodec(config), table, scratch);
    progress('committing', written.length);
    // Throws only if the commit was not published; nothing after it can fail the write.
    await pending.complete(commitMetadata(written, extraMetadata, operationType, plan.replaced), warnings);
  } catch (error) {
    // A no-op once published; if the undo itself fails, the next writer rolls the instant back.
    await warnings.attempt(`undoing the failed commit ${instant} of ${table} failed (the next writer rolls it back)`, () => pending.abort());
    throw error;
  }
  return { ...result, instant, filesWritten: written.length, files: written.map((w) => w.path) };
}

/** An empty batch with the table's columns, standing in for an input with neither rows nor columns. */
async function stageEmpty(duck: DuckSession, state: TableState, target: string): Promise<StagedInput> {
  const columns = (tableSchema(state) ?? []).map((f) => `CAST(NULL AS ${duckdbTypeSql(f.type)}) AS ${sqlIdent(f.name)}`);
  await duck.run(`CREATE TABLE ${target} AS SELECT ${columns.join(', ')} WHERE false`);
  return { relation: target, row: 'rowid' };
}
