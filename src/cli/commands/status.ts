/**
 * `tidemark status`: a table of the pipelines fitted to the terminal, a legend, then the whole error
 * of every pipeline whose last run failed. Also the text helpers `runs` shares with it (width,
 * UTC times, wrapping, the failure block), kept here so both commands lay text out alike.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.ts';
import { resolveConfig } from '../../config/config.ts';
import type { PipelineStatus } from '../../pipeline/status.ts';
import { EXIT_FAILURE } from '../exit-codes.ts';
import type { CliContext } from '../cli-context.ts';

/**
 * The width `status` and `runs` lay their text out for: 100 columns, or the terminal's width when
 * stdout is a terminal that says it is wider. Output that is not a terminal (a pipe, a file, a CI
 * log) is read later in something else, so it gets the conservative 100.
 */
export function outputWidth(stream: { readonly isTTY?: boolean; readonly columns?: number } = process.stdout): number {
  return stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > DEFAULT_WIDTH ? stream.columns : DEFAULT_WIDTH;
}
const DEFAULT_WIDTH = 100;

/** Seconds as `3d4h`, `5h12m`, `42s`. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return 'never';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** A time in UTC as `2024-05-01 10:00` (`minute`) or `2024-05-01 10:00:31` (`second`); the caller says it is UTC. */
export function utcTime(d: Date, precision: 'minute' | 'second' = 'minute'): string {
  return d.toISOString().slice(0, precision === 'minute' ? 16 : 19).replace('T', ' ');
}

/** Seconds with one decimal, or `-`. */
export function formatSeconds(seconds: number | null): string {
  return seconds === null ? '-' : seconds.toFixed(1);
}

/** Text cut to `width` characters (code points), ending in `…` when cut. */
export function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/**
 * Every line of `text`, wrapped to `width` with `indent` before each: at a space when there is one
 * in the line's second half, else hard. Nothing is dropped: an error's full text stays readable in
 * a terminal of that width (`--json` has it unwrapped).
 */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const room = Math.max(20, width - indent.length);
  const out: string[] = [];
  for (const line of text.replace(/\t/g, '  ').split(/\r\n|\r|\n/)) {
    let rest = [...line.trimEnd()];
    if (rest.length === 0) out.push('');
    while (rest.length > 0) {
      let take = rest.length;
      if (rest.length > room) {
        const space = rest.lastIndexOf(' ', room);
        take = space > room / 2 ? space : room;
      }
      out.push(indent + rest.slice(0, take).join('').trimEnd());
      rest = rest.slice(take);
      while (rest[0] === ' ') rest.shift();
    }
  }
  return out.map((l) => l.trimEnd());
}

/**
 * A failed run's whole error, dbt-style: a header naming the pipeline, the run and when it started,
 * then every line of the error, indented. Ends with a newline.
 */
export function failureBlock(pipeline: string, runId: string, startedAt: Date, error: string, width: number): string {
  const header = wrapText(`FAILED ${pipeline} (run ${runId}, started ${utcTime(startedAt, 'second')} UTC)`, width);
  return [...header, ...wrapText(error, width, '  ')].join('\n') + '\n';
}

/** A column of a text table; `width` caps it (longer cells are cut with `…`). */
export interface TextColumn {
  readonly header: string;
  readonly cells: ReadonlyArray<string>;
  readonly right?: boolean;
  readonly width?: number;
}

/** The natural width of a column: its longest cell or header. */
export function naturalWidth(c: TextColumn): number {
  return Math.max([...c.header].length, ...c.cells.map((s) => [...s].length));
}

