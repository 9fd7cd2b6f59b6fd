/**
 * The `tidemark` command line: builds the commander program and runs it in-process, returning the
 * exit code. Each command opens one engine, uses it, and closes it.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { type ConfigFlags, resolveConfig } from '../config/config.ts';
import { Tidemark } from '../engine/tidemark.ts';
import { createLogger } from '../logging/logger.ts';
import { TidemarkSession } from '../session.ts';
import { registerDailyRun } from './commands/daily-run.ts';
import { registerInit } from './commands/init.ts';
import { registerStatus } from './commands/status.ts';
import { registerTables } from './commands/tables.ts';
import { registerTableServices } from './commands/table-services.ts';
import { resolveTablePath } from './table-names.ts';
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

/** What a command needs: the output streams, the global flags, and the engine or a whole session. */
export interface CliContext {
  readonly io: CliIo;
  /** `--metastore`, `--warehouse`, `--catalog` as given (env and defaults fill the rest). */
  flags(): ConfigFlags;
  withEngine<T>(fn: (tm: Tidemark) => Promise<T>): Promise<T>;
  /** Engine, metastore and catalog, with a logger (pino; pretty on a terminal). */
  withSession<T>(fn: (session: TidemarkSession) => Promise<T>): Promise<T>;
  /** A table path, or a registered name (`sales.orders`) looked up in the metastore. */
  tablePath(nameOrPath: string): Promise<string>;
  /** Sets the exit code for a command that completes but reports failure (a failed run, a stale pipeline). */
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The program with its four commands. Errors surface as exceptions (commander's `exitOverride`). */
export function buildProgram(io: CliIo = processIo, exit: { code: number } = { code: EXIT_OK }): Command {
  const flags = (): ConfigFlags => {
    const o = program.opts<{ metastore?: string; warehouse?: string; catalog?: string }>();
    return { ...(o.metastore ? { metastore: o.metastore } : {}), ...(o.warehouse ? { warehouse: o.warehouse } : {}), ...(o.catalog ? { catalog: o.catalog } : {}) };
  };
  const ctx: CliContext = {
    io,
    flags,
    async withEngine(fn) {
      const tm = await Tidemark.open();
      try {
        return await fn(tm);
      } finally {
        tm.close();
      }
    },
    async withSession(fn) {
      const session = await TidemarkSession.open({ ...flags(), logger: createLogger() });
      try {
        return await fn(session);
      } finally {
        await session.close();
      }
    },
    async tablePath(nameOrPath) {
      return resolveTablePath(resolveConfig(flags()), nameOrPath);
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
  registerWrite(program, ctx);
  registerRead(program, ctx);
  registerCommits(program, ctx);
  registerSql(program, ctx);
  registerInit(program, ctx);
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
