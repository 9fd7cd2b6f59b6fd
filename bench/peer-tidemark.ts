/** The `tidemark` peer: the engine through its public API only. */
import fs from 'node:fs';
import { Tidemark } from '../src/engine/tidemark.ts';
import type { CommitResult } from '../src/engine/write/write.ts';
import { type Peer, type WriteExtras, snapshotSql, toSnapshot } from './peer.ts';

function extras(r: CommitResult): WriteExtras {
  return {
    instant: r.instant,
    inserted: r.inserted,
    updated: r.updated,
    skipped_as_older: r.skippedAsOlder,
    files_written: r.filesWritten,
  };
}

const qtys = (rows: ReadonlyArray<Record<string, unknown>>): number[] => rows.map((r) => Number(r.qty));

export async function openTidemark(root: string, memoryLimit?: string, reopen = false): Promise<Peer> {
  if (!reopen) fs.rmSync(root, { recursive: true, force: true });
  const tm = await Tidemark.open(memoryLimit === undefined ? {} : { memoryLimit });
  const scan = `tidemark_scan('${root.replaceAll("'", "''")}')`;
  return {
    name: 'tidemark',
    root,
    load: async (file) =>
      extras(
        await tm.write(root, { file }, {
          operation: 'bulk_insert',
          create: { name: 'bench', recordKeyFields: ['id'], precombineField: 'ts', partitionFields: ['dt'] },
        }),
      ),
    upsert: async (file) => extras(await tm.upsert(root, { file })),
    snapshot: async () => toSnapshot(await tm.sql(snapshotSql(scan))),
    lookup: async (id) => qtys(await tm.read(root, { where: `id = ${id}`, columns: ['id', 'qty'] })),
    lookupPruned: async (id, dt) => qtys(await tm.read(root, { where: `id = ${id}`, columns: ['id', 'qty'], partitions: (p) => p === dt })),
    close: () => tm.close(),
  };
}
