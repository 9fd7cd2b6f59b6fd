/**
 * Partition paths as Hudi's key generators build them: values joined by `/`, each `field=value` when
 * hive-style; a null or empty value becomes `__HIVE_DEFAULT_PARTITION__`; with URL encoding on
 * (Tidemark's default for new tables) the characters below are escaped as `%XX`, as Hudi's
 * PartitionPathEncodeUtils does, so a value can never add a directory level; a value that is a
 * whole level (not hive-style) has its leading dots escaped too (`..` → `%2E%2E`), so it can never
 * leave the table or land in `.hoodie`.
 * `partitionPathProblem` is what a writer checks every new partition path against.
 */

/** Hudi's name for the partition of null or empty values. */
export const DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/** Characters Hudi escapes in partition values (`%` must be escaped first). */
export const ESCAPED_PARTITION_CHARS: ReadonlyArray<string> = [
  '%',
  ...Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)),
  '"',
  '#',
  "'",
  '*',
  '/',
  ':',
  '=',
  '?',
  '\\',
  '\x7f',
  '{',
  '[',
  ']',
  '^',
];

/** `%XX` (upper-case hex) for one escaped character. */
export function percentCode(char: string): string {
  return '%' + char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
}

/** Escapes one partition value as Hudi does with URL encoding on. */
export function escapePartitionValue(value: string): string {
  let out = '';
  for (const ch of value) out += ESCAPED_PARTITION_CHARS.includes(ch) ? percentCode(ch) : ch;
  return out;
}

/**
 * An escaped value that is a whole directory level (not hive-style) with its leading dots written
 * `%2E`: `.` and `..` would name the directory itself or its parent, `.hoodie` the metadata folder
 * (and any dot-folder is hidden from Hudi's and Spark's listings). Their readers decode every `%XX`,
 * so they read the same value back. Hudi itself escapes no dot (the one place Tidemark differs).
 */
export function escapeLeadingDots(escaped: string): string {
  const dots = /^\.+/.exec(escaped)?.[0].length ?? 0;
  return dots === 0 ? escaped : '%2E'.repeat(dots) + escaped.slice(dots);
}

/** Reverses `escapePartitionValue`. */
export function unescapePartitionValue(value: string): string {
  return value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Builds a partition path from already-rendered values (null = missing). */
export function partitionPathOf(
  fields: ReadonlyArray<string>,
  values: ReadonlyArray<string | null>,
  options: { readonly hiveStyle: boolean; readonly urlEncode: boolean },
): string {
  return fields
    .map((field, i) => {
      const raw = values[i];
      const escaped = (v: string): string => (options.hiveStyle ? escapePartitionValue(v) : escapeLeadingDots(escapePartitionValue(v)));
      const value = raw === null || raw === undefined || raw === '' ? DEFAULT_PARTITION : options.urlEncode ? escaped(raw) : raw;
      return options.hiveStyle ? `${field}=${value}` : value;
    })
    .join('/');
}

/** The partition values of a path (`dt=2024-01-01/h=3` → `['2024-01-01', '3']`), unescaped. */
export function partitionValuesOf(
  partitionPath: string,
  fields: ReadonlyArray<string>,
  options: { readonly hiveStyle: boolean; readonly urlEncode: boolean },
): Array<string | null> {
  if (fields.length === 0) return [];
  const parts = partitionPath.split('/');
  return fields.map((field, i) => {
    let part = parts[i] ?? '';
    if (options.hiveStyle && part.startsWith(`${field}=`)) part = part.slice(field.length + 1);
    if (part === DEFAULT_PARTITION) return null;
    return options.urlEncode ? unescapePartitionValue(part) : part;
  });
}

/** Longest name of one directory level, in bytes (Linux and macOS file systems). */
export const MAX_SEGMENT_BYTES = 255;

/** What is wrong with one partition path (a level and the value it holds), or undefined when it is safe. */
export interface PartitionPathProblem {
  readonly field: string | undefined;
  readonly value: string | null;
  readonly reason: string;
}

/**
 * Why `partitionPath` cannot be a directory inside a table, or undefined: each `/`-separated level
 * must be a plain name (not empty, `.` or `..`, not starting with `.`, no NUL) of at most 255 bytes.
 * With URL encoding on, only length can fail (escaping makes every value a plain name); with it off
 * (`hoodie.datasource.write.partitionpath.urlencode=false`) a value holding `/` spans several levels.
 */
export function partitionPathProblem(
  partitionPath: string,
  fields: ReadonlyArray<string>,
  options: { readonly hiveStyle: boolean; readonly urlEncode: boolean },
): PartitionPathProblem | undefined {
  if (fields.length === 0) return undefined;
  const levels = partitionPath.split('/');
  const values = partitionValuesOf(partitionPath, fields, options);
  // The field a level belongs to, when levels and fields match one to one.
  const owner = (i: number): { field: string | undefined; value: string | null } =>
    levels.length === fields.length ? { field: fields[i], value: values[i] ?? null } : { field: undefined, value: partitionPath };
  for (const [i, level] of levels.entries()) {
    const bytes = new TextEncoder().encode(level).length;
    let reason: string | undefined;
    if (bytes > MAX_SEGMENT_BYTES) reason = `its directory name is ${bytes} bytes long (at most ${MAX_SEGMENT_BYTES})`;
    else if (level === '' || level === '.' || level === '..') reason = `it would make the directory level "${level}"`;
    else if (level.startsWith('.')) reason = `it would make the hidden directory "${level}"`;
    else if (level.includes('\0')) reason = 'it holds a NUL character';
    if (reason !== undefined) return { ...owner(i), reason };
  }
  return undefined;
}

/** The content of `.hoodie_partition_metadata`, written once when a partition directory is created. */
export function partitionMetadataText(commitTime: string, partitionPath: string, savedAt: Date): string {
  const depth = partitionPath === '' ? 0 : partitionPath.split('/').length;
  return `#partition metadata\n#${javaDateString(savedAt)}\ncommitTime=${commitTime}\npartitionDepth=${depth}\n`;
}

/** `Date.toString()` as Java prints it, in UTC: `Thu Apr 18 22:35:50 UTC 2024`. */
export function javaDateString(date: Date): string {
  const [dow, mon, day, year, time] = [
    date.toUTCString().slice(0, 3),
    date.toUTCString().slice(8, 11),
    String(date.getUTCDate()).padStart(2, '0'),
    date.getUTCFullYear(),
    date.toISOString().slice(11, 19),
  ];
  return `${dow} ${mon} ${day} ${time} UTC ${year}`;
}
