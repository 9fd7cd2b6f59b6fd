import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.ts';
import type { CliContext } from '../cli-context.ts';

/** `tidemark rollback`, `clean`, `savepoint`, `restore`: Hudi's table services. */
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
  program
    .command('clean')
    .description("delete file slices no reader of the last N commits needs (Hudi's KEEP_LATEST_COMMITS); savepointed files stay")
    .argument('<table>', 'base path or registered name')
    .option('--retain-commits <n>', "commits to keep readable (default: the table's hoodie.cleaner.commits.retained, 10)")
    .option('--json', 'print the result as one JSON object')
    .action(async (table: string, flags: { retainCommits?: string; json?: boolean }) => {
      const retainCommits = flags.retainCommits === undefined ? undefined : Number(flags.retainCommits);
      if (retainCommits !== undefined && (!Number.isInteger(retainCommits) || retainCommits < 1)) {
        throw new InvalidArgumentError(`--retain-commits ${flags.retainCommits} is not a whole number ≥ 1`, { value: flags.retainCommits });
      }
      const base = await ctx.tablePath(table);
      const r = await ctx.withEngine((tm) => tm.clean(base, retainCommits === undefined ? {} : { retainCommits }));
      if (flags.json) return ctx.io.stdout(JSON.stringify(r) + '\n');
      ctx.io.stdout(r.cleanInstant === undefined ? 'nothing to clean\n' : `clean ${r.cleanInstant}: ${r.filesDeleted.length} file(s) deleted; commits from ${r.earliestCommitToRetain} on stay readable\n`);
    });
  program
    .command('savepoint')
    .description('pin a completed commit: the cleaner keeps its files and `restore` can return to it')
    .argument('<table>', 'base path or registered name')
    .argument('<instant>', 'a completed commit (yyyyMMddHHmmssSSS)')
    .option('--comment <text>', 'why', '')
    .action(async (table: string, instant: string, flags: { comment: string }) => {
      const base = await ctx.tablePath(table);
      const r = await ctx.withEngine((tm) => tm.savepoint(base, instant, flags.comment));
      ctx.io.stdout(`savepoint ${r.instant}: ${r.files} file slice(s) pinned\n`);
    });
  program
    .command('restore')
    .description('return a table to a savepoint, undoing every later commit (one restore instant)')
    .argument('<table>', 'base path or registered name')
    .argument('<instant>', 'a savepointed instant')
    .action(async (table: string, instant: string) => {
      const base = await ctx.tablePath(table);
      const r = await ctx.withEngine((tm) => tm.restore(base, instant));
      ctx.io.stdout(`restore ${r.restoreInstant}: rolled back ${r.rolledBack.length} commit(s)${r.rolledBack.length ? ` (${r.rolledBack.join(', ')})` : ''}\n`);
    });
}
