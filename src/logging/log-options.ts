/**
 * How the CLI logs, decided once per command from its flags, the environment and the terminal:
 * the level, the format (pretty lines or JSON lines), and whether pretty lines are coloured. Pure
 * and light (no pino), so the CLI can parse its flags without loading a logger.
 */
import { InvalidArgumentError } from '../errors.ts';

/** Log levels, most verbose first (pino's names); `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `pretty`: one human-readable line per event; `json`: one JSON object per line (pino's). */
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What the CLI was told (undefined: not given). */
export interface LogFlags {
  readonly logLevel?: string;
  readonly logFormat?: string;
  readonly quiet?: boolean;
}

/** The settled choice. */
export interface LogOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Colour in pretty lines. */
  readonly color: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Whether `level` is a known level name. */
export function isLogLevel(level: string): level is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(level);
}

/** Whether events of `level` pass a logger set to `threshold`. */
export function logs(threshold: LogLevel, level: Exclude<LogLevel, 'silent'>): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/**
 * Colour, by the usual conventions, for a stream that is a terminal or not: `FORCE_COLOR` wins
 * (`0` or `false` turn colour off, any other value on; Node gives it precedence over `NO_COLOR`
 * too), then a non-empty `NO_COLOR` turns it off (no-color.org), then a terminal other than
 * `TERM=dumb` has colour.
 */
export function colorWanted(env: Env, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

/**
 * The log options of one command. Level: `--log-level` (commander has already applied
 * `TIDEMARK_LOG_LEVEL`), default `info`; `--quiet` caps it at `warn` (a stricter level given with it
 * stays). Format: `--log-format`, default pretty on a terminal and JSON otherwise (a file, a pipe,
 * cron), where lines are read by programs.
 */
export function resolveLogOptions(flags: LogFlags, env: Env, stderrIsTTY: boolean): LogOptions {
  const level = flags.logLevel ?? 'info';
  if (!isLogLevel(level)) throw new InvalidArgumentError(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`, { value: level });
  const given = flags.logFormat;
  if (given !== undefined && !(LOG_FORMATS as readonly string[]).includes(given)) {
    throw new InvalidArgumentError(`log format "${given}" is not one of ${LOG_FORMATS.join(', ')}`, { value: given });
  }
  const quietLevel: LogLevel = flags.quiet === true && LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf('warn') ? 'warn' : level;
  const format = (given as LogFormat | undefined) ?? (stderrIsTTY ? 'pretty' : 'json');
  return { level: quietLevel, format, color: format === 'pretty' && colorWanted(env, stderrIsTTY) };
}
