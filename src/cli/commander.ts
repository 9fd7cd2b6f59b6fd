/**
 * commander, loaded with `require`: the package is CommonJS, and importing it as an ES module costs
 * the CLI's start-up a lexing pass over its sources (about 15 ms of a 0.2 s `--help`).
 */
import { createRequire } from 'node:module';
import type * as Commander from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, CommanderError, InvalidArgumentError, Option } = commander;
export type Command = Commander.Command;
export type CommanderError = Commander.CommanderError;
