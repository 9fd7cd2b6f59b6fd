/**
 * Logs are pino records: JSON lines, or one pretty line per event. The logger is passed down as a
 * dependency, never reached as a global.
 *
 * Every line is written synchronously, in the process, to the writer given (stderr by default):
 * no transport thread, so a command's last log line is out before its final output (a summary
 * table on stdout), never after it, and nothing is lost when the process exits.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type * as PinoPretty from 'pino-pretty';
import { type LogFormat, colorWanted } from './log-options.ts';

export type { Logger };

/** How to build a logger. */
export interface CreateLoggerOptions {
  /** pino level name (default `info`). */
  readonly level?: string;
  /** `pretty` or `json` (default: pretty when stderr is a terminal). */
  readonly format?: LogFormat;
  /** Shorthand for `format` (kept for callers of the first version). */
  readonly pretty?: boolean;
  /** Colour in pretty lines (default: by FORCE_COLOR, NO_COLOR and whether stderr is a terminal). */
  readonly color?: boolean;
  /** Where each line goes, newline included (default: stderr). */
  readonly write?: (line: string) => void;
}

/**
 * A logger for the CLI. Pretty lines are single lines: fields go after the message as one JSON
 * object (pino-pretty's `singleLine`), errors inline rather than as an indented stack, and line
 * breaks inside a message are shown as `⏎`, so one event is one line whatever it carries.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string): void => void process.stderr.write(line));
  const format = options.format ?? (options.pretty === undefined ? (process.stderr.isTTY === true ? 'pretty' : 'json') : options.pretty ? 'pretty' : 'json');
  if (format === 'json') return pino({ level }, { write });
  const pretty = prettyLines(options.color ?? colorWanted(process.env, process.stderr.isTTY === true));
  return pino({ level }, { write: (record: string) => write(pretty(record)) });
}

/** pino-pretty's formatter, loaded only when pretty lines are asked for (it costs start-up time). */
function prettyLines(colorize: boolean): (record: string) => string {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return prettyFactory({
    colorize,
    singleLine: true,
    // Error-like fields are printed as indented multi-line stacks otherwise.
    errorLikeObjectKeys: [],
    ignore: 'pid,hostname',
    translateTime: 'SYS:HH:MM:ss.l',
    messageFormat: (log, messageKey) => String(log[messageKey] ?? '').replace(/\s*\r?\n\s*/g, ' ⏎ '),
  });
}

/** A logger that drops everything (tests, library use without logging). */
export const silentLogger: Logger = pino({ level: 'silent' });
