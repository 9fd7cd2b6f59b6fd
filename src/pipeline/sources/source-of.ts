/** The reader of a pipeline's source, by its kind: the one place that knows every source adapter. */
import type { PipelineContext } from '../context.ts';
import { type PipelineDefinition, splitTableName } from '../definition.ts';
import { FilesSourceReader } from './files-source.ts';
import { PostgresSourceReader } from './postgres-source.ts';
import type { Source, SourceContext } from './source.ts';
import { TableSourceReader } from './table-source.ts';
import { StreamSourceReader } from './stream-source.ts';
import { streamOpener } from './open-stream.ts';

/** The reader of `def`'s source; `fullRefresh` makes a stream source read every retained message. */
export function sourceOf(ctx: PipelineContext, def: PipelineDefinition, fullRefresh = false): Source {
  const sctx: SourceContext = {
    engine: ctx.engine,
    store: ctx.store,
    warehouse: ctx.warehouse,
    tablePath: async (name) => {
      const { database, name: table } = splitTableName(name);
      return (await ctx.metastore.getTable(database, table))?.basePath;
    },
  };
  switch (def.source.kind) {
    case 'files': return new FilesSourceReader(def.source, sctx);
    case 'postgres': return new PostgresSourceReader(def.source, sctx);
    case 'table': return new TableSourceReader(def.source, sctx);
    case 'kafka':
    case 'nats': return new StreamSourceReader(def.source, sctx, streamOpener(def.source), fullRefresh);
  }
}
