import path from 'node:path';
import { type Command, Option } from '../commander.ts';
import { TableNotFoundError } from '../../errors.ts';
import { INPUT_FORMATS, type InputFormat } from '../../engine/write/operations.ts';
import type { CommitResult, WriteProgress } from '../../engine/write/write-options.ts';
import { WRITE_OPERATIONS, type WriteOperation } from '../../engine/write/operations.ts';
import type { CliContext } from '../cli-context.ts';
import type { Tidemark } from '../../engine/tidemark.ts';
import { COMPRESSION_CODECS, type CompressionCodec } from '../../table/codecs.ts';
import type { NewTableOptions } from '../../table/table-config.ts';
import { isTableName } from '../table-names.ts';

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** The table name for a new table: the base path's directory name, as letters, digits and `_`. */
export function defaultTableName(basePath: string): string {
  const name = path.basename(path.resolve(basePath)).replace(/[^A-Za-z0-9_]/g, '_');
  return name === '' ? 'table' : /^[0-9]/.test(name) ? `_${name}` : name;
}

interface WriteFlags {
  input: string;
  op: WriteOperation;
  format?: InputFormat;
  key?: string[];
  precombine?: string;
  partitionBy?: string[];
  hiveStyle?: boolean;
  compression?: CompressionCodec;
  name?: string;
  json?: boolean;
}

export function registerWrite(program: Command, ctx: CliContext): void {
  program
    .command('write')
    .description('write one batch from a file as one commit; creates the table on first write when --key is given')
    .argument('<table>', 'base path of the table, or its registered name (sales.orders)')
    .requiredOption('-i, --input <file>', 'input file (.parquet, .csv, .json / .jsonl)')
    .addOption(new Option('--op <operation>', 'write operation').choices(WRITE_OPERATIONS).default('upsert'))
    .addOption(new Option('--format <format>', 'input format (default: from the file extension)').choices(INPUT_FORMATS))
    .option('--key <fields>', 'record key field(s), comma-separated (new table)', list)
    .option('--precombine <field>', 'ordering field: the larger value wins (new table)')
    .option('--partition-by <fields>', 'partition field(s), comma-separated (new table)', list)
    .option('--hive-style', 'hive-style partition paths, field=value (new table)')
    .addOption(new Option('--compression <codec>', 'Parquet codec of the files (new table; default snappy)').choices(COMPRESSION_CODECS))
    .option('--name <name>', 'table name (new table; default: the directory name)')
    .option('--json', 'print the commit result as one JSON object')
    .action(async (tablePath: string, flags: WriteFlags) => {
      const create = flags.key === undefined ? undefined : {
        name: flags.name ?? defaultTableName(tablePath),
        recordKeyFields: flags.key,
        precombineField: flags.precombine,
        partitionFields: flags.partitionBy ?? [],
        hiveStylePartitioning: flags.hiveStyle === true,
        ...(flags.compression === undefined ? {} : { compressionCodec: flags.compression }),
      };
      const input = { file: path.resolve(flags.input), ...(flags.format === undefined ? {} : { format: flags.format }) };
      const t0 = performance.now();
      const progress = ctx.startProgress(`write ${tablePath}`);
      progress.note('reading');
      const onProgress = (p: WriteProgress): void => {
        progress.note(p.stage);
        progress.update(p.rows, p.stage === 'planning' ? undefined : p.files);
      };
      const write = async (tm: Tidemark, base: string, options: Partial<NewTableOptions> = {}): Promise<CommitResult> => {
        try {
          return await tm.write(base, input, { operation: flags.op, onProgress, ...(create === undefined ? {} : { create: { ...create, ...options } }) });
        } catch (error) {
          if (!(error instanceof TableNotFoundError) || create !== undefined) throw error;
          throw new TableNotFoundError(`${error.message}; to create it on this write, pass --key (and --precombine / --partition-by as needed)`, { table: error.table });
        }
      };
      const written = isTableName(tablePath)
        ? ctx.withSession(async (session) => {
            const { registerTableState } = await import('../../pipeline/context.ts');
            // A registered name writes to its table; an unregistered one creates `<warehouse>/<db>/<name>` and registers it.
            const [database, name] = tablePath.split('.') as [string, string];
            const registered = await session.metastore.getTable(database, name);
            const base = registered?.basePath ?? path.join(session.config.warehouse, database, name);
            const r = await write(session.engine, base, { database, name: flags.name ?? name });
            const state = await session.engine.table(base);
            if (registered === undefined) await registerTableState(session.context, tablePath, state);
            else if (r.instant !== undefined) await session.metastore.updateTableState(database, name, r.instant, state.commits.get(r.instant)?.extraMetadata.schema ?? null);
            return r;
          })
        : ctx.withEngine((tm) => write(tm, tablePath));
      const result = await written.finally(() => progress.stop());
      const seconds = +((performance.now() - t0) / 1000).toFixed(3);
      ctx.io.stdout(flags.json ? JSON.stringify({ ...result, seconds }) + '\n' : describeResult(result, seconds));
    });
}

/** The summary: what was committed and the counts; the files themselves only with --json (a commit may write hundreds). */
function describeResult(r: CommitResult, seconds: number): string {
  const lines = [r.instant === undefined ? `nothing to commit (${r.operation}) on ${r.basePath}` : `committed ${r.instant} (${r.operation}) on ${r.basePath}`];
  const counts: Array<[string, number | string]> = [['inserted', r.inserted], ['updated', r.updated], ['deleted', r.deleted], ['skipped as older', r.skippedAsOlder]];
  if (r.operation === 'delete') counts.push(['not found', r.notFound]);
  counts.push(['files written', r.filesWritten], ['seconds', seconds.toFixed(2)]);
  for (const [label, n] of counts) lines.push(`  ${`${label}:`.padEnd(18)}${n}`);
  if (r.addedColumns.length > 0) lines.push(`  added columns:    ${r.addedColumns.join(', ')}`);
  if (r.widenedColumns.length > 0) lines.push(`  widened columns:  ${r.widenedColumns.join(', ')}`);
  if (r.keysInTwoPartitions > 0) {
    lines.push(`  keys now in two partitions: ${r.keysInTwoPartitions} (their partition value changed; the table's index is unique per partition, so each is kept in both)`);
  }
  return lines.join('\n') + '\n';
}
