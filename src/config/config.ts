/**
 * Settings resolution: the only module that reads `process.env` for Tidemark settings. Precedence is
 * defaults < environment (`TIDEMARK_METASTORE_URL`, `TIDEMARK_WAREHOUSE`, `TIDEMARK_CATALOG`) < flags,
 * so a flag always wins and a shell profile can set a team-wide default.
 */
import path from 'node:path';
import { InvalidArgumentError } from '../errors.ts';
import { redact } from '../util/redact.ts';

/** Settings given on the command line (or by an API caller); unset fields fall through to the environment. */
export interface ConfigFlags {
  readonly metastore?: string | undefined;
  readonly warehouse?: string | undefined;
  readonly catalog?: string | undefined;
}

/** Fully resolved settings: absolute paths, and the metastore URL or the embedded store's directory. */
export interface ResolvedConfig {
  /** A `postgres://` URL of a server metastore; undefined means the embedded PGlite store. */
  readonly metastoreUrl: string | undefined;
  /** Where the embedded store lives (used only when `metastoreUrl` is undefined). */
  readonly embeddedMetastoreDir: string;
  readonly warehouse: string;
  readonly catalog: string;
}

/** Default warehouse directory, relative to the working directory. */
export const DEFAULT_WAREHOUSE = './warehouse';
/** Default catalog directory, relative to the working directory. */
export const DEFAULT_CATALOG = './catalog';
/** Name of the embedded metastore's directory inside the warehouse. */
export const EMBEDDED_METASTORE_DIRNAME = '.metastore';

/** Resolves settings from flags, then `env`, then defaults; paths are made absolute against `cwd`. */
export function resolveConfig(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): ResolvedConfig {
  const metastoreUrl = pick(flags.metastore, env.TIDEMARK_METASTORE_URL);
  if (metastoreUrl !== undefined && !/^postgres(ql)?:\/\//i.test(metastoreUrl)) {
    throw new InvalidArgumentError(
      `metastore URL must start with postgres:// or postgresql:// (got "${redact(metastoreUrl)}")`,
      { value: redact(metastoreUrl) },
    );
  }
  const warehouse = path.resolve(cwd, pick(flags.warehouse, env.TIDEMARK_WAREHOUSE) ?? DEFAULT_WAREHOUSE);
  const catalog = path.resolve(cwd, pick(flags.catalog, env.TIDEMARK_CATALOG) ?? DEFAULT_CATALOG);
  return Object.freeze({
    metastoreUrl,
    embeddedMetastoreDir: path.join(warehouse, EMBEDDED_METASTORE_DIRNAME),
    warehouse,
    catalog,
  });
}

/** The first set value; an empty string counts as unset (`TIDEMARK_WAREHOUSE= tidemark ...`). */
function pick(...values: ReadonlyArray<string | undefined>): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== '')?.trim();
}

/** Text (a URL, a message) without passwords, for messages and logs; see `util/redact.ts`. */
export { redact };
