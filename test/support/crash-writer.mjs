/**
 * A child process for crash tests: opens the engine, prints `ready`, then upserts the rows in the
 * JSON file argv[3] into the table argv[2] and prints `done`. The parent kills it at a random moment.
 * It runs the compiled engine (`dist/`, which `npm test` builds first): a child that starts in a
 * fraction of a second lets the test spend its time on kills rather than on transpiling.
 */
import fs from 'node:fs';
import { Tidemark } from '../../dist/src/engine/tidemark.js';

const [base, batchFile] = process.argv.slice(2);
const tm = await Tidemark.open({ threads: 1 });
const rows = JSON.parse(fs.readFileSync(batchFile, 'utf8'));
process.stdout.write('ready\n');
await tm.upsert(base, { rows });
process.stdout.write('done\n');
tm.close();
