/**
 * `daily-run --run-results FILE`: a JSON document shaped like dbt's `run_results.json`, for the
 * tools that already parse that (Airflow callbacks, dashboards, CI). One result per pipeline run
 * (a backfill: one per day window), with dbt's `unique_id`, `status`, `timing`, `execution_time`
 * and `message`, plus Tidemark's window, counts and commit instant. The README documents the schema.
 *
 * The file is replaced atomically (temp file, fsync, rename): a reader sees the previous document
 * or the new one, never half of one. It is written whatever happened, a failed pipeline, an
 * interruption or an error before any pipeline ran, so a scheduler never reads a stale document
 * from an earlier run as this run's.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { StorageError, messageOf } from '../errors.ts';
import type { DailyRunResult } from '../pipeline/daily-run.ts';
import type { RunResult } from '../pipeline/run-pipeline.ts';
import { LocalFileStore } from '../storage/local-file-store.ts';
import { redact } from '../util/redact.ts';

/** The schema's name and version; bumped when a field changes meaning or goes away (fields may be added). */
export const RUN_RESULTS_SCHEMA_VERSION = 'tidemark/run-results/v1';

/** One pipeline run, as dbt reports one node. */
export interface RunResultsEntry {
  /** `pipeline.<name>`. */
  readonly unique_id: string;
  readonly pipeline: string;
  readonly status: 'success' | 'error' | 'skipped';
  /** dbt's timing: one `execute` step, absent for a pipeline that did not run. */
  readonly timing: ReadonlyArray<{ readonly name: 'execute'; readonly started_at: string; readonly completed_at: string }>;
  /** Seconds. */
  readonly execution_time: number;
  /** The error of a failed run, why a run was skipped, or a summary of what a successful run did. */
  readonly message: string;
  readonly run_id: string | null;
  readonly target: string;
  /** The window (start, end]; start null for a full load; null for a pipeline that did not run. */
  readonly window: { readonly start: string | null; readonly end: string } | null;
  readonly counts: {
    readonly read: number;
    readonly processed: number;
    readonly inserted: number;
    readonly updated: number;
    readonly deleted: number;
    readonly skipped_as_older: number;
    readonly rejected: number;
    /** Keys the write left in two partitions of the target (its default, non-global index). */
    readonly keys_in_two_partitions: number;
  };
  /** The commit instant the run made, or null (no new data, a failure, a skip). */
  readonly instant: string | null;
}

/** The whole document. */
export interface RunResultsDocument {
  readonly metadata: {
    readonly tidemark_schema_version: string;
    readonly tidemark_version: string;
    readonly generated_at: string;
    readonly invocation_id: string;
  };
  readonly results: ReadonlyArray<RunResultsEntry>;
  /** Seconds from the command's start to this document. */
  readonly elapsed_time: number;
  /** The options the daily run was given (never the metastore URL). */
  readonly args: Readonly<Record<string, unknown>>;
  /** True when no pipeline failed, nothing was interrupted and the command raised no error. */
  readonly success: boolean;
  /** The process's exit code. */
  readonly exit_code: number;
  /** What stopped the run early (`interrupted by SIGTERM`), or null. */
  readonly interrupted: string | null;
  /** An error that ended the command before or outside the runs (an unknown pipeline, a broken catalog), or null. */
  readonly error: string | null;
}

/** What the document is built from. */
export interface RunResultsInput {
  readonly version: string;
  readonly startedAt: Date;
  readonly args: Readonly<Record<string, unknown>>;
  readonly exitCode: number;
  /** Absent when the command failed before it had results. */
  readonly result?: DailyRunResult;
  readonly error?: unknown;
  readonly invocationId?: string;
  readonly now?: Date;
}

const STATUS = { SUCCESS: 'success', FAILED: 'error', SKIPPED: 'skipped' } as const;

function entry(r: RunResult): RunResultsEntry {
  const ran = r.startedAt !== undefined && r.endedAt !== undefined;
  return {
    unique_id: `pipeline.${r.pipeline}`,
    pipeline: r.pipeline,
    status: STATUS[r.status],
    timing: ran ? [{ name: 'execute', started_at: r.startedAt!.toISOString(), completed_at: r.endedAt!.toISOString() }] : [],
    execution_time: +r.durationSeconds.toFixed(3),
    message: r.error ?? `read ${r.recordsRead}, inserted ${r.inserted}, updated ${r.updated}, deleted ${r.deleted}${r.instant === undefined ? ', no commit' : `; commit ${r.instant}`}`,
    run_id: r.runId ?? null,
    target: r.target,
    window: r.window === undefined ? null : { start: r.window.start?.toISOString() ?? null, end: r.window.end.toISOString() },
    counts: {
      read: r.recordsRead,
      processed: r.recordsProcessed,
      inserted: r.inserted,
      updated: r.updated,
      deleted: r.deleted,
      skipped_as_older: r.skippedAsOlder,
      rejected: r.rejected,
      keys_in_two_partitions: r.keysInTwoPartitions,
    },
    instant: r.instant ?? null,
  };
}

/** Builds the document. */
export function runResultsDocument(input: RunResultsInput): RunResultsDocument {
  const now = input.now ?? new Date();
  const error = input.error === undefined ? null : redact(messageOf(input.error));
  return {
    metadata: {
      tidemark_schema_version: RUN_RESULTS_SCHEMA_VERSION,
      tidemark_version: input.version,
      generated_at: now.toISOString(),
      invocation_id: input.invocationId ?? randomUUID(),
    },
    results: (input.result?.results ?? []).map(entry),
    elapsed_time: +((now.getTime() - input.startedAt.getTime()) / 1000).toFixed(3),
    args: input.args,
    success: error === null && input.result?.ok === true,
    exit_code: input.exitCode,
    interrupted: input.result?.interrupted ?? null,
    error,
  };
}

/** Replaces `file` (relative to the working directory; its folder is created) with the document, atomically. */
export async function writeRunResults(file: string, document: RunResultsDocument): Promise<void> {
  const target = path.resolve(file);
  try {
    await new LocalFileStore().writeAtomic(target, JSON.stringify(document, null, 2) + '\n');
  } catch (error) {
    throw new StorageError(`could not write the run results (--run-results) to ${target}: ${messageOf(error)}`, { file: target, cause: error });
  }
}
