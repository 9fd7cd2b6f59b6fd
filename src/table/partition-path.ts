/**
 * Partition paths as Hudi's key generators build them: values joined by `/`, each `field=value` when
 * hive-style; a null or empty value becomes `__HIVE_DEFAULT_PARTITION__`; with URL encoding on
 * (Tidemark's default for new tables) the characters below are escaped as `%XX`, as Hudi's
 * PartitionPathEncodeUtils does, so a value can never add a directory level.
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
      const value =
        raw === null || raw === undefined || raw === '' ? DEFAULT_PARTITION : options.urlEncode ? escapePartitionValue(raw) : raw;
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
