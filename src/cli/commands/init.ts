import path from 'node:path';
import type { Command } from 'commander';
import { resolveConfig, redact } from '../../config/config.ts';
import type { CliContext } from '../cli-context.ts';

/** `tidemark init [DIR]`: a new project (catalog, sample data, .gitignore, README), its warehouse and metastore. */
export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('start a project in DIR (default: here): catalog/ with an example pipeline, sample data, .gitignore, README; then create the warehouse and the metastore')
    .argument('[dir]', 'project directory (created if needed)')
    .option('--no-example', 'create only the warehouse and the metastore, no project files')
    .action(async (dir: string | undefined, flags: { example: boolean }) => {
      const root = path.resolve(dir ?? '.');
      // Relative --warehouse / --catalog (and the defaults) are taken from the project directory.
      const config = resolveConfig(ctx.flags(), process.env, root);
      if (flags.example) {
        const { scaffold } = await import('../../project/scaffold.ts');
        const result = scaffold(root, config.catalog);
        for (const f of result.created) ctx.io.stdout(`created   ${f}\n`);
        for (const f of result.kept) ctx.io.stdout(`kept      ${f} (already there)\n`);
      }
      const { openMetastore } = await import('../../metastore/open-metastore.ts');
      const metastore = await openMetastore(config);
      await metastore.close();
      const where = config.metastoreUrl === undefined ? `embedded PGlite at ${config.embeddedMetastoreDir}` : redact(config.metastoreUrl);
      ctx.io.stdout(`warehouse: ${config.warehouse}\ncatalog:   ${config.catalog}\nmetastore: ${where} (migrations up to date)\n`);
      if (flags.example) {
        const cd = root === process.cwd() ? '' : `cd ${JSON.stringify(root)} && `;
        ctx.io.stdout(`\nnext: ${cd}npx tidemark daily-run && npx tidemark read shop.orders (see README.md)\n`);
      }
    });
}
