/**
 * The CLI's exit codes and error messages. One map from Tidemark error codes to exit codes:
 *   0 ok, 1 runtime failure (or a failed pipeline run), 2 usage or bad input, 3 table, warehouse or
 *   metastore missing, or a table unreadable, 4 conflict with another writer (commit conflict, embedded metastore in use).
 * Errors print as `tidemark: <message>` plus one `caused by: <message>` line per cause (unless the
 * message above already quotes it); stack traces only with TIDEMARK_DEBUG=1. Passwords are redacted
 * from all of it (a driver's error may quote the connection URL).
 */
import { type ErrorCode, TidemarkError, messageOf } from '../errors.ts';
import { redact } from '../util/redact.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_TABLE = 3;
export const EXIT_CONFLICT = 4;

/** Exit code of each Tidemark error code. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  INVALID_INPUT: EXIT_USAGE,
  INVALID_ARGUMENT: EXIT_USAGE,
  SCHEMA_CONFLICT: EXIT_USAGE,
  INVALID_INSTANT: EXIT_USAGE,
  TABLE_EXISTS: EXIT_USAGE,
  TABLE_NOT_FOUND: EXIT_TABLE,
  NOT_FOUND: EXIT_TABLE,
  TABLE_FORMAT: EXIT_TABLE,
  UNSUPPORTED_TABLE_VERSION: EXIT_TABLE,
  COMMIT_CONFLICT: EXIT_CONFLICT,
  METASTORE_IN_USE: EXIT_CONFLICT,
  STORAGE: EXIT_FAILURE,
  METASTORE: EXIT_FAILURE,
};

/** The exit code of a thrown value: by its Tidemark code, else 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof TidemarkError ? EXIT_CODES[error.code] ?? EXIT_FAILURE : EXIT_FAILURE;
}

/** The stderr text of an error: message, cause chain, and stacks when `debug`. */
export function formatError(error: unknown, debug = process.env.TIDEMARK_DEBUG === '1'): string {
  let last = messageOf(error);
  const lines = [`tidemark: ${last}`];
  const seen = new Set<unknown>([error]);
  let cause = error instanceof Error ? error.cause : undefined;
  while (cause !== undefined && cause !== null && !seen.has(cause)) {
    seen.add(cause);
    const message = messageOf(cause);
    // Wrapping errors often quote their cause; a line that repeats it adds nothing.
    if (!last.includes(message.trim())) lines.push(`caused by: ${message}`);
    last = message;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (debug) {
    for (const e of seen) if (e instanceof Error && e.stack) lines.push(e.stack);
  }
  return redact(lines.join('\n')) + '\n';
}
