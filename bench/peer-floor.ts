/**
 * The `cow-limit-meta` peer: the floor for a copy-on-write Parquet engine with Hudi's five meta
 * columns, in plain DuckDB SQL, as the shared peers.mjs does it. Per upsert: precombine the batch,
 * read the touched partitions' files, anti-join by key (an incoming row wins if its key is new or
 * its ts newer), write one new file per touched partition, publish a tiny fsync'd commit file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type Peer, snapshotSql, toSnapshot } from './peer.ts';

export async function openFloor(root: string, memoryLimit?: string, reopen = false): Promise<Peer> {
  if (!reopen) {
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(path.join(root, '.timeline'), { recursive: true });
  }
  const inst = await DuckDBInstance.create(':memory:', memoryLimit === undefined ? {} : { memory_limit: memoryLimit });
  const conn = await inst.connect();
  // One file per partition at any partition count (the scale run's 300 days): past this many open
  // files DuckDB would close one and later start a second for the same partition.
  await conn.run(`SET partitioned_write_max_open_files = 100000`);
  const q = async (s: string): Promise<Record<string, unknown>[]> => (await conn.runAndReadAll(s)).getRowObjects() as Record<string, unknown>[];
  const live = new Map<string, string>(); // dt -> its one live file
  const instant = (k: number): string => `2024020100000${String(k).padStart(4, '0')}`; // Hudi-like 17-digit instant
  const fileList = (files: Iterable<string>): string => '[' + [...files].map((f) => `'${f}'`).join(',') + ']';
  const publish = (k: number): void => {
    const p = path.join(root, '.timeline', `${instant(k)}.commit`);
    const fd = fs.openSync(p, 'w');
    fs.writeSync(fd, JSON.stringify({ commit: instant(k), files: [...live.values()] }));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  };
  const collect = (k: number): Map<string, string> => {
    const out = new Map<string, string>();
    for (const d of fs.readdirSync(root)) {
      if (!d.startsWith('dt=')) continue;
      for (const f of fs.readdirSync(path.join(root, d))) {
        if (!f.startsWith(`c${k}_`)) continue;
        if (out.has(d.slice(3))) throw new Error(`cow-limit-meta: more than one file for ${d} in commit ${k}`);
        out.set(d.slice(3), path.join(root, d, f));
      }
    }
    return out;
  };
  const copyOpts = (k: number): string =>
    `(FORMAT parquet, PARTITION_BY (dt), WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN 'c${k}_{uuid}', OVERWRITE_OR_IGNORE)`;
  const metaCols = (k: number, src: string): string => `'${instant(k)}' AS _hoodie_commit_time,
      '${instant(k)}_' || ${src}.dt || '_' || ${src}.id AS _hoodie_commit_seqno,
      CAST(${src}.id AS VARCHAR) AS _hoodie_record_key, 'dt=' || ${src}.dt AS _hoodie_partition_path,
      'fg-' || ${src}.dt || '_0-1-0_${instant(k)}.parquet' AS _hoodie_file_name, `;
  let commit = 0;
  if (reopen) {
    // The latest commit file names every live file; commits are numbered in their instants.
    const last = fs.readdirSync(path.join(root, '.timeline')).filter((f) => f.endsWith('.commit')).sort().at(-1);
    if (last === undefined) throw new Error(`cow-limit-meta: no commit in ${root} to reopen`);
    const published = JSON.parse(fs.readFileSync(path.join(root, '.timeline', last), 'utf8')) as { commit: string; files: string[] };
    for (const f of published.files) live.set(path.basename(path.dirname(f)).slice('dt='.length), f);
    commit = Number(published.commit.slice(-4));
  }
  return {
    name: 'cow-limit-meta',
    root,
    async load(file) {
      // one file group per partition
      await conn.run(`COPY (SELECT ${metaCols(0, 's')} s.* FROM read_parquet('${file}') s) TO '${root}' ${copyOpts(0)}`);
      for (const [d, f] of collect(0)) live.set(d, f);
      publish(0);
      return { files_written: live.size };
    },
    async upsert(file) {
      const k = ++commit;
      // 1) the batch, precombined within itself (max ts per key)
      await conn.run(`CREATE OR REPLACE TEMP TABLE b AS SELECT * FROM read_parquet('${file}') QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts DESC) = 1`);
      // 2) touched partitions -> their current files (the partition is a function of the key)
      const dts = (await q(`SELECT DISTINCT dt FROM b`)).map((r) => String(r.dt));
      const oldFiles = dts.filter((d) => live.has(d)).map((d) => live.get(d)!);
      // 3) merge: batch rows win if the key is new or their ts newer; old rows stay unless replaced
      await conn.run(`COPY (
          WITH k AS (SELECT id, ts FROM read_parquet(${fileList(oldFiles)})),
               bw AS (SELECT b.* FROM b LEFT JOIN k ON k.id = b.id WHERE k.id IS NULL OR b.ts > k.ts)
          SELECT o.* FROM read_parquet(${fileList(oldFiles)}) o ANTI JOIN bw ON o.id = bw.id
          UNION ALL SELECT ${metaCols(k, 'bw')} bw.* FROM bw
        ) TO '${root}' ${copyOpts(k)}`);
      // 4) swap the slices and publish the commit
      const neu = collect(k);
      for (const [d, f] of neu) live.set(d, f);
      publish(k);
      return { files_rewritten: oldFiles.length, files_written: neu.size };
    },
    snapshot: async () => toSnapshot(await q(snapshotSql(`read_parquet(${fileList(live.values())})`))),
    lookup: async (id) => (await q(`SELECT id, qty FROM read_parquet(${fileList(live.values())}) WHERE id = ${id}`)).map((r) => Number(r.qty)),
    lookupPruned: async (id, dt) => (await q(`SELECT id, qty FROM read_parquet('${live.get(dt)}') WHERE id = ${id}`)).map((r) => Number(r.qty)),
    close() {
      conn.closeSync();
      inst.closeSync();
    },
  };
}
