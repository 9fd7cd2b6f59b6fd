/** The write operations, in a module of their own so the CLI can list them without loading the engine. */
export const WRITE_OPERATIONS = ['upsert', 'insert', 'bulk_insert', 'delete', 'insert_overwrite_table'] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];
