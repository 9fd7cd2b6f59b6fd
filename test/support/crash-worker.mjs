/**
 * A child process for crash tests, started as `crash-worker.mjs <op>`. It loads what `op` needs from
 * the compiled package (`dist/`, which `npm test` builds first), prints `ready`, reads one JSON
 * command from stdin, prints `go` when the command itself starts, carries it out and prints
 * `done <json>`. The parent starts the next worker while this one works and kills this one at a
 * random moment after `go`, so kills land inside the command, not inside Node's start-up.
 *
 *   upsert     {"base":B,"file":F}       upsert the JSON rows in F into the table B
 *   restore    {"base":B,"instant":I}    restore the table B to its savepoint I
 *   metastore  {"warehouse":W,"name":N}  open W's embedded metastore (creating and migrating it),
 *                                        register the table `crash.N`, read it back and close
 */
import fs from 'node:fs';
import { createInterface } from 'node:readline';

const op = process.argv[2];
const engine = op === 'metastore' ? undefined : await import('../../dist/src/engine/tidemark.js');
const metastoreModule = op === 'metastore' ? await import('../../dist/src/metastore/open-metastore.js') : undefined;
const { resolveConfig } = await import('../../dist/src/config/config.js');

const commands = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
const line = await new Promise((resolve) => commands.once('line', resolve));
commands.close();
const command = JSON.parse(line);
process.stdout.write(`done ${JSON.stringify(await run(command))}\n`);

async function run(c) {
  if (op === 'metastore') {
    process.stdout.write('go\n');
    const metastore = await metastoreModule.openMetastore(resolveConfig({ warehouse: c.warehouse }, {}), { onNotice: () => {} });
    try {
      const table = { database: 'crash', name: c.name, basePath: `/nowhere/${c.name}`, recordKeyFields: ['id'], precombineField: null, partitionFields: [], tableType: 'COPY_ON_WRITE', schema: null, properties: {}, latestInstant: null };
      await metastore.registerTable(table);
      const back = await metastore.getTable('crash', c.name);
      if (back?.name !== c.name) throw new Error(`registered crash.${c.name} but read back ${JSON.stringify(back)}`);
      return { name: c.name };
    } finally {
      await metastore.close();
    }
  }
  const tm = await engine.Tidemark.open({ threads: 1 });
  try {
    process.stdout.write('go\n');
    if (op === 'upsert') return { instant: (await tm.upsert(c.base, { rows: JSON.parse(fs.readFileSync(c.file, 'utf8')) })).instant };
    if (op === 'restore') return { restoreInstant: (await tm.restore(c.base, c.instant)).restoreInstant };
    throw new Error(`unknown crash-worker op ${op}`);
  } finally {
    tm.close();
  }
}
