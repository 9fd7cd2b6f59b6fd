/**
 * The `tidemark` command line: builds the commander program and runs it in-process, returning the
 * exit code. Each command opens what it uses and closes it. Start-up cost matters (cron, scripts):
 * this module and the commands' declarations load only commander and light modules; the engine
 * (DuckDB), the metastore (knex, PGlite) and the pipelines are imported when an action needs them.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from './commander.ts';
import { type ConfigFlags, resolveConfig } from '../config/config.ts';
import { LOG_FORMATS, LOG_LEVELS, type LogFlags, type LogOptions, resolveLogOptions } from '../logging/log-options.ts';
import type { Logger } from '../logging/logger.ts';
import { consoleToStderr } from '../logging/console-to-stderr.ts';
import { noProgress, progressWanted, startProgress } from './progress.ts';
import { registerDailyRun } from './commands/daily-run.ts';
import { registerDemo } from './commands/demo.ts';
import { registerInit } from './commands/init.ts';
import { registerRuns } from './commands/runs.ts';
import { registerStatus } from './commands/status.ts';
import { registerTables } from './commands/tables.ts';
import { registerTableServices } from './commands/table-services.ts';
import { registerCommits } from './commands/commits.ts';
import { registerRead } from './commands/read.ts';
import { registerSql } from './commands/sql.ts';
import { registerWrite } from './commands/write.ts';
import { EXIT_OK, EXIT_USAGE, exitCodeOf, formatError } from './exit-codes.ts';
import { fdWriter } from './stream-stdout.ts';
import type { CliContext, CliIo } from './cli-context.ts';

export type { CliContext, CliIo, SessionNeeds } from './cli-context.ts';

export const processIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  write: fdWriter(1),
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
  // Set before each action (a `preAction` hook): loading pino is left to commands that run.
  let logging: { readonly options: LogOptions; readonly logger: Logger } | undefined;
  const logger = (): Logger => {
    if (logging === undefined) throw new Error('the logger is set up before a command runs; it was asked for before');
    return logging.logger;
  };
  const ctx: CliContext = {
    io,
    flags,
    async withEngine(fn) {
      const { Tidemark } = await import('../engine/tidemark.ts');
      const tm = await Tidemark.open({ onWarning: (message) => logger().warn(message) });
      try {
        return await fn(tm);
      } finally {
        tm.close();
      }
    },
    async withMetastore(fn, needs = {}) {
      const { openMetastore } = await import('../metastore/open-metastore.ts');
      const metastore = await openMetastore(resolveConfig(flags()), {
        create: needs.readOnly !== true,
        onNotice: (message) => logger().warn(message),
        onDriverLog: (level, message) => logger()[level](message),
      });
      try {
        return await fn(metastore);
      } finally {
        await metastore.close();
      }
    },
    async withSession(fn, needs = {}) {
      const { TidemarkSession } = await import('../session.ts');
      const session = await TidemarkSession.open({
        ...flags(),
        logger: logger(),
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
      logger().warn(`skipped a catalog module: ${problem.error.message}`);
    },
    setExitCode(code) {
      exit.code = code;
    },
    logger,
    startProgress(label) {
      // Only on the real streams: output captured through a custom CliIo is not a terminal's.
      return io === processIo && logging !== undefined && progressWanted(logging.options) ? startProgress(label) : noProgress;
    },
  };
  const program: Command = new Command('tidemark')
    .description('Hudi-compatible copy-on-write tables on DuckDB, with a PostgreSQL metastore and incremental pipelines.')
    .version(packageVersion(), '-V, --version')
    .option('--metastore <url>', 'PostgreSQL URL of the metastore (env TIDEMARK_METASTORE_URL; default: embedded PGlite under the warehouse)')
    .option('--warehouse <dir>', 'data root for tables created by pipelines (env TIDEMARK_WAREHOUSE; default ./warehouse)')
    .option('--catalog <dir>', 'directory of pipeline definitions (env TIDEMARK_CATALOG; default ./catalog)')
    .addOption(new Option('--log-level <level>', 'log level (default info)').choices(LOG_LEVELS).env('TIDEMARK_LOG_LEVEL'))
    .option('-q, --quiet', 'log only warnings and errors, and show no progress')
    .addOption(new Option('--log-format <format>', 'format of the log lines on stderr (default: pretty on a terminal, else json)').choices(LOG_FORMATS).env('TIDEMARK_LOG_FORMAT'))
    .hook('preAction', async () => {
      const { createLogger } = await import('../logging/logger.ts');
      // Output captured through a custom CliIo is not a terminal's, whatever process.stderr is.
      const options = resolveLogOptions(program.opts<LogFlags>(), process.env, io === processIo && process.stderr.isTTY === true);
      logging = { options, logger: createLogger({ ...options, write: io.stderr }) };
    })
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
  registerRuns(program, ctx);
  registerTableServices(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (the arguments after the script name); resolves to the exit code. */
export async function main(argv: ReadonlyArray<string>, io: CliIo = processIo): Promise<number> {
  const exit = { code: EXIT_OK };
  const program = buildProgram(io, exit);
  // On the real streams, stdout is the command's data alone: drivers' console output goes to stderr.
  const restoreConsole = io === processIo ? consoleToStderr() : () => undefined;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit.code;
  } catch (error) {
    // commander has already printed its own message (or the help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    io.stderr(formatError(error));
    return exitCodeOf(error);
  } finally {
    restoreConsole();
  }
}
