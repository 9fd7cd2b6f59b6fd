/**
 * The table-creation options most tests write with: record key `id`, ordering field `ts`, and
 * whatever `overrides` add or replace (`partitionFields`, `hiveStylePartitioning`, sizes, the
 * cleaner and archiver settings…): `tableOptions('orders', { partitionFields: ['dt'] })`.
 */
import type { NewTableOptions } from '../../src/table/table-config.ts';

export function tableOptions(name: string, overrides: Partial<Omit<NewTableOptions, 'name'>> = {}): NewTableOptions {
  return { name, recordKeyFields: ['id'], precombineField: 'ts', ...overrides };
}
