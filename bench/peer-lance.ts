/**
 * The optional `lance` peer: LanceDB's merge-on-read upsert, as the shared peers.mjs runs it
 * (`mergeInsert('id')`, an update only where the stored `ts` is older, new ids inserted; each write
 * adds a fragment and deletion vectors). The goals compare Tidemark's skewed upsert and
 * snapshot read with it; timing it here puts it under the same conditions as the other peers (the
 * same process, order and pauses). LanceDB is not a dependency of Tidemark: to run this peer,
 * `npm install --no-save @lancedb/lancedb apache-arrow`, then `npm run bench -- --peers
 * tidemark,cow-limit-meta,lance`.
 *
 * As in peers.mjs, LanceDB writes from in-memory Arrow tables: `prepare` (untimed, before the first
 * step) reads each staged Parquet file into one with DuckDB. The snapshot is `countRows` and one
 * scan of `qty` and `amount` summed in JavaScript (peers.mjs's timed work; the stale count comes from
 * the same scan).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import type { Peer, SnapshotResult } from './peer.ts';
import { LANCE } from './report.ts';

/** LanceDB and Arrow are optional, so loaded untyped. */
type Module = any;

/** LanceDB and Arrow, or an error saying how to install them. */
async function modules(): Promise<{ lancedb: Module; arrow: Module }> {
  // Through variables, so the type checker does not look for packages the project does not depend on.
  const names = ['@lancedb/lancedb', 'apache-arrow'];
  try {
    const [lancedb, arrow] = await Promise.all(names.map((n) => import(n)));
    return { lancedb, arrow };
  } catch (error) {
    throw new Error(`the ${LANCE} peer needs LanceDB and Apache Arrow, which Tidemark does not depend on: npm install --no-save ${names.join(' ')}`, { cause: error });
  }
}

/** Fails at once, with how to install them, when LanceDB or Arrow is missing (before any data is staged). */
export async function checkLance(): Promise<void> {
  await modules();
}

const COLUMNS = 'id, epoch_us(ts) AS ts, dt, amount, qty, score, status, user_name, city, note';

/** A staged Parquet file as an Arrow table with the bench's schema (ts in microseconds, no zone). */
async function arrowTable(arrow: Module, file: string): Promise<Module> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      const cols = (await connection.runAndReadAll(`SELECT ${COLUMNS} FROM read_parquet('${file.replaceAll("'", "''")}')`)).getColumns() as unknown[][];
      const n = cols[0]!.length;
      const fixed = (type: Module, data: ArrayLike<unknown>): Module => arrow.makeVector(arrow.makeData({ type, length: n, data }));
      const text = (values: unknown[]): Module => arrow.vectorFromArray(values, new arrow.Utf8());
      return new arrow.Table({
        id: fixed(new arrow.Int64(), BigInt64Array.from(cols[0] as bigint[])),
        ts: fixed(new arrow.TimestampMicrosecond(), BigInt64Array.from(cols[1] as bigint[])),
        dt: text(cols[2]!),
        amount: fixed(new arrow.Float64(), Float64Array.from(cols[3] as number[])),
        qty: fixed(new arrow.Int32(), Int32Array.from(cols[4] as number[])),
        score: fixed(new arrow.Float64(), Float64Array.from(cols[5] as number[])),
        status: text(cols[6]!),
        user_name: text(cols[7]!),
        city: text(cols[8]!),
        note: text(cols[9]!),
      });
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

export async function openLance(root: string, _memoryLimit?: string, reopen = false): Promise<Peer> {
  const { lancedb, arrow } = await modules();
  if (!reopen) fs.rmSync(root, { recursive: true, force: true });
  const db = await lancedb.connect(root);
  let table: Module = reopen ? await db.openTable('t') : undefined;
  const tables = new Map<string, Module>();
  const input = (file: string): Module => {
    const t = tables.get(file);
    if (t === undefined) throw new Error(`${LANCE}: ${file} was not prepared`);
    return t;
  };
  const open = (): Module => {
    if (table === undefined) throw new Error(`${LANCE}: no table loaded in ${root}`);
    return table;
  };
  const rowsOf = async (where: string): Promise<number[]> =>
    ((await open().query().where(where).select(['id', 'qty']).limit(2).toArray()) as Array<{ qty: number }>).map((r) => Number(r.qty));
  return {
    name: LANCE,
    root,
    async prepare(files) {
      for (const f of files) if (!tables.has(f)) tables.set(f, await arrowTable(arrow, f));
    },
    async load(file) {
      table = await db.createTable('t', input(file), { mode: 'overwrite' });
      tables.delete(file); // the base rows are needed once: let them go
      return {};
    },
    async upsert(file) {
      const r = await open().mergeInsert('id').whenMatchedUpdateAll({ where: 'target.ts < source.ts' }).whenNotMatchedInsertAll().execute(input(file));
      return { inserted: Number(r.numInsertedRows), updated: Number(r.numUpdatedRows) };
    },
    async snapshot(): Promise<SnapshotResult> {
      const t = open();
      const count = Number(await t.countRows());
      let sumQty = 0;
      let sumAmount = 0;
      let stale = 0;
      const scanned = await t.query().select(['qty', 'amount']).toArrow();
      for (const batch of scanned.batches) {
        for (const d of batch.getChild('qty').data) {
          for (let i = 0; i < d.length; i++) {
            const q = d.values[d.offset + i] as number;
            sumQty += q;
            if (q < 0) stale++;
          }
        }
        for (const d of batch.getChild('amount').data) for (let i = 0; i < d.length; i++) sumAmount += d.values[d.offset + i] as number;
      }
      return { count, sumQty, sumAmount, stale };
    },
    lookup: (id) => rowsOf(`id = ${id}`),
    lookupPruned: (id, dt) => rowsOf(`id = ${id} AND dt = '${dt}'`),
    close() {
      table?.close?.();
      db.close?.();
      tables.clear();
    },
  };
}
