import type { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import { renderTable } from '../text-table.ts';

const COLUMNS = ['instant', 'action', 'state', 'operation', 'inserted', 'updated', 'deleted', 'files'];

export function registerCommits(program: Command, ctx: CliContext): void {
  program
    .command('commits')
    .description("list a table's timeline: every instant with what each completed write did")
    .argument('<table>', 'base path of the table, or its registered name (sales.orders)')
    .option('--json', 'print the timeline as one JSON array')
    .action(async (tablePath: string, flags: { json?: boolean }) => {
      const base = await ctx.tablePath(tablePath);
      const commits = await ctx.withEngine((tm) => tm.commits(base));
      if (flags.json) {
        ctx.io.stdout(JSON.stringify(commits) + '\n');
        return;
      }
      const rows = commits.map((c) => ({
        instant: c.time,
        action: c.action,
        state: c.state,
        operation: c.operation ?? null,
        inserted: c.inserted,
        updated: c.updated,
        deleted: c.deleted,
        files: c.filesWritten,
      }));
      ctx.io.stdout(renderTable(rows, COLUMNS));
    });
}
