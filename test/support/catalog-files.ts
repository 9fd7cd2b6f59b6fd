/**
 * A user's catalog and landing folder, as the daily-run tests build them: pipeline modules written
 * as `.mjs` files (what `tidemark init` users write), and landed newline-delimited JSON files.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Writes a catalog module whose default export is `def`. */
export function writePipeline(catalog: string, file: string, def: object): void {
  fs.writeFileSync(path.join(catalog, file), `export default ${JSON.stringify(def, null, 2)};\n`);
}

/** Lands `rows` as a JSON-lines file. */
export function landJsonl(landing: string, name: string, rows: ReadonlyArray<object>): void {
  fs.writeFileSync(path.join(landing, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** The bronze pipeline those tests share: every landed `*.jsonl` into `bronze.events`, by `id`, latest `ts`, partitioned by `day`. */
export function bronzeEvents(landing: string): object {
  return {
    name: 'bronze_events',
    source: { kind: 'files', path: path.join(landing, '*.jsonl'), format: 'json' },
    target: { table: 'bronze.events', recordKey: ['id'], precombine: 'ts', partitionBy: ['day'] },
  };
}
