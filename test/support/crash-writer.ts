/**
 * A child process for crash tests: opens the engine, prints `ready`, then upserts the rows in the
 * JSON file argv[3] into the table argv[2] and prints `done`. The parent kills it at a random moment.
 */
import fs from 'node:fs';
import { Tidemark } from '../../src/engine/tidemark.ts';

const [base, batchFile] = process.argv.slice(2) as [string, string];
const tm = await Tidemark.open({ threads: 1 });
const rows = JSON.parse(fs.readFileSync(batchFile, 'utf8')) as Record<string, unknown>[];
process.stdout.write('ready\n');
await tm.upsert(base, { rows });
process.stdout.write('done\n');
tm.close();
