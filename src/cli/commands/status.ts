import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.ts';
import { resolveConfig } from '../../config/config.ts';
import type { PipelineStatus } from '../../pipeline/status.ts';
import { EXIT_FAILURE } from '../exit-codes.ts';
import { renderTable } from '../text-table.ts';
import type { CliContext } from '../main.ts';

/** Seconds as `3d4h`, `5h12m`, `42s`. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return 'never';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** `tidemark status --days 14`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('per pipeline over the last N days: runs, failures, last error, watermark, records, durations, staleness')
    .option('--days <n>', 'how many days back', '14')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--fail-if-stale <duration>', 'exit 1 when a pipeline has no SUCCESS within this long (e.g. 26h, 2d)')
    .option('--json', 'print the summaries as one JSON array')
    .action(async (flags: { days: string; pipeline?: string; failIfStale?: string; json?: boolean }) => {
      const days = Number(flags.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) throw new InvalidArgumentError(`--days ${flags.days} is not a whole number from 1 to 366`, { value: flags.days });
      const [{ pipelineStatus }, { parseDuration }, { loadCatalog }, { LocalFileStore }, { systemClock }] = await Promise.all([
        import('../../pipeline/status.ts'),
        import('../../pipeline/window.ts'),
        import('../../definitions/load-catalog.ts'),
        import('../../storage/local-file-store.ts'),
        import('../../time/clock.ts'),
      ]);
      const staleLimit = flags.failIfStale === undefined ? undefined : parseDuration(flags.failIfStale) / 1000;
      // Status reads the log and the catalog's names: no engine, and a broken catalog module is only a warning.
      const catalog = await loadCatalog(new LocalFileStore(), resolveConfig(ctx.flags()).catalog, { onError: 'collect' });
      for (const problem of catalog.problems) ctx.warnCatalogProblem(problem);
      const statuses = await ctx.withMetastore(async (metastore) => {
        const query = { metastore, pipelines: catalog.pipelines, clock: systemClock };
        const found = await pipelineStatus(query, { days, ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }) });
        if (flags.pipeline !== undefined && !catalog.pipelines.has(flags.pipeline) && (await metastore.runs({ pipelineName: flags.pipeline })).length === 0) {
          const known = [...new Set([...catalog.pipelines.keys(), ...(await metastore.runs({})).map((r) => r.pipelineName)])].sort();
          throw new InvalidArgumentError(`no pipeline named "${flags.pipeline}" in the catalog ${resolveConfig(ctx.flags()).catalog} or the run log (known: ${known.join(', ') || 'none'})`, { value: flags.pipeline });
        }
        return found;
      }, { readOnly: true });
      ctx.io.stdout(flags.json ? JSON.stringify(statuses) + '\n' : describe(statuses, days));
      const stale = staleLimit === undefined ? [] : statuses.filter((p) => p.staleSeconds === null || p.staleSeconds > staleLimit);
      if (stale.length > 0) {
        ctx.io.stderr(`tidemark: stale (no SUCCESS within ${flags.failIfStale}): ${stale.map((p) => p.pipeline).join(', ')}\n`);
        ctx.setExitCode(EXIT_FAILURE);
      }
    });
}

function describe(statuses: ReadonlyArray<PipelineStatus>, days: number): string {
  if (statuses.length === 0) return 'no pipelines in the catalog and no runs in the log\n';
  const rows = statuses.map((p) => ({
    pipeline: p.pipeline,
    last: p.lastStatus ?? '-',
    'last run': p.lastRunAt?.toISOString().slice(0, 19).replace('T', ' ') ?? '-',
    runs: p.runs,
    ok: p.successes,
    failed: p.failures,
    [`${days} days`]: p.days.map((d) => (d.outcome === 'S' ? '✓' : d.outcome === 'F' ? '✗' : d.outcome === 'R' ? '…' : '·')).join(''),
    watermark: p.watermark?.toISOString().slice(0, 19).replace('T', ' ') ?? '-',
    records: p.recordsProcessed,
    'mean s': p.meanDurationSeconds === null ? '-' : +p.meanDurationSeconds.toFixed(2),
    'last s': p.lastDurationSeconds === null ? '-' : +p.lastDurationSeconds.toFixed(2),
    stale: formatAge(p.staleSeconds),
    'last error': p.lastError ?? '',
  }));
  return renderTable(rows, Object.keys(rows[0]!));
}
