import type { Command } from 'commander';
import { InvalidArgumentError as UsageError } from '../../errors.ts';
import type { CliContext } from '../cli-context.ts';
import { type OutputFlags, PREVIEW_ROWS, addFormatOptions, nonNegativeInteger, outputFormat } from './read.ts';

const HELP = `
Tables are addressed with tidemark_scan, which DuckDB sees as a subquery:
  tidemark_scan('path')                                  latest snapshot
  tidemark_scan('path', as_of => 'T')                    snapshot as of instant T
  tidemark_scan('path', since => 'T1', until => 'T2')    records committed in (T1, T2]
Instants are yyyyMMddHHmmss[SSS] or ISO dates/times (UTC unless they say otherwise).

The statement is DuckDB SQL with DuckDB's full reach: it can read and write any file the user can
(COPY ... TO, read_csv('/any/file'), ATTACH, INSTALL). For SQL you did not write, use --read-only:
one query, reading nothing but the tables it scans.

A single query streams its rows (csv, jsonl, parquet), whatever their number. Several statements,
or one that is not a query, run whole first, then what DuckDB returns is printed (not as parquet);
so are the rows of --read-only.

Example:
  $ tidemark sql "SELECT dt, count(*) FROM tidemark_scan('/data/orders') GROUP BY dt"`;

interface SqlFlags extends OutputFlags {
  readOnly?: boolean;
}

export function registerSql(program: Command, ctx: CliContext): void {
  const command = program
    .command('sql')
    .description("run DuckDB SQL in which tables are addressed as tidemark_scan('path' [, as_of => 'T'] [, since => 'T1', until => 'T2'])")
    .argument('<statement>', 'the SQL statement')
    .option('--read-only', 'for untrusted SQL: one query only, reading nothing but the tables it scans (no other file, COPY, ATTACH or extension)')
    .option('--limit <n>', `at most n rows (table format: ${PREVIEW_ROWS} unless given)`, nonNegativeInteger);
  addFormatOptions(command)
    .addHelpText('after', HELP)
    .action(async (statement: string, flags: SqlFlags) => {
      const format = outputFormat(flags);
      if (format === 'parquet' && flags.readOnly === true) throw new UsageError('--format parquet cannot be used with --read-only (its rows are gathered in a separate DuckDB); use csv or jsonl');
      const resolve = (p: string): Promise<string> => ctx.tablePath(p);
      const [{ columnsOf, renderPreview, renderRows }, { exportText, exportQuery }, { limitedStatement, prepareSql }] = await Promise.all([
        import('../output.ts'),
        import('../stream-export.ts'),
        import('../../engine/read/read-stream.ts'),
      ]);
      const limit = flags.limit ?? (format === 'table' ? PREVIEW_ROWS : undefined);
      const done = await ctx.withEngine(async (tm) => {
        if (flags.readOnly === true) return tm.sqlReadOnly(statement, resolve);
        const query = await prepareSql(tm, statement, resolve);
        if (query === undefined) {
          if (format === 'parquet') throw new UsageError('--format parquet needs a single query (SELECT …); this statement is not one');
          // Not one query: run it whole, as it is, and print what it returns.
          const rows = await tm.sql(statement, resolve);
          return { rows, columns: columnsOf(rows) };
        }
        if (format === 'table') {
          // One row more than shown tells whether there are more.
          const rows = await tm.sql(limitedStatement(statement, limit! + 1), resolve);
          return { rows, columns: rows.length > 0 ? columnsOf(rows) : [...query.columns.names] };
        }
        const sql = limit === undefined ? query.sql : `SELECT * FROM (\n${query.sql}\n) LIMIT ${limit}`;
        const progress = ctx.startProgress('export');
        try {
          await exportQuery(tm.duck, { sql, columns: query.columns }, { format, output: flags.output, io: ctx.io, what: 'the SQL statement', progress });
        } finally {
          progress.stop();
        }
        return undefined;
      });
      if (done === undefined) return;
      // Rows gathered whole (--read-only, a statement that is not one query): printed, the table as a preview.
      const { rows, columns } = done;
      if (format === 'table') return exportText(renderPreview(rows, columns, { limit: limit!, meta: flags.meta === true }), { io: ctx.io });
      if (format === 'parquet') throw new UsageError('--format parquet needs a single query'); // refused above; kept for the type
      await exportText(renderRows(format, limit === undefined ? rows : rows.slice(0, limit), columns), { output: flags.output, io: ctx.io });
    });
}
