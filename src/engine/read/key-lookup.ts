/**
 * Finding records by key the way Hudi's bloom index does: a file can hold a key only if the key is
 * within the file's min/max record key and its bloom filter says maybe. Only those files are read.
 * Base files never change once written, so parsed footers are cached by path.
 */
import path from 'node:path';
import { TableFormatError, messageOf } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlStringList } from '../../storage/duckdb/sql.ts';
import { DynamicBloomFilter } from '../../table/bloom-filter.ts';
import type { FileSlice } from '../../table/file-slice.ts';

/** What a base file's footer says about its keys; undefined fields when the footer lacks them. */
export interface KeyIndex {
  readonly minKey: string | undefined;
  readonly maxKey: string | undefined;
  readonly bloom: DynamicBloomFilter | undefined;
}

/** Footer key indexes of base files, read once per file. */
export class KeyIndexCache {
  private readonly cache = new Map<string, KeyIndex>();

  constructor(private readonly limit = 10_000) {}

  /** The key index of each file, reading footers of files not seen before in one query. */
  async indexes(duck: DuckSession, files: ReadonlyArray<string>): Promise<Map<string, KeyIndex>> {
    const missing = files.filter((f) => !this.cache.has(f));
    if (missing.length > 0) {
      let rows: Record<string, unknown>[];
      try {
        rows = await duck.rows(`SELECT file_name AS f, decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${sqlStringList(missing)})
          WHERE decode(key) IN ('hoodie_min_record_key', 'hoodie_max_record_key', 'org.apache.hudi.bloomfilter')`);
      } catch (error) {
        throw new TableFormatError(`cannot read the footers of ${missing.length} base file(s): ${messageOf(error)}`, { file: missing[0], cause: error });
      }
      const found = new Map<string, { minKey?: string; maxKey?: string; bloom?: string }>(missing.map((f) => [f, {}]));
      for (const r of rows) {
        const entry = found.get(String(r.f)) ?? {};
        if (r.k === 'hoodie_min_record_key') entry.minKey = String(r.v);
        else if (r.k === 'hoodie_max_record_key') entry.maxKey = String(r.v);
        else entry.bloom = String(r.v);
        found.set(String(r.f), entry);
      }
      if (this.cache.size + found.size > this.limit) this.cache.clear();
      for (const [file, e] of found) {
        this.cache.set(file, {
          minKey: e.minKey,
          maxKey: e.maxKey,
          bloom: e.bloom === undefined ? undefined : DynamicBloomFilter.fromBase64(e.bloom),
        });
      }
    }
    return new Map(files.map((f) => [f, this.cache.get(f)!]));
  }
}

/** Whether a file with this index may hold `key` (true when the footer says nothing). */
export function mayHoldKey(index: KeyIndex, key: string): boolean {
  if (index.minKey !== undefined && key < index.minKey) return false;
  if (index.maxKey !== undefined && key > index.maxKey) return false;
  return index.bloom === undefined || index.bloom.mightContain(key);
}

/** The slices among `slices` that may hold any of `keys`. */
export async function candidateSlices(
  duck: DuckSession,
  cache: KeyIndexCache,
  basePath: string,
  slices: ReadonlyArray<FileSlice>,
  keys: ReadonlyArray<string>,
): Promise<FileSlice[]> {
  const files = slices.map((s) => path.join(basePath, s.baseFile.path));
  const indexes = await cache.indexes(duck, files);
  return slices.filter((_, i) => keys.some((k) => mayHoldKey(indexes.get(files[i]!)!, k)));
}
