/**
 * Logs are pino JSON; on a terminal they are pretty-printed. The logger is passed down as a
 * dependency, never reached as a global.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** A logger for the CLI: JSON to stderr, pretty when stderr is a terminal. */
export function createLogger(options: { readonly level?: string; readonly pretty?: boolean } = {}): Logger {
  const level = options.level ?? 'info';
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } } });
  }
  return pino({ level }, pino.destination(2));
}

/** A logger that drops everything (tests, library use without logging). */
export const silentLogger: Logger = pino({ level: 'silent' });
