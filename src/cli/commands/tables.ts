import path from 'node:path';
import { type Command, Option } from '../commander.ts';
import { InvalidArgumentError } from '../../errors.ts';
import { COMPRESSION_CODECS, type CompressionCodec } from '../../table/codecs.ts';
import type { CliContext } from '../cli-context.ts';
import { renderTable } from '../text-table.ts';
import { isTableName } from '../table-names.ts';

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');
const NAME = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

function splitName(name: string): [string, string] {
  if (!NAME.test(name)) throw new InvalidArgumentError(`table name "${name}" must look like database.name (letters, digits, _)`, { value: name });
  return name.split('.') as [string, string];
}

/** `tidemark tables` and `tidemark table create|describe|register`. */
export function registerTables(program: Command, ctx: CliContext): void {
  program
    .command('tables')
    .description('list the tables registered in the metastore')
    .option('--json', 'print them as one JSON array')
    .action(async (flags: { json?: boolean }) => {
      const tables = await ctx.withMetastore((m) => m.listTables(), { readOnly: true });
      if (flags.json) return ctx.io.stdout(JSON.stringify(tables) + '\n');
      const rows = tables.map((t) => ({ table: `${t.database}.${t.name}`, key: t.recordKeyFields.join(','), precombine: t.precombineField, partitions: t.partitionFields.join(','), latest: t.latestInstant, path: t.basePath }));
      ctx.io.stdout(renderTable(rows, ['table', 'key', 'precombine', 'partitions', 'latest', 'path']));
    });

  const table = program.command('table').description('create, describe or register a table');
  table
    .command('create')
    .description('create an empty table under the warehouse (or at --path) and register it')
    .argument('<name>', 'database.name')
    .requiredOption('--key <fields>', 'record key field(s), comma-separated', list)
    .option('--precombine <field>', 'ordering field: the larger value wins')
    .option('--partition-by <fields>', 'partition field(s), comma-separated', list)
    .option('--hive-style', 'hive-style partition paths (field=value)')
    .addOption(new Option('--compression <codec>', 'Parquet codec of the files (default snappy)').choices(COMPRESSION_CODECS))
    .option('--path <dir>', 'base path (default <warehouse>/<database>/<name>)')
    .action(async (name: string, flags: { key: string[]; precombine?: string; partitionBy?: string[]; hiveStyle?: boolean; compression?: CompressionCodec; path?: string }) => {
      const [database, table] = splitName(name);
      const { registerTableState } = await import('../../pipeline/context.ts');
      await ctx.withSession(async (s) => {
        const base = path.resolve(flags.path ?? path.join(s.config.warehouse, database, table));
        const state = await s.engine.createTable(base, {
          name: table,
          database,
          recordKeyFields: flags.key,
          precombineField: flags.precombine,
          partitionFields: flags.partitionBy ?? [],
          hiveStylePartitioning: flags.hiveStyle === true,
          ...(flags.compression === undefined ? {} : { compressionCodec: flags.compression }),
        });
        await registerTableState(s.context, name, state);
        ctx.io.stdout(`created ${name} at ${base}\n`);
      });
    });
  table
    .command('register')
    .description('register an existing Hudi table by its path')
    .argument('<path>', 'base path of the table')
    .option('--name <name>', 'database.name (default: the table\'s own database and name)')
    .action(async (tablePath: string, flags: { name?: string }) => {
      const { registerTableState } = await import('../../pipeline/context.ts');
      await ctx.withSession(async (s) => {
        const state = await s.engine.table(tablePath);
        const name = flags.name ?? `${state.config.database || 'default'}.${state.config.name}`;
        splitName(name);
        await registerTableState(s.context, name, state);
        ctx.io.stdout(`registered ${name} → ${state.basePath}\n`);
      });
    });
  table
    .command('describe')
    .description("a table's configuration, schema and timeline summary")
    .argument('<table>', 'base path or registered name')
    .option('--json', 'print it as one JSON object')
    .action(async (arg: string, flags: { json?: boolean }) => {
      const base = await ctx.tablePath(arg);
      const [{ tableSchema }, { formatColumnType }] = await Promise.all([import('../../engine/load/table-state.ts'), import('../../table/schema.ts')]);
      const info = await ctx.withEngine(async (tm) => {
        const state = await tm.table(base);
        const c = state.config;
        return {
          name: `${c.database}.${c.name}`,
          registeredAs: isTableName(arg) ? arg : null,
          basePath: state.basePath,
          tableType: c.tableType,
          version: c.version,
          recordKey: c.recordKeyFields,
          precombine: c.precombineField ?? null,
          partitionBy: c.partitionFields,
          hiveStyle: c.hiveStylePartitioning,
          keyGenerator: c.keyGenerator,
          compression: c.compressionCodec,
          completedCommits: state.timeline.completedWrites().length,
          latestInstant: state.timeline.latestCompletedWrite()?.time ?? null,
          pendingInstants: state.timeline.pending().map((i) => `${i.time}.${i.action}`),
          fileGroups: (await tm.fileSlices(base)).length,
          schema: (tableSchema(state) ?? []).map((f) => ({ name: f.name, type: formatColumnType(f.type) })),
        };
      });
      if (flags.json) return ctx.io.stdout(JSON.stringify(info) + '\n');
      const lines = Object.entries(info)
        .filter(([k]) => k !== 'schema')
        .map(([k, v]) => `${k.padEnd(18)}${Array.isArray(v) ? v.join(', ') : String(v)}`);
      ctx.io.stdout(lines.join('\n') + '\n\n' + renderTable(info.schema, ['name', 'type']));
    });
}
