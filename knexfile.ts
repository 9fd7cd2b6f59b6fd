/**
 * knex CLI config (`node --import tsx node_modules/knex/bin/cli.js migrate:latest`): the metastore of
 * `TIDEMARK_METASTORE_URL`, or when unset the default warehouse's embedded PGlite store, resolved by
 * the same code Tidemark runs. Note the knex CLI does not take Tidemark's embedded-store lock file:
 * run it only while no Tidemark process uses that warehouse.
 */
import type { Knex } from 'knex';
import { resolveConfig } from './src/config/config.ts';
import { knexConfig } from './src/metastore/open-metastore.ts';

/** The resolved knex config, with the project's migrations. */
const config: Knex.Config = {
  ...knexConfig(resolveConfig({})),
  migrations: { directory: './migrations', loadExtensions: ['.ts'] },
};

export default config;
