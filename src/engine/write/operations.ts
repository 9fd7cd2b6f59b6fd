/** Names the CLI lists in its options, in a module of their own so declaring them loads no engine code. */

/** The write operations. */
export const WRITE_OPERATIONS = ['upsert', 'insert', 'bulk_insert', 'delete', 'insert_overwrite_table'] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];

/** The input file formats. */
export const INPUT_FORMATS = ['parquet', 'csv', 'json'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
