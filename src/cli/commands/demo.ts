import type { Command } from 'commander';
import { EXIT_FAILURE } from '../exit-codes.ts';
import type { CliContext } from '../cli-context.ts';

/** `tidemark demo`: the bundled bronze → silver → gold example over two generated days. */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description("run the bundled example (bronze → silver → gold over two generated days) in the warehouse; it resets only the demo's own tables, landing files and log rows")
    .option('--verbose', "show the pipelines' logs")
    .action(async (flags: { verbose?: boolean }) => {
      const { DEMO_CATALOG, resetDemo, runDemo } = await import('../../demo/demo.ts');
      const t0 = performance.now();
      // The configured warehouse and metastore (flags, env, defaults); always the demo's own catalog.
      const options = { ...ctx.flags(), catalog: DEMO_CATALOG };
      const reset = await resetDemo(options);
      const n = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;
      if (reset.logRows + reset.unregistered.length + reset.removed.length > 0) {
        const what = [n(reset.logRows, 'log row', 'log rows'), n(reset.unregistered.length, 'registration', 'registrations'), n(reset.removed.length, 'file or folder', 'files and folders')];
        ctx.io.stdout(`reset the previous demo run: removed ${what.join(', ')}\n`);
      }
      const verbose = flags.verbose === true;
      // The command's logger (--log-format, --log-level, NO_COLOR), quieted to warnings unless --verbose.
      const base = ctx.logger();
      const levels = base.levels.values;
      const logger = base.child({}, { level: verbose || (levels[base.level] ?? 0) >= (levels.warn ?? 40) ? base.level : 'warn' });
      // With logs on, a redrawn progress line would only tangle with them.
      const result = await runDemo({ ...options, io: ctx.io, logger, ...(verbose ? { progress: false } : {}) });
      ctx.io.stdout(`\ndemo ${result.ok ? 'finished' : 'finished with FAILURES'} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      if (!result.ok) ctx.setExitCode(EXIT_FAILURE);
    });
}
