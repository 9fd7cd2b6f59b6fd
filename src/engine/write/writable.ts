/**
 * What a table must be for Tidemark to write it: Hudi's meta fields populated, a key generator it
 * implements, a codec it writes, and no metadata table it would leave stale.
 */
import { TableFormatError } from '../../errors.ts';
import { writableCodec } from '../../table/table-config.ts';
import { propertiesPath } from '../layout.ts';
import type { TableState } from '../load/table-state.ts';

/** Raises a TableFormatError naming what makes `state`'s table unwritable. */
export function assertWritable(state: TableState, table: string): void {
  if (!state.config.populateMetaFields) {
    throw new TableFormatError(`table ${table} does not populate Hudi's meta fields; Tidemark writes only tables that do`, { table: state.basePath });
  }
  if (state.config.keyGenerator === 'timestamp' || state.config.keyGenerator === 'other') {
    throw new TableFormatError(`table ${table} uses key generator ${state.config.properties.get('hoodie.table.keygenerator.class')}; Tidemark writes simple, complex and non-partitioned keys`, {
      table: state.basePath,
    });
  }
  writableCodec(state.config, { table: state.basePath, file: propertiesPath(state.basePath) });
  if (state.config.properties.has('hoodie.table.metadata.partitions')) {
    throw new TableFormatError(`table ${table} has a Hudi metadata table, which Tidemark does not maintain; writing would leave it stale`, { table: state.basePath });
  }
}
