import type { Command } from 'commander';
import type { DailyRunResult } from '../../pipeline/daily-run.ts';
import { EXIT_FAILURE } from '../exit-codes.ts';
import { renderTable } from '../text-table.ts';
import type { CliContext } from '../main.ts';

const iso = (d: Date | null | undefined): string => (d === null || d === undefined ? '(full load)' : d.toISOString());

/** `tidemark daily-run`: every due pipeline in dependency order; exit 1 when any failed. */
export function registerDailyRun(program: Command, ctx: CliContext): void {
  program
    .command('daily-run')
    .description('run every due pipeline of the catalog in dependency order; exit 0 if all succeeded, 1 if any failed')
    .option('--pipeline <name>', 'run this pipeline whether due or not (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--all', 'run every pipeline, due or not')
    .option('--dry-run', 'print the windows that would be processed, and run nothing')
    .option('--from <date>', 'backfill: replay day windows from this date (YYYY-MM-DD)')
    .option('--to <date>', 'backfill: … to this date, inclusive')
    .option('--full-refresh', 'rebuild the targets from a full load (one insert_overwrite_table commit each)')
    .option('--json', 'print a JSON summary')
    .action(async (flags: { pipeline: string[]; all?: boolean; dryRun?: boolean; from?: string; to?: string; fullRefresh?: boolean; json?: boolean }) => {
      const { dailyRun } = await import('../../pipeline/daily-run.ts');
      const result = await ctx.withSession((s) =>
        dailyRun(s.context, {
          pipelines: flags.pipeline,
          all: flags.all ?? false,
          dryRun: flags.dryRun ?? false,
          fullRefresh: flags.fullRefresh ?? false,
          ...(flags.from === undefined ? {} : { from: flags.from }),
          ...(flags.to === undefined ? {} : { to: flags.to }),
        }),
        { catalog: 'required' },
      );
      ctx.io.stdout(flags.json ? JSON.stringify(result) + '\n' : describe(result, flags.dryRun === true));
      if (!result.ok) ctx.setExitCode(EXIT_FAILURE);
    });
}

function describe(result: DailyRunResult, dryRun: boolean): string {
  if (dryRun) {
    if (result.planned.length === 0) return 'no pipeline is due\n';
    const rows = result.planned.map((p) => ({ pipeline: p.pipeline, from: p.window === undefined ? '' : iso(p.window.start), to: p.window?.end.toISOString() ?? '', note: p.error ?? '' }));
    return renderTable(rows, ['pipeline', 'from', 'to', 'note']);
  }
  if (result.results.length === 0) return 'no pipeline is due\n';
  const rows = result.results.map((r) => ({
    pipeline: r.pipeline,
    status: r.status,
    from: r.window === undefined ? '' : iso(r.window.start),
    to: r.window?.end.toISOString() ?? '',
    read: r.recordsRead,
    inserted: r.inserted,
    updated: r.updated,
    deleted: r.deleted,
    'older': r.skippedAsOlder,
    commit: r.instant ?? '',
    seconds: +r.durationSeconds.toFixed(2),
    error: r.error ?? '',
  }));
  const failed = result.results.filter((r) => r.status === 'FAILED').length;
  return renderTable(rows, Object.keys(rows[0]!)) + (failed === 0 ? 'all pipelines succeeded\n' : `${failed} pipeline(s) FAILED\n`);
}
