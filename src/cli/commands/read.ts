import { type Command, InvalidArgumentError, Option } from '../commander.ts';
import { InvalidArgumentError as UsageError } from '../../errors.ts';
import type { ReadOptions } from '../../engine/read/read.ts';
import { OUTPUT_FORMATS, type OutputFormat } from '../formats.ts';
import type { CliContext } from '../cli-context.ts';

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** Rows the table format shows without `--limit` (a preview; the other formats export every row). */
export const PREVIEW_ROWS = 50;

/** Parses `--limit`: a non-negative integer. */
export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value) + 1)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

/** The output options shared by `read` and `sql`. */
export function addFormatOptions(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'output format: table (a preview for the terminal), or csv, jsonl, parquet (every row, streamed)').choices(OUTPUT_FORMATS).default('table'))
    .addOption(new Option('--json', 'same as --format jsonl').conflicts('format'))
    .option('--output <file>', 'write the rows to this file instead of stdout (csv, jsonl; required for parquet)')
    .option('--meta', `table format: show Hudi's _hoodie_* columns too (hidden by default)`);
}

/** The output flags of `read` and `sql`. */
export interface OutputFlags {
  format: OutputFormat;
  json?: boolean;
  output?: string;
  meta?: boolean;
  limit?: number;
}

/** The format asked for, once `--output` is checked against it: parquet needs a file, the table preview takes none. */
export function outputFormat(flags: OutputFlags): OutputFormat {
  const format = flags.json === true ? 'jsonl' : flags.format;
  if (format === 'parquet' && flags.output === undefined) throw new UsageError('--format parquet needs --output FILE');
  if (format === 'table' && flags.output !== undefined) throw new UsageError('--output needs --format csv, jsonl or parquet (the table format is a preview for the terminal)');
  return format;
}

interface ReadFlags extends OutputFlags {
  asOf?: string;
  since?: string;
  until?: string;
  columns?: string[];
  where?: string;
  changes?: boolean;
}

export function registerRead(program: Command, ctx: CliContext): void {
  const command = program
    .command('read')
    .description('read a table: the latest snapshot, a snapshot as of an instant, or the records changed in (since, until]')
    .argument('<table>', 'base path of the table, or its registered name (sales.orders)')
    .option('--as-of <instant>', 'snapshot as of an instant (yyyyMMddHHmmss[SSS] or ISO date/time)')
    .option('--since <instant>', 'incremental: records committed after this instant (0 = the beginning)')
    .option('--until <instant>', 'incremental: records committed up to this instant (default: the latest)')
    .option('--changes', 'the change feed of (since, until]: one row per insert, update_preimage, update_postimage or delete, with _change_type, _commit_time, _change_order')
    .option('--columns <names>', 'columns to return, comma-separated', list)
    .option('--where <sql>', 'DuckDB SQL predicate on the rows (one expression: no ";", no subquery)')
    .option('--limit <n>', `at most n rows (table format: ${PREVIEW_ROWS} unless given)`, nonNegativeInteger);
  addFormatOptions(command).action(async (tablePath: string, flags: ReadFlags) => {
    const format = outputFormat(flags);
    const options: ReadOptions = {
      ...(flags.asOf === undefined ? {} : { asOf: flags.asOf }),
      ...(flags.since === undefined ? {} : { since: flags.since }),
      ...(flags.until === undefined ? {} : { until: flags.until }),
      ...(flags.columns === undefined ? {} : { columns: flags.columns }),
      ...(flags.where === undefined ? {} : { where: flags.where }),
      ...(flags.limit === undefined ? {} : { limit: flags.limit }),
      ...(flags.changes === true ? { changes: true } : {}),
    };
    const base = await ctx.tablePath(tablePath);
    if (format === 'table') {
      const [{ columnsOf, renderPreview }, { writeText }] = await Promise.all([import('../output.ts'), import('../stream-sink.ts')]);
      const limit = flags.limit ?? PREVIEW_ROWS;
      const text = await ctx.withEngine(async (tm) => {
        // One row more than shown tells whether there are more.
        const rows = await tm.read(base, { ...options, limit: limit + 1 });
        // An empty result has no row to take the header from; ask DuckDB for the columns instead.
        const columns = rows.length > 0 ? columnsOf(rows) : (await tm.duck.describe(await tm.readSql(base, options))).names;
        // Columns named in --columns are shown, meta or not.
        return renderPreview(rows, columns, { limit, meta: flags.meta === true || flags.columns !== undefined });
      });
      await writeText(ctx.io, text);
      return;
    }
    const [{ prepareRead }, { exportQuery }] = await Promise.all([import('../../engine/read/read-stream.ts'), import('../stream-export.ts')]);
    const progress = ctx.startProgress('export');
    try {
      await ctx.withEngine(async (tm) => {
        const query = await prepareRead(tm, base, options);
        await exportQuery(tm.duck, query, { format, output: flags.output, io: ctx.io, what: `reading ${base}`, scanOnly: true, progress });
      });
    } finally {
      progress.stop();
    }
  });
}
