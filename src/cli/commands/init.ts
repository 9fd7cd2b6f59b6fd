import type { Command } from 'commander';
import { resolveConfig, redact } from '../../config/config.ts';
import { openMetastore } from '../../metastore/open-metastore.ts';
import type { CliContext } from '../main.ts';

/** `tidemark init`: creates the warehouse and brings the metastore schema up to date. */
export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create the warehouse directory and run the metastore migrations (commands also do this on first use)')
    .action(async () => {
      const config = resolveConfig(ctx.flags());
      const metastore = await openMetastore(config);
      await metastore.close();
      const where = config.metastoreUrl === undefined ? `embedded PGlite at ${config.embeddedMetastoreDir}` : redact(config.metastoreUrl);
      ctx.io.stdout(`warehouse: ${config.warehouse}\ncatalog:   ${config.catalog}\nmetastore: ${where} (migrations up to date)\n`);
    });
}
