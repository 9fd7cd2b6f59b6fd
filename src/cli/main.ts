/**
 * The `tidemark` command line: builds the commander program and runs it in-process, returning the
 * exit code. Each command opens one engine, uses it, and closes it.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { Tidemark } from '../engine/tidemark.ts';
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

/** What a command needs: the output streams and an engine for the duration of the command. */
export interface CliContext {
  readonly io: CliIo;
  withEngine<T>(fn: (tm: Tidemark) => Promise<T>): Promise<T>;
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
export function buildProgram(io: CliIo = processIo): Command {
  const ctx: CliContext = {
    io,
    async withEngine(fn) {
      const tm = await Tidemark.open();
      try {
        return await fn(tm);
      } finally {
        tm.close();
      }
    },
  };
  const program = new Command('tidemark')
    .description('Hudi-compatible copy-on-write tables on DuckDB: write batches, read snapshots and increments, inspect the timeline.')
    .version(packageVersion(), '-V, --version')
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
  return program;
}

/** Runs the CLI on `argv` (the arguments after the script name); resolves to the exit code. */
export async function main(argv: ReadonlyArray<string>, io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // commander has already printed its own message (or the help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    io.stderr(formatError(error));
    return exitCodeOf(error);
  }
}
