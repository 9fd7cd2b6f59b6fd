/**
 * The one check that every path a write, rollback, clean or restore creates or deletes is inside
 * the table: a partition path or a path named by timeline metadata is resolved against the base
 * path, and one that leaves it (`..`, an absolute path elsewhere), or a data file inside `.hoodie/`,
 * is refused with an error naming the path, the table and the file that named it.
 */
import path from 'node:path';
import { InvalidInputError, TableFormatError } from '../errors.ts';
import { partitionPathProblem } from '../table/partition-path.ts';
import type { TableConfig } from '../table/table-config.ts';
import { META_FOLDER } from './layout.ts';

/** Longest path the file system takes, in bytes (Linux's PATH_MAX less its NUL). */
const MAX_PATH_BYTES = 4095;
/** Bytes a partition path is followed by at most: `/.hoodie/.temp/<instant>/` before it, a base file name and `.marker.CREATE` after. */
const PATH_OVERHEAD_BYTES = 200;

/** What a path is checked for, and what named it (for the error). */
export interface PathCheck {
  /** A data file or partition directory: never inside `.hoodie/`. */
  readonly data?: boolean;
  /** A directory, which may be the base path itself (the partition of an unpartitioned table). */
  readonly dir?: boolean;
  /** The timeline file or input that named the path. */
  readonly file?: string;
  /** The table, as shown to the user; the base path when omitted. */
  readonly table?: string;
}

/** `p` (relative to the base path, or absolute) as an absolute path inside the table; refuses any other. */
export function pathInTable(basePath: string, p: string, check: PathCheck = {}): string {
  const base = path.resolve(basePath);
  const resolved = path.resolve(base, p);
  const rel = path.relative(base, resolved);
  const first = rel.split(path.sep)[0];
  const outside = (rel === '' && check.dir !== true) || first === '..' || path.isAbsolute(rel);
  const inMeta = check.data === true && first === META_FOLDER;
  if (outside || inMeta || p.includes('\0')) {
    const table = check.table ?? basePath;
    const where = rel === '' ? `the base path of table ${table} itself` : outside ? `outside table ${table}` : `inside the metadata folder .hoodie of table ${table}`;
    throw new TableFormatError(`path "${p}"${check.file === undefined ? '' : ` named by ${check.file}`} resolves to ${resolved}, ${where}; refusing to touch it`, {
      table: basePath,
      value: p,
      ...(check.file === undefined ? {} : { file: check.file }),
    });
  }
  return resolved;
}

/**
 * Refuses, before anything is created, a batch whose partition paths cannot be directories of the
 * table: a level that is `.`/`..`/hidden (possible only without URL encoding), longer than 255
 * bytes, or a path too long for the file system. The error names the value, the column, the table
 * and the input.
 */
export function assertPartitionPaths(
  basePath: string,
  config: TableConfig,
  partitionPaths: Iterable<string>,
  ctx: { readonly table: string; readonly input: string; readonly file?: string },
): void {
  const options = { hiveStyle: config.hiveStylePartitioning, urlEncode: config.urlEncodePartitions };
  const baseBytes = Buffer.byteLength(path.resolve(basePath));
  for (const pp of partitionPaths) {
    const problem = partitionPathProblem(pp, config.partitionFields, options);
    const tooLong = baseBytes + Buffer.byteLength(pp) + PATH_OVERHEAD_BYTES > MAX_PATH_BYTES;
    if (problem === undefined && !tooLong) {
      pathInTable(basePath, pp, { data: true, dir: true, table: ctx.table });
      continue;
    }
    const column = problem?.field === undefined ? `partition column${config.partitionFields.length > 1 ? 's' : ''} ${config.partitionFields.join(', ')}` : `partition column ${problem.field}`;
    const value = problem?.value ?? pp;
    const reason = problem?.reason ?? `its path would be longer than the file system allows (${MAX_PATH_BYTES} bytes)`;
    const hint = config.urlEncodePartitions ? '' : ' (the table does not URL-encode partition values: hoodie.datasource.write.partitionpath.urlencode=false)';
    throw new InvalidInputError(
      `input ${ctx.input} has the value ${JSON.stringify(value)} in ${column}, which cannot be a partition of table ${ctx.table}: ${reason}${hint}${pp === value ? '' : `; partition path "${pp}"`}`,
      { table: ctx.table, value, ...(ctx.file === undefined ? {} : { file: ctx.file }) },
    );
  }
}
