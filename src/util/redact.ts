/**
 * Secrets out of text meant for people (messages, logs): connection URLs and connection strings
 * lose their passwords. Pure; used by the error hierarchy, so it imports nothing.
 */

/** Query or keyword parameters that carry a password (libpq's and common drivers' names). */
const SECRET_PARAMS = /\b((?:ssl)?password|pass|pwd)=(?:'(?:[^'\\]|\\.)*'|[^&\s'";]*)/gi;
/** A URL with a scheme and an authority, up to white space or a quote. */
const URL_TOKEN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>`]+/gi;

/**
 * `url` with the password of its userinfo replaced by `***`. The userinfo is everything between
 * `://` and the last `@` (a password may hold `/`, `@`, `:` unescaped); when that span also holds
 * `/`, `?` or `#` it may be path or query text with an `@` in it, and it is hidden whole (too much
 * hidden beats a password shown).
 */
function redactUserinfo(url: string): string {
  const start = url.indexOf('://') + 3;
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  const info = url.slice(start, at);
  const colon = info.indexOf(':');
  if (/[/?#]/.test(info)) return `${url.slice(0, start)}***${url.slice(at)}`;
  if (colon < 0) return url; // a user name only
  return `${url.slice(0, start)}${info.slice(0, colon)}:***${url.slice(at)}`;
}

/**
 * The text with every password hidden: in URLs (`postgres://user:secret@host/db` →
 * `postgres://user:***@host/db`, percent-encoded or not), and in `password=`, `pass=`, `pwd=`,
 * `sslpassword=` parameters (of a URL's query or a keyword connection string).
 */
export function redact(text: string): string {
  return text.replace(URL_TOKEN, redactUserinfo).replace(SECRET_PARAMS, '$1=***');
}

/**
 * The error itself when its message and stack hold no secret, else a copy (same name, own
 * properties such as `code`, redacted message and stack, redacted cause chain).
 */
export function redactError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 8) return error;
  const message = redact(error.message);
  const cause = redactError(error.cause, depth + 1);
  const stack = error.stack === undefined ? undefined : redact(error.stack);
  if (message === error.message && cause === error.cause && stack === error.stack) return error;
  const copy = new Error(message, cause === undefined ? undefined : { cause });
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'message' && key !== 'stack' && key !== 'cause') (copy as unknown as Record<string, unknown>)[key] = typeof value === 'string' ? redact(value) : value;
  }
  copy.name = error.name;
  if (stack !== undefined) copy.stack = stack;
  return copy;
}
