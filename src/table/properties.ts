/**
 * Java `.properties` text as `java.util.Properties` reads and writes it (the format of
 * `.hoodie/hoodie.properties`), plus Hudi's table checksum. Pure: callers do the file I/O. Java reads
 * these files as ISO-8859-1 and writes every other character as a `\uXXXX` escape, so decoding the
 * bytes as `latin1` before `parseProperties` reproduces Java exactly.
 */
import { TableFormatError } from '../errors.ts';

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';
const isEol = (c: string): boolean => c === '\n' || c === '\r';

/**
 * Splits text into Java's "logical lines": comment and blank lines dropped, leading whitespace of
 * every natural line dropped, and a line ending in an odd number of backslashes joined with the next.
 * Escapes are kept as written (they are decoded per key and value). This follows Java's LineReader
 * character by character, including its corner cases: a comment never continues; `#` at the start
 * of a continuation is data; a logical line still empty when a line break ends it is skipped.
 */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  let skipBlank = true; // skipping leading whitespace of a natural line
  let continuation = false; // that natural line continues the previous one
  let lineStart = true; // the next character is the first of a new logical line
  let comment = false;
  let backslash = false; // the last data character is an unescaped backslash
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (skipBlank) {
      if (isBlank(c) || (!continuation && isEol(c))) continue;
      skipBlank = false;
      continuation = false;
    }
    if (lineStart) {
      lineStart = false;
      if (c === '#' || c === '!') {
        comment = true;
        continue;
      }
    }
    if (!isEol(c)) {
      if (!comment) line += c;
      backslash = c === '\\' ? !backslash : false;
      continue;
    }
    if (comment || line === '') {
      comment = false;
      backslash = false;
      lineStart = true;
      skipBlank = true;
      line = '';
      continue;
    }
    if (backslash) {
      line = line.slice(0, -1);
      backslash = false;
      skipBlank = true;
      continuation = true;
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else {
      lines.push(line);
      line = '';
      lineStart = true;
      skipBlank = true;
    }
  }
  // At end of input a trailing odd backslash is dropped (after the emptiness check, as in Java).
  if (!comment && line !== '') lines.push(backslash ? line.slice(0, -1) : line);
  return lines;
}

/** Decodes the backslash escapes of one key or value (`\uXXXX`, `\t\n\r\f`, any other `\c` → `c`). */
function unescape(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = raw.slice(i + 1, i + 5);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
        throw new TableFormatError(`Malformed \\uxxxx escape in properties text: "\\u${hex}"`, { value: raw });
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else if (next === 't') out += '\t';
    else if (next === 'r') out += '\r';
    else if (next === 'n') out += '\n';
    else if (next === 'f') out += '\f';
    else out += next;
  }
  return out;
}

/** Parses `.properties` text with `java.util.Properties.load` semantics; later duplicates win. */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of logicalLines(text)) {
    // The key ends at the first unescaped `=`, `:` or whitespace.
    let keyEnd = 0;
    let valueStart = line.length;
    let hasSeparator = false;
    let escaped = false;
    for (; keyEnd < line.length; keyEnd++) {
      const c = line[keyEnd]!;
      if (!escaped && (c === '=' || c === ':')) {
        valueStart = keyEnd + 1;
        hasSeparator = true;
        break;
      }
      if (!escaped && isBlank(c)) {
        valueStart = keyEnd + 1;
        break;
      }
      escaped = c === '\\' ? !escaped : false;
    }
    // Whitespace around the separator is dropped, and after a whitespace separator one `=`/`:` too.
    while (valueStart < line.length) {
      const c = line[valueStart]!;
      if (!isBlank(c)) {
        if (!hasSeparator && (c === '=' || c === ':')) hasSeparator = true;
        else break;
      }
      valueStart++;
    }
    result.set(unescape(line.slice(0, keyEnd)), unescape(line.slice(valueStart)));
  }
  return result;
}

/** Java's `saveConvert`: keys escape every space, values only a leading one; non-ASCII as `\uXXXX`. */
function escape(s: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = s.charCodeAt(i);
    if (code > 61 && code < 127) {
      out += c === '\\' ? '\\\\' : c;
      continue;
    }
    switch (c) {
      case ' ':
        out += i === 0 || isKey ? '\\ ' : ' ';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${c}`;
        break;
      default:
        // UTF-16 code units, as Java's char: a supplementary character becomes two escapes.
        out += code < 0x20 || code > 0x7e ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}` : c;
    }
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Java's `Instant.toString()` at millisecond precision: the fraction is omitted when it is zero. */
function javaInstant(d: Date): string {
  const iso = d.toISOString();
  return d.getUTCMilliseconds() === 0 ? iso.replace(/\.000Z$/, 'Z') : iso;
}

/** Java's `Date.toString()` in a UTC JVM: `Thu Apr 18 22:35:50 UTC 2024`. */
function javaDateString(d: Date): string {
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ${time} UTC ${d.getUTCFullYear()}`;
}

/** Renders entries, in the given order, as Hudi's `Properties.store(out, "Properties saved on " + now)` would. */
export function formatProperties(entries: ReadonlyArray<readonly [string, string]>, savedAt: Date): string {
  const lines = [`#Properties saved on ${javaInstant(savedAt)}`, `#${javaDateString(savedAt)}`];
  for (const [key, value] of entries) lines.push(`${escape(key, true)}=${escape(value, false)}`);
  return `${lines.join('\n')}\n`;
}

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE, as `java.util.zip.CRC32`) of the bytes, as an unsigned number. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** `hoodie.table.checksum`: CRC32 of UTF-8 `"<db>.<table>"` as an unsigned decimal string. */
export function tableChecksum(databaseName: string, tableName: string): string {
  return String(crc32(new TextEncoder().encode(`${databaseName}.${tableName}`)));
}