/** Header, rule and rows, aligned two spaces apart; each line without trailing spaces. */
export function layoutColumns(columns: ReadonlyArray<TextColumn>): string[] {
  const widths = columns.map((c) => Math.min(c.width ?? Infinity, naturalWidth(c)));
  const pad = (text: string, i: number): string => {
    const s = cut(text, widths[i]!);
    const fill = ' '.repeat(widths[i]! - [...s].length);
    return columns[i]!.right ? fill + s : s + fill;
  };
  const rows = columns[0]?.cells.map((_, r) => columns.map((c) => c.cells[r]!)) ?? [];
  const line = (cells: ReadonlyArray<string>): string => cells.map(pad).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** `tidemark status --days 14`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description("per pipeline: last run, runs and failures over N days, the last run's records, rows in the target, staleness; then the errors of last runs that failed")
    .option('--days <n>', 'how many days back', '14')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--fail-if-stale <duration>', 'exit 1 when a pipeline has no SUCCESS within this long (e.g. 26h, 2d)')
    .option('--fail-on-error', "exit 1 when a pipeline's last run FAILED")
    .option('--json', 'print the summaries as one JSON array')
    .action(async (flags: { days: string; pipeline?: string; failIfStale?: string; failOnError?: boolean; json?: boolean }) => {
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
      // Status reads the log, the registry and the targets' timelines: no DuckDB, and a broken catalog module is only a warning.
      const store = new LocalFileStore();
      const catalog = await loadCatalog(store, resolveConfig(ctx.flags()).catalog, { onError: 'collect' });
      for (const problem of catalog.problems) ctx.warnCatalogProblem(problem);
      const statuses = await ctx.withMetastore(async (metastore) => {
        const query = { metastore, pipelines: catalog.pipelines, clock: systemClock, store };
        const found = await pipelineStatus(query, { days, ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }) });
        if (flags.pipeline !== undefined && !catalog.pipelines.has(flags.pipeline) && (await metastore.runs({ pipelineName: flags.pipeline, limit: 1 })).length === 0) {
          const known = [...new Set([...catalog.pipelines.keys(), ...(await metastore.runs({})).map((r) => r.pipelineName)])].sort();
          throw new InvalidArgumentError(`no pipeline named "${flags.pipeline}" in the catalog ${resolveConfig(ctx.flags()).catalog} or the run log (known: ${known.join(', ') || 'none'})`, { value: flags.pipeline });
        }
        return found;
      }, { readOnly: true });
      for (const p of statuses) if (p.targetRowsError !== null) ctx.io.stderr(`tidemark: warning: ${p.pipeline}: ${p.targetRowsError}\n`);
      ctx.io.stdout(flags.json ? JSON.stringify(statuses) + '\n' : describe(statuses, days, outputWidth()));
      const stale = staleLimit === undefined ? [] : statuses.filter((p) => p.staleSeconds === null || p.staleSeconds > staleLimit);
      if (stale.length > 0) {
        ctx.io.stderr(`tidemark: stale (no SUCCESS within ${flags.failIfStale}): ${stale.map((p) => p.pipeline).join(', ')}\n`);
        ctx.setExitCode(EXIT_FAILURE);
      }
      const failed = flags.failOnError === true ? statuses.filter((p) => p.lastStatus === 'FAILED') : [];
      if (failed.length > 0) {
        ctx.io.stderr(`tidemark: last run FAILED: ${failed.map((p) => p.pipeline).join(', ')}\n`);
        ctx.setExitCode(EXIT_FAILURE);
      }
    });
}

const OUTCOME_MARK = { S: '✓', F: '✗', R: '…', '.': '·' } as const;

/**
 * How a table too wide for the terminal gives way, step by step: the day strip (its oldest days)
 * down to two weeks, pipeline names (cut with `…`) down to 16 characters, the strip down to a week,
 * names down to 10. Past that the table stays wider than the terminal.
 */
const SHRINK_STEPS: ReadonlyArray<readonly ['strip' | 'names', number]> = [['strip', 14], ['names', 16], ['strip', 7], ['names', 10]];

/** The strip's header: `14 days`, or `last 9d` when only the latest days are shown. */
const stripHeader = (shown: number, days: number): string => (shown === days ? `${days} day${days === 1 ? '' : 's'}` : `last ${shown}d`);

