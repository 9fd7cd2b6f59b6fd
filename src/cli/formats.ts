/** The output formats of `read` and `sql` (a module of its own: declaring options loads no renderer). */
export const OUTPUT_FORMATS = ['table', 'jsonl', 'csv', 'parquet'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
