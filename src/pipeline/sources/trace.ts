/**
 * Points a failed transform or write at the source row behind it. DuckDB says which value failed a
 * cast (and usually from which column), and the engine which value, record key or ordering field
 * was bad and at which input row; but both speak of the relation they read (the staged source, the
 * transform's output), not of the file or query the row came from. So the value is looked up in
 * the staged source, and the source says where that row came from (`Source.locate`). Only
 * conversion and key errors are traced: for other failures (a transform's bad SQL) the source row
 * is not what is wrong.
 */
import { messageOf } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';
import type { Source } from './source.ts';

/** What an error says about the row it failed on: a value (and maybe its column), or a column that was null. */
export type Clue =
  | { readonly kind: 'value'; readonly value: string; readonly column: string | undefined }
  | { readonly kind: 'null'; readonly column: string; readonly orEmpty: boolean };

/** Columns searched for a value whose column the error does not name (the search is only on failure, but not unbounded). */
const MAX_COLUMNS_SEARCHED = 64;

/** The messages of an error and of its causes, outermost first. */
function messages(error: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(messageOf(e));
    if (!(e instanceof Error)) break;
  }
  return out;
}

/** The clue in an error's text, from the engine's messages (conform.ts) or DuckDB's conversion errors. */
export function clueOf(error: unknown): Clue | undefined {
  for (const text of messages(error)) {
    const key = /record key field "(.+?)" is null or empty/.exec(text);
    if (key !== null) return { kind: 'null', column: key[1]!, orEmpty: true };
    const ordering = /precombine field "(.+?)" is null/.exec(text);
    if (ordering !== null) return { kind: 'null', column: ordering[1]!, orEmpty: false };
    const engine = /value "(.*)" in column "(.+?)" \(input row/.exec(text);
    if (engine !== null) return { kind: 'value', value: engine[1]!, column: engine[2]! };
    if (!/Conversion Error|Could not parse string|Could not convert/.test(text)) continue;
    const column = /when casting from source column (?:"((?:[^"]|"")+)"|(\S+))/.exec(text);
    const value =
      /Could not convert string '(.*?)' to /.exec(text)?.[1] ??
      /with value (\S+) can't be cast/.exec(text)?.[1] ??
      /"([^"\n]*)"/.exec(text)?.[1] ??
      /'([^'\n]*)'/.exec(text)?.[1];
    if (value !== undefined) return { kind: 'value', value, column: column === null ? undefined : (column[1]?.replaceAll('""', '"') ?? column[2]) };
  }
  return undefined;
}

/** The text with `addition` at the end of its first line (what one-line views show); the rest kept. */
function onFirstLine(text: string, addition: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? `${text}${addition}` : `${text.slice(0, nl)}${addition}${text.slice(nl)}`;
}

/**
 * Where the clue's row is in the source, as a phrase for the message: the value's column and the
 * row's origin; or just the source, when the row is not in it (the transform made the value).
 */
async function originOf(duck: DuckSession, source: Source, relation: string, clue: Clue): Promise<string> {
  const columns = (await duck.describe(`SELECT * FROM ${relation}`)).names;
  const has = (c: string | undefined): c is string => c !== undefined && columns.includes(c);
  if (clue.kind === 'null') {
    if (!has(clue.column)) return `source: ${source.describe()}`;
    const col = sqlIdent(clue.column);
    const origin = await source.locate(relation, clue.orEmpty ? `${col} IS NULL OR CAST(${col} AS VARCHAR) = ''` : `${col} IS NULL`);
    return origin === undefined ? `source: ${source.describe()}` : `the first source row with "${clue.column}" ${clue.orEmpty ? 'null or empty' : 'null'} is ${origin}`;
  }
  const candidates = has(clue.column) ? [clue.column] : columns.slice(0, MAX_COLUMNS_SEARCHED);
  for (const column of candidates) {
    const predicate = `CAST(${sqlIdent(column)} AS VARCHAR) = ${sqlString(clue.value)}`;
    if ((await duck.rows(`SELECT 1 FROM ${relation} WHERE ${predicate} LIMIT 1`)).length === 0) continue;
    const origin = await source.locate(relation, predicate);
    if (origin !== undefined) return `the value ${sqlString(clue.value)} (column "${column}") comes from ${origin}`;
  }
  return `source: ${source.describe()}`;
}

/**
 * The message of a failed transform or write, with the source row behind it when the error is a
 * conversion or key error (`… ; the value 'abc' (column "amount") comes from /data/a.csv row 2
 * (line 3)`); otherwise the message unchanged. The staged source `relation` must still exist. A
 * failure of the tracing itself is said in the message, after the original error.
 */
export async function traceToSource(duck: DuckSession, source: Source, relation: string, error: unknown): Promise<string> {
  const message = messageOf(error);
  const clue = clueOf(error);
  if (clue === undefined) return message;
  try {
    return onFirstLine(message, `; ${await originOf(duck, source, relation, clue)}`);
  } catch (traceError) {
    return onFirstLine(message, `; source: ${source.describe()} (the row could not be traced: ${messageOf(traceError)})`);
  }
}
