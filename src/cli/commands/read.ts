import { type Command, InvalidArgumentError, Option } from '../commander.ts';
import type { ReadOptions } from '../../engine/read.ts';
import { OUTPUT_FORMATS, type OutputFormat } from '../formats.ts';
import type { CliContext } from '../main.ts';

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** Parses `--limit`: a non-negative integer. */
export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

/** The output format options shared by `read` and `sql`. */
export function addFormatOptions(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .addOption(new Option('--json', 'same as --format jsonl').conflicts('format'));
}

interface ReadFlags {
  asOf?: string;
  since?: string;
  until?: string;
  columns?: string[];
  where?: string;
  limit?: number;
  format: OutputFormat;
  json?: boolean;
}

export function registerRead(program: Command, ctx: CliContext): void {
  const command = program
    .command('read')
    .description('read a table: the latest snapshot, a snapshot as of an instant, or the records changed in (since, until]')
    .argument('<table>', 'base path of the table, or its registered name (sales.orders)')
    .option('--as-of <instant>', 'snapshot as of an instant (yyyyMMddHHmmss[SSS] or ISO date/time)')
    .option('--since <instant>', 'incremental: records committed after this instant (0 = the beginning)')
    .option('--until <instant>', 'incremental: records committed up to this instant (default: the latest)')
    .option('--columns <names>', 'columns to return, comma-separated', list)
    .option('--where <sql>', 'DuckDB SQL predicate on the rows (one expression: no ";", no subquery)')
    .option('--limit <n>', 'at most n rows', nonNegativeInteger);
  addFormatOptions(command).action(async (tablePath: string, flags: ReadFlags) => {
    const options: ReadOptions = {
      ...(flags.asOf === undefined ? {} : { asOf: flags.asOf }),
      ...(flags.since === undefined ? {} : { since: flags.since }),
      ...(flags.until === undefined ? {} : { until: flags.until }),
      ...(flags.columns === undefined ? {} : { columns: flags.columns }),
      ...(flags.where === undefined ? {} : { where: flags.where }),
      ...(flags.limit === undefined ? {} : { limit: flags.limit }),
    };
    const base = await ctx.tablePath(tablePath);
    const { columnsOf, renderRows } = await import('../output.ts');
    const { rows, columns } = await ctx.withEngine(async (tm) => {
      const rows = await tm.read(base, options);
      // An empty result has no row to take the header from; ask DuckDB for the columns instead.
      const columns = rows.length > 0 ? columnsOf(rows) : (await tm.duck.describe(await tm.readSql(base, options))).names;
      return { rows, columns };
    });
    ctx.io.stdout(renderRows(flags.json ? 'jsonl' : flags.format, rows, columns));
  });
}
