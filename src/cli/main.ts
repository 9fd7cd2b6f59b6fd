/**
 * The `tidemark` command line: builds the commander program and runs it in-process, returning the
 * exit code. Each command opens what it uses and closes it. Start-up cost matters (cron, scripts):
 * this module and the commands' declarations load only commander and light modules; the engine
 * (DuckDB), the metastore (knex, PGlite) and the pipelines are imported when an action needs them.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from './commander.ts';
import { type ConfigFlags, resolveConfig } from '../config/config.ts';
import type { CatalogProblem } from '../definitions/load-catalog.ts';
import type { Tidemark } from '../engine/tidemark.ts';
import type { Metastore } from '../metastore/metastore.ts';
import type { TidemarkSession } from '../session.ts';
import { registerDailyRun } from './commands/daily-run.ts';
import { registerDemo } from './commands/demo.ts';
import { registerInit } from './commands/init.ts';
import { registerStatus } from './commands/status.ts';
import { registerTables } from './commands/tables.ts';
import { registerTableServices } from './commands/table-services.ts';
import { registerCommits } from './commands/commits.ts';
import { registerRead } from './commands/read.ts';
import { registerSql } from './commands/sql.ts';
import { registerWrite } from './commands/write.ts';
import { EXIT_OK, EXIT_USAGE, exitCodeOf, formatError } from './exit-codes.ts';

/** Where the CLI writes; text is written as given (renderers end lines themselves). */
export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

/** What a command needs of the catalog (read-only commands use `withMetastore` or `withEngine`, which create nothing). */
export interface SessionNeeds {
  /**
   * `required`: the command runs pipelines, so a missing catalog directory or a module that fails to
   * load is an error. `lenient` (default): a broken module is a warning and is skipped.
   */
  readonly catalog?: 'required' | 'lenient';
}

/** What a command needs: the output streams, the global flags, and the engine or a whole session. */
export interface CliContext {
  readonly io: CliIo;
  /** `--metastore`, `--warehouse`, `--catalog` as given (env and defaults fill the rest). */
  flags(): ConfigFlags;
  withEngine<T>(fn: (tm: Tidemark) => Promise<T>): Promise<T>;
  /** The metastore alone (no engine, no catalog). */
  withMetastore<T>(fn: (metastore: Metastore) => Promise<T>, needs?: { readonly readOnly?: boolean }): Promise<T>;
  /** Engine, metastore and catalog, with a logger (pino; pretty on a terminal). */
  withSession<T>(fn: (session: TidemarkSession) => Promise<T>, needs?: SessionNeeds): Promise<T>;
  /** A table path, or a registered name (`sales.orders`) looked up in the metastore (never created). */
  tablePath(nameOrPath: string): Promise<string>;
  /** Prints a catalog module that was skipped. */
  warnCatalogProblem(problem: CatalogProblem): void;
  /** Sets the exit code for a command that completes but reports failure (a failed run, a stale pipeline). */
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

/** The package's version, from the nearest `package.json` above this module (in the sources or in `dist/`). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tidemark' && pkg.version !== undefined) return pkg.version;
    } catch {
      // not at this level; try the next
    }
  }
  return '0.0.0';
}

/** The program with its commands. Errors surface as exceptions (commander's `exitOverride`). */
export function buildProgram(io: CliIo = processIo, exit: { code: number } = { code: EXIT_OK }): Command {
  const flags = (): ConfigFlags => {
    const o = program.opts<{ metastore?: string; warehouse?: string; catalog?: string }>();
    return { ...(o.metastore ? { metastore: o.metastore } : {}), ...(o.warehouse ? { warehouse: o.warehouse } : {}), ...(o.catalog ? { catalog: o.catalog } : {}) };
  };
  const ctx: CliContext = {
    io,
    flags,
    async withEngine(fn) {
      const { Tidemark } = await import('../engine/tidemark.ts');
      const tm = await Tidemark.open();
      try {
        return await fn(tm);
      } finally {
        tm.close();
      }
    },
    async withMetastore(fn, needs = {}) {
      const { openMetastore } = await import('../metastore/open-metastore.ts');
      const metastore = await openMetastore(resolveConfig(flags()), { create: needs.readOnly !== true });
      try {
        return await fn(metastore);
      } finally {
        await metastore.close();
      }
    },
    async withSession(fn, needs = {}) {
      const [{ TidemarkSession }, { createLogger }] = await Promise.all([import('../session.ts'), import('../logging/logger.ts')]);
      const session = await TidemarkSession.open({
        ...flags(),
        logger: createLogger(),
        catalogMode: needs.catalog ?? 'lenient',
        onCatalogProblem: (p) => ctx.warnCatalogProblem(p),
      });
      try {
        return await fn(session);
      } finally {
        await session.close();
      }
    },
    async tablePath(nameOrPath) {
      const { resolveTablePath } = await import('./table-names.ts');
      return resolveTablePath(resolveConfig(flags()), nameOrPath);
    },
    warnCatalogProblem(problem) {
      io.stderr(`tidemark: warning: skipped a catalog module: ${problem.error.message}\n`);
    },
    setExitCode(code) {
      exit.code = code;
    },
  };
  const program: Command = new Command('tidemark')
    .description('Hudi-compatible copy-on-write tables on DuckDB, with a PostgreSQL metastore and incremental pipelines.')
    .version(packageVersion(), '-V, --version')
    .option('--metastore <url>', 'PostgreSQL URL of the metastore (env TIDEMARK_METASTORE_URL; default: embedded PGlite under the warehouse)')
    .option('--warehouse <dir>', 'data root for tables created by pipelines (env TIDEMARK_WAREHOUSE; default ./warehouse)')
    .option('--catalog <dir>', 'directory of pipeline definitions (env TIDEMARK_CATALOG; default ./catalog)')
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (str, write) => write(`tidemark: ${str.replace(/^error: /, '')}`),
    })
    .showHelpAfterError('(add --help for usage)');
  registerInit(program, ctx);
  registerDemo(program, ctx);
  registerWrite(program, ctx);
  registerRead(program, ctx);
  registerCommits(program, ctx);
  registerSql(program, ctx);
  registerTables(program, ctx);
  registerDailyRun(program, ctx);
  registerStatus(program, ctx);
  registerTableServices(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (the arguments after the script name); resolves to the exit code. */
export async function main(argv: ReadonlyArray<string>, io: CliIo = processIo): Promise<number> {
  const exit = { code: EXIT_OK };
  const program = buildProgram(io, exit);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit.code;
  } catch (error) {
    // commander has already printed its own message (or the help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    io.stderr(formatError(error));
    return exitCodeOf(error);
  }
}
