import type { Command } from 'commander';
import type { CliContext } from '../main.ts';

/** `tidemark rollback`: undo the latest commit (or a pending one a dead writer left). */
export function registerTableServices(program: Command, ctx: CliContext): void {
  program
    .command('rollback')
    .description('undo the latest completed commit of a table (or a pending one), recorded as a Hudi rollback instant')
    .argument('<table>', 'base path or registered name')
    .argument('<instant>', 'the instant to undo (yyyyMMddHHmmssSSS)')
    .option('--json', 'print the result as one JSON object')
    .action(async (table: string, instant: string, flags: { json?: boolean }) => {
      const base = await ctx.tablePath(table);
      const r = await ctx.withEngine((tm) => tm.rollback(base, instant));
      ctx.io.stdout(flags.json ? JSON.stringify(r) + '\n' : `rolled back ${r.action} ${r.rolledBack} as rollback ${r.rollbackInstant}; ${r.filesDeleted.length} file(s) deleted\n`);
    });
}
