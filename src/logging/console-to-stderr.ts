/**
 * The CLI's stdout carries data only (a table, JSON, CSV) that scripts parse; its own output is
 * written with `process.stdout.write`, never with `console`. Libraries print their chatter with
 * `console.log` though (knex's default logger does, for every failed connection, stack included),
 * which would land in the middle of that data. While a command runs, `console`'s stdout methods
 * write to stderr instead, as a net under the drivers' own log settings (see `knexConfig`).
 */
import { format } from 'node:util';

/** The `console` methods that write to stdout (`console.error`, `warn` and `trace` already use stderr). */
const STDOUT_METHODS = ['log', 'info', 'debug', 'dir', 'table'] as const;

/** Sends `console.log` and the other stdout methods to stderr; returns what puts them back. */
export function consoleToStderr(): () => void {
  const target = console as unknown as Record<string, unknown>;
  const saved = STDOUT_METHODS.map((name) => [name, target[name]] as const);
  const toStderr = (...args: unknown[]): void => void process.stderr.write(`${format(...args)}\n`);
  for (const name of STDOUT_METHODS) target[name] = toStderr;
  return () => {
    for (const [name, fn] of saved) target[name] = fn;
  };
}
