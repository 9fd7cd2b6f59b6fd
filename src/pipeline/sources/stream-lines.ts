/**
 * Messages as JSON lines for DuckDB's `read_json`: the stream columns first, then the value's fields
 * spliced in unparsed (`json`: the value must be one JSON object) or the value as a string (`text`).
 * Values are not parsed here (that would double the cost of a batch): DuckDB parses them, and only
 * when it fails is the spool scanned to name the first message that is not what the format says.
 */
import { rowFileLines } from '../../storage/row-files.ts';
import type { StreamMessage } from '../../streams/stream-port.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The field a line carries instead of the value when the value cannot be spliced in: why, in words. */
export const UNDECODABLE = '__tm_undecodable';

/** One message's line (with its newline). */
export function spoolLine(topic: string, m: StreamMessage, format: 'json' | 'text'): string {
  const head = `{"_topic":${JSON.stringify(topic)},"_partition":${m.partition},"_offset":${m.offset},"_timestamp":${m.timestamp === null ? 'null' : m.timestamp.getTime()},"_key":${m.key === null ? 'null' : JSON.stringify(m.key)}`;
  if (m.value === null) return `${head}}\n`; // a tombstone: the value's columns are null
  let text: string;
  try {
    text = utf8.decode(m.value);
  } catch {
    return `${head},"${UNDECODABLE}":"not UTF-8"}\n`; // DuckDB reads it; the check below names it
  }
  if (format === 'text') return `${head},"value":${JSON.stringify(text)}}\n`;
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) return `${head},"${UNDECODABLE}":${JSON.stringify(body.length > 80 ? `${body.slice(0, 80)}…` : body)}}\n`;
  const inner = body.slice(1, -1).trim();
  // One line each: a newline inside the value's JSON is whitespace, so it can become a space.
  return inner === '' ? `${head}}\n` : `${head},${inner.replace(/[\r\n]+/g, ' ')}}\n`;
}

const POSITION = /^\{"_topic":(?:"(?:[^"\\]|\\.)*"),"_partition":(\d+),"_offset":(\d+)/;

/**
 * The message DuckDB could not read: the first that does not decode, with why, or else the one on
 * the line DuckDB's error names (`in line N`: a value with a field of a stream column's name, say).
 */
export async function findUndecodable(file: string, duckdbError: string): Promise<{ partition: number; offset: string; reason: string; decodes: boolean } | undefined> {
  const named = /in line (\d+)/.exec(duckdbError);
  let n = 0;
  for await (const line of rowFileLines(file)) {
    n++;
    const at = POSITION.exec(line);
    if (at === null) continue;
    if (named !== null && n === Number(named[1])) {
      const reserved = /duplicate key "(_topic|_partition|_offset|_timestamp|_key)"/.exec(duckdbError);
      const why = reserved === null ? duckdbError.split('\n')[0]! : `it has a field ${reserved[1]}, a name the stream's own columns take`;
      return { partition: Number(at[1]), offset: at[2]!, reason: why, decodes: true };
    }
    let reason: string | undefined;
    try {
      const row = JSON.parse(line) as Record<string, unknown>;
      if (UNDECODABLE in row) reason = row[UNDECODABLE] === 'not UTF-8' ? 'its bytes are not UTF-8' : `it is ${JSON.stringify(row[UNDECODABLE])}`;
    } catch (error) {
      reason = `its JSON does not parse (${(error as Error).message})`;
    }
    if (reason !== undefined) return { partition: Number(at[1]), offset: at[2]!, reason, decodes: false };
  }
  return undefined;
}