/** The table (fitted to `width`), its legend, then the whole error of each pipeline whose last run failed. */
function describe(statuses: ReadonlyArray<PipelineStatus>, days: number, width: number): string {
  if (statuses.length === 0) return 'no pipelines in the catalog and no runs in the log\n';
  const column = (header: string, cells: string[], right = false): TextColumn => ({ header, cells, right });
  const fixed = [
    column('last', statuses.map((p) => p.lastStatus ?? '-')),
    column('last run (UTC)', statuses.map((p) => (p.lastRunAt === null ? '-' : utcTime(p.lastRunAt)))),
    column('runs', statuses.map((p) => String(p.runs)), true),
    column('fail', statuses.map((p) => String(p.failures)), true),
  ];
  const after = [
    column('records', statuses.map((p) => (p.lastRunRecords === null ? '-' : String(p.lastRunRecords))), true),
    column('rows', statuses.map((p) => (p.targetRows === null ? '' : String(p.targetRows))), true),
    column('stale', statuses.map((p) => formatAge(p.staleSeconds)), true),
  ];
  const names = column('pipeline', statuses.map((p) => p.pipeline));
  // What is left for the names and the strip once the other columns and the gaps are laid out.
  const room = width - [...fixed, ...after].reduce((a, c) => a + naturalWidth(c), 0) - 2 * (fixed.length + after.length + 1);
  const fullNames = naturalWidth(names);
  let nameWidth = fullNames;
  let shown = days;
  for (const [what, floor] of SHRINK_STEPS) {
    const excess = nameWidth + Math.max(shown, stripHeader(shown, days).length) - room;
    if (excess <= 0) break;
    if (what === 'strip') shown = Math.max(Math.min(days, floor), shown - excess);
    else nameWidth = Math.max(Math.min(fullNames, floor), nameWidth - excess);
  }
  const stripColumn = column(stripHeader(shown, days), statuses.map((p) => p.days.slice(-shown).map((d) => OUTCOME_MARK[d.outcome]).join('')));
  const lines = layoutColumns([{ ...names, width: nameWidth }, ...fixed, stripColumn, ...after]);
  const legend = [
    `days (UTC, oldest left, today right): ${OUTCOME_MARK.S} all runs succeeded  ${OUTCOME_MARK.F} a run failed  ${OUTCOME_MARK.R} running  ${OUTCOME_MARK['.']} no run`,
    ...(shown < days ? [`(the last ${shown} of ${days} days are shown; --json has them all)`] : []),
    "records: processed by the last run  rows: in the target table now  stale: since the last success",
  ];
  let text = [...lines, '', ...legend.flatMap((l) => wrapText(l, width))].join('\n') + '\n';
  const doubled = statuses.filter((p) => p.keysInTwoPartitions > 0);
  if (doubled.length > 0) {
    const what = `keys stored in two partitions (the target's default index keeps a record whose partition value changed in both; target.index: 'global' moves it):`;
    text += '\n' + [what, ...doubled.map((p) => `  ${p.pipeline} → ${p.target}: ${p.keysInTwoPartitions} in the last ${days} day${days === 1 ? '' : 's'}`)].flatMap((l) => wrapText(l, width)).join('\n') + '\n';
  }
  const streams = statuses.filter((p) => p.stream !== undefined);
  if (streams.length > 0) {
    const lines = streams.map((p) => {
      const s = p.stream!;
      const skipped = s.skipped > 0 ? `; ${s.skipped} message(s) SKIPPED in the last ${days} day${days === 1 ? '' : 's'} (checkpoint out of range)` : '';
      return `  ${p.pipeline}: lag ${s.lag} message(s) at its run of ${s.at.toISOString()}, checkpoint ${s.checkpoint}${skipped}`;
    });
    text += '\n' + ['streams (lag: messages waiting when the last run started that it left for later):', ...lines].flatMap((l) => wrapText(l, width)).join('\n') + '\n';
  }
  const failed = statuses.filter((p) => p.lastStatus === 'FAILED');
  if (failed.length > 0) {
    text += `\nlast run FAILED in ${failed.length === 1 ? '1 pipeline' : `${failed.length} pipelines`}:\n`;
    for (const p of failed) text += '\n' + failureBlock(p.pipeline, p.lastRunId!, p.lastRunAt!, p.lastRunError ?? '', width);
  }
  return text;
}
