/**
 * `tidemark init [DIR]`: the files of a new project. A catalog with one commented example pipeline
 * over a bundled sample file, a `.gitignore` for the warehouse, and a README of next steps. Existing
 * files are never overwritten, and no example is added to a catalog that already has pipelines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StorageError, messageOf } from '../errors.ts';

/** What `scaffold` did: the files it created and those it left as they were (absolute paths). */
export interface ScaffoldResult {
  readonly dir: string;
  readonly created: ReadonlyArray<string>;
  readonly kept: ReadonlyArray<string>;
}

const EXAMPLE_PIPELINE = `/**
 * An example pipeline: loads data/orders*.csv into the table shop.orders.
 *
 * Every \`tidemark daily-run\` picks up the files that are new or changed since the last successful
 * run and upserts their rows by order_id: when an order appears again, the row with the newer
 * updated_at wins, so re-reading a file is harmless. Copy this file to start your own pipeline;
 * the README of this project says what each field can be.
 */
import { fileURLToPath } from 'node:url';
import { definePipeline } from 'tidemark';

export default definePipeline({
  name: 'orders',
  description: 'Orders from the CSV files in data/, latest version per order.',
  source: {
    kind: 'files',
    // A glob. Taken relative to this file, so the pipeline finds its data whatever folder it runs from.
    path: fileURLToPath(new URL('../data/', import.meta.url)) + 'orders*.csv',
    format: 'csv',
  },
  // Optional: DuckDB SQL over the batch, which is called \`source\`.
  transform: \`
    SELECT order_id, customer, lower(status) AS status, amount::DECIMAL(10, 2) AS amount,
           order_date::DATE AS order_date, updated_at::TIMESTAMPTZ AS updated_at
    FROM source\`,
  // Checked on the batch before anything is written: one failure fails the run, and the next run retries.
  checks: [
    { kind: 'not_null', column: 'customer' },
    { kind: 'unique', column: 'order_id' },
    { kind: 'accepted_values', column: 'status', values: ['new', 'paid', 'shipped', 'cancelled'] },
  ],
  target: {
    table: 'shop.orders', // created under the warehouse on the first run
    recordKey: ['order_id'],
    precombine: 'updated_at', // the newer version of a row wins
    partitionBy: ['order_date'],
  },
  schedule: 'daily', // due once per UTC day; \`daily-run --all\` runs it anyway
});
`;

const SAMPLE_ORDERS = `order_id,customer,status,amount,order_date,updated_at
1001,alice,paid,25.50,2024-05-01,2024-05-01T09:12:00Z
1002,bob,new,12.00,2024-05-01,2024-05-01T10:03:00Z
1003,carol,shipped,99.90,2024-05-01,2024-05-01T11:45:00Z
1004,dave,paid,7.25,2024-05-02,2024-05-02T08:30:00Z
1005,erin,cancelled,40.00,2024-05-02,2024-05-02T09:00:00Z
1002,bob,paid,12.00,2024-05-01,2024-05-02T12:00:00Z
1006,frank,new,63.10,2024-05-02,2024-05-02T15:20:00Z
1007,grace,paid,18.75,2024-05-03,2024-05-03T07:55:00Z
`;

const GITIGNORE = `# Tidemark's tables, landing files and embedded metastore
warehouse/
node_modules/
`;

const README = `# A Tidemark project

- \`catalog/\` holds the pipelines: one module each (\`.ts\`, \`.mts\`, \`.js\` or \`.mjs\`) whose default
  export is \`definePipeline({...})\`. Files starting with \`_\` are helpers, not pipelines.
- \`data/\` holds a sample file for the example pipeline \`catalog/orders.ts\`.
- \`warehouse/\` (git-ignored) holds the tables and, by default, the embedded metastore.

First steps, from this folder:

    npx tidemark daily-run                  # runs every due pipeline (here: loads data/ into shop.orders)
    npx tidemark read shop.orders           # the table
    npx tidemark status --days 14           # what ran, what failed, how stale each pipeline is
    npx tidemark daily-run --dry-run        # what would run, and over which window

Add a file \`data/orders-2.csv\` with new or changed orders and run \`daily-run --all\` again: only the
new file is read, and newer versions of an order replace older ones.

From cron or Airflow, run it from anywhere by naming the folders:

    npx --prefix /path/to/project tidemark daily-run --catalog /path/to/project/catalog --warehouse /path/to/project/warehouse

Set \`TIDEMARK_METASTORE_URL=postgres://…\` (or \`--metastore\`) to keep the run log and the table
registry in PostgreSQL instead of the embedded store.
`;

/** The files of a new project, relative to its directory. */
export const SCAFFOLD_FILES: ReadonlyArray<{ readonly path: string; readonly text: string }> = [
  { path: 'catalog/orders.ts', text: EXAMPLE_PIPELINE },
  { path: 'data/orders.csv', text: SAMPLE_ORDERS },
  { path: '.gitignore', text: GITIGNORE },
  { path: 'README.md', text: README },
];

const PIPELINE_MODULE = /^[^._][^/]*\.(ts|mts|cts|js|mjs|cjs)$/;

/**
 * Writes the project's files into `dir` (created if needed), keeping any that exist. The example
 * pipeline goes into `catalogDir` (default `dir/catalog`) and its data beside it, in `../data`.
 */
export function scaffold(dir: string, catalogDir: string = path.join(dir, 'catalog')): ScaffoldResult {
  const root = path.resolve(dir);
  const catalog = path.resolve(catalogDir);
  const created: string[] = [];
  const kept: string[] = [];
  const hasPipelines = fs.existsSync(catalog) && fs.readdirSync(catalog).some((f) => PIPELINE_MODULE.test(f) && !/\.d\.[mc]?ts$/.test(f));
  const place = (file: string): string =>
    file.startsWith('catalog/') ? path.join(catalog, file.slice('catalog/'.length)) : file.startsWith('data/') ? path.join(catalog, '..', file) : path.join(root, file);
  for (const file of SCAFFOLD_FILES) {
    const target = place(file.path);
    const example = file.path.startsWith('catalog/') || file.path.startsWith('data/');
    if (fs.existsSync(target) || (example && hasPipelines)) {
      kept.push(target);
      continue;
    }
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.text, { flag: 'wx' });
    } catch (error) {
      throw new StorageError(`could not create ${target}: ${messageOf(error)}`, { file: target, cause: error });
    }
    created.push(target);
  }
  return { dir: root, created, kept };
}
