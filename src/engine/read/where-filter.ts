/**
 * A read's `where` is one SQL expression over the table's columns, spliced into
 * `SELECT … WHERE (<where>)`. A caller may pass a user's filter, so the text is lexed the way
 * DuckDB lexes it (strings '…' and E'…', "identifiers", $tag$…$tag$, line and nested block comments)
 * and refused when it could be more than that: a `;` (a second statement), a `)` closing the
 * wrapping parenthesis (`1=1) UNION SELECT …`), or a subquery (which could read any file:
 * `EXISTS (FROM read_csv('/etc/passwd'))`).
 */
import { InvalidArgumentError } from '../../errors.ts';

/** Words that start a query; refused at the start of the filter or after `(` (SELECT anywhere). */
const QUERY_START = new Set(['select', 'from', 'with', 'values', 'table', 'pivot', 'unpivot', 'summarize', 'describe', 'show', 'explain']);

/** Raises `InvalidArgumentError` naming the filter unless it is a single expression (see above). */
export function checkWhereFilter(where: string): void {
  const refuse = (why: string): never => {
    throw new InvalidArgumentError(`the where filter ${JSON.stringify(where)} is not a single SQL expression: ${why}`, { value: where });
  };
  let depth = 0;
  let afterOpen = true; // at the start, or just after "("
  let i = 0;
  const n = where.length;
  while (i < n) {
    const c = where[i]!;
    const next = where[i + 1];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && next === '-') {
      const end = where.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      let level = 1;
      i += 2;
      while (i < n && level > 0) {
        if (where.startsWith('/*', i)) (level++, (i += 2));
        else if (where.startsWith('*/', i)) (level--, (i += 2));
        else i++;
      }
      if (level > 0) refuse('a comment is not closed');
      continue;
    }
    const escaped = (c === 'e' || c === 'E') && next === "'" && !/[\w$]/.test(where[i - 1] ?? '');
    if (c === "'" || c === '"' || escaped) {
      i = closingQuote(where, escaped ? i + 1 : i, escaped, refuse) + 1;
      afterOpen = false;
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(where.slice(i));
      if (tag !== null) {
        const end = where.indexOf(tag[0], i + tag[0].length);
        if (end < 0) refuse('a $-quoted string is not closed');
        i = end + tag[0].length;
        afterOpen = false;
        continue;
      }
    }
    if (c === ';') refuse('it has a ";" (only one statement runs, and the filter is part of it)');
    if (c === '(') {
      depth++;
      afterOpen = true;
      i++;
      continue;
    }
    if (c === ')') {
      if (--depth < 0) refuse('it closes a parenthesis it did not open');
      afterOpen = false;
      i++;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(where.slice(i, i + 64))?.[0];
    if (word !== undefined) {
      const w = word.toLowerCase();
      if (w === 'select' || (afterOpen && QUERY_START.has(w))) refuse(`it has a subquery or statement ("${word}"); filter on the table's columns`);
      afterOpen = false;
      i += word.length;
      continue;
    }
    afterOpen = false;
    i++;
  }
  if (depth !== 0) refuse('a parenthesis is not closed');
}

/**
 * The index of the quote closing the string ('…', E'…' with `backslash` escapes) or quoted name ("…")
 * that opens at `open`; a doubled quote stands for itself.
 */
function closingQuote(text: string, open: number, backslash: boolean, refuse: (why: string) => never): number {
  const quote = text[open]!;
  for (let i = open + 1; ; ) {
    if (i >= text.length) refuse(quote === '"' ? 'a quoted name is not closed' : 'a string is not closed');
    if (backslash && text[i] === '\\') i += 2;
    else if (text[i] === quote && text[i + 1] === quote) i += 2;
    else if (text[i] === quote) return i;
    else i++;
  }
}
