/**
 * `tidemark runs`: the rows of `pipeline_log`, newest first, on either metastore. The embedded
 * metastore (PGlite) has no `psql` to ask, so this is how its log is read; on a server it saves
 * writing the SQL. Read-only: a warehouse without a metastore is an error, never a new metastore.
 */
import { type Command, InvalidArgumentError, Option } from '../commander.ts';
import { type PipelineRun, RUN_STATUSES, type RunStatus } from '../../metastore/metastore.ts';
import type { CliContext } from '../cli-context.ts';
import { type TextColumn, cut, failureBlock, formatSeconds, layoutColumns, naturalWidth, outputWidth, utcTime, wrapText } from './status.ts';

/** How many runs are listed when `--limit` is not given. */
export const DEFAULT_RUN_LIMIT = 20;
/** The error column is never cut narrower than this, even when that makes the table wider than the terminal. */
const MIN_ERROR_WIDTH = 30;

interface RunsFlags {
  pipeline?: string;
  limit: number;
  status?: RunStatus;
  json?: boolean;
}

/** Parses `--limit`: a positive integer. */
function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

/** `tidemark runs [--pipeline NAME] [--limit N] [--status S] [--json]`. */
export function registerRuns(program: Command, ctx: CliContext): void {
  program
    .command('runs')
    .description('list pipeline runs from the run log (pipeline_log), newest first')
    .option('--pipeline <name>', 'only the runs of this pipeline')
    .option('--limit <n>', 'at most this many runs', positiveInteger, DEFAULT_RUN_LIMIT)
    .addOption(new Option('--status <status>', 'only runs in this state').choices(RUN_STATUSES))
    .option('--json', 'print the runs as one JSON array, errors in full')
    .action(async (flags: RunsFlags) => {
      const runs = await ctx.withMetastore((metastore) => metastore.runs({
        newestFirst: true,
        limit: flags.limit,
        ...(flags.pipeline === undefined ? {} : { pipelineName: flags.pipeline }),
        ...(flags.status === undefined ? {} : { status: flags.status }),
      }), { readOnly: true });
      ctx.io.stdout(flags.json ? JSON.stringify(runs.map(runJson)) + '\n' : describe(runs, flags, outputWidth()));
    });
}

/** A run as `runs --json` prints it: the log row under the names `status --json` uses; times are ISO UTC. */
export function runJson(r: PipelineRun): Record<string, unknown> {
  return {
    runId: r.runId,
    pipeline: r.pipelineName,
    target: r.targetTable,
    status: r.status,
    windowStart: r.lastRunTimestamp,
    windowEnd: r.currentRunTimestamp,
    recordsRead: r.recordsRead,
    recordsProcessed: r.recordsProcessed,
    inserted: r.recordsInserted,
    updated: r.recordsUpdated,
    deleted: r.recordsDeleted,
    skippedAsOlder: r.recordsSkippedOlder,
    rejected: r.recordsRejected,
    keysInTwoPartitions: r.keysInTwoPartitions,
    instant: r.commitInstant,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationSeconds: r.processingTimeSeconds,
    error: r.errorMessage,
  };
}

/**
 * The runs as a table. Errors are cut to one line in the table (the error column takes what the
 * terminal width leaves); a listing of one run is followed by its whole error, and otherwise a hint
 * says how to get it.
 */
function describe(runs: ReadonlyArray<PipelineRun>, flags: RunsFlags, width: number): string {
  if (runs.length === 0) {
    const which = [flags.status === undefined ? 'runs' : `${flags.status} runs`, ...(flags.pipeline === undefined ? [] : [`of pipeline ${flags.pipeline}`])];
    return `no ${which.join(' ')} in the log\n`;
  }
  const column = (header: string, cells: string[], right = false): TextColumn => ({ header, cells, right });
  const count = (header: string, value: (r: PipelineRun) => number): TextColumn => column(header, runs.map((r) => String(value(r))), true);
  const columns = [
    column('run', runs.map((r) => r.runId.slice(0, 8))),
    column('pipeline', runs.map((r) => r.pipelineName)),
    column('status', runs.map((r) => r.status)),
    column('from (UTC)', runs.map((r) => (r.lastRunTimestamp === null ? '(full)' : utcTime(r.lastRunTimestamp)))),
    column('to (UTC)', runs.map((r) => utcTime(r.currentRunTimestamp))),
    count('read', (r) => r.recordsRead),
    count('ins', (r) => r.recordsInserted),
    count('upd', (r) => r.recordsUpdated),
    count('del', (r) => r.recordsDeleted),
    count('rej', (r) => r.recordsRejected),
    column('secs', runs.map((r) => formatSeconds(r.processingTimeSeconds)), true),
    column('instant', runs.map((r) => r.commitInstant ?? '-')),
  ];
  const oneLine = runs.map((r) => (r.errorMessage ?? '').replace(/\s+/g, ' ').trim());
  const room = width - columns.reduce((a, c) => a + naturalWidth(c) + 2, 0);
  const errorWidth = Math.max(MIN_ERROR_WIDTH, room);
  const lines = layoutColumns([...columns, { header: 'error', cells: oneLine, width: errorWidth }]);
  const cutShort = runs.filter((r, i) => r.errorMessage !== null && cut(oneLine[i]!, errorWidth) !== r.errorMessage);
  let text = [...lines, `(${runs.length} run${runs.length === 1 ? '' : 's'}, newest first; run: the first 8 characters of the run id)`].join('\n') + '\n';
  if (runs.length === 1 && runs[0]!.status === 'FAILED') {
    const r = runs[0]!;
    text += '\n' + failureBlock(r.pipelineName, r.runId, r.startedAt, r.errorMessage ?? '(no error message was recorded)', width);
  } else if (cutShort.length > 0) {
    const names = [...new Set(cutShort.map((r) => r.pipelineName))];
    const pipeline = names.length === 1 ? names[0]! : 'NAME';
    text += [
      ...wrapText('errors are cut to one line; for the whole text: tidemark runs --json, or', width),
      ...wrapText(`tidemark runs --pipeline ${pipeline} --status FAILED --limit 1`, width, '  '),
    ].join('\n') + '\n';
  }
  return text;
}
