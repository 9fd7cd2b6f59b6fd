/**
 * Hudi's footer keys of the files a commit writes: the DYNAMIC_V0 bloom filter and min/max record
 * key, computed from exactly the keys each file holds.
 *
 * Keys reach JavaScript once, as UTF-8 bytes: DuckDB concatenates them (NUL-separated) into blobs of
 * about 64k keys, which the filter hashes in place, so no per-key JavaScript string is built; min and
 * max come from the same aggregate. A rewritten file that lost no key (updates keep their key and
 * stay in place; inserts are added) does not rehash its stored keys: its stored filter is resumed
 * and the new keys added, which is bit for bit the filter built from all its keys in that order
 * (`DynamicBloomFilter.resume`). Anything else (deletes, a filter written with other settings, a
 * footer without min/max) is rebuilt from the written file.
 */
import { TableFormatError } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlStringList } from '../../storage/duckdb/sql.ts';
import type { FileStore } from '../../storage/file-store.ts';
import { type FooterKeyValue, type StoredKeyValueBytes, footerColumnNames, footerKeyValueBytes, footerNumRows, readParquetFooter } from '../../storage/parquet-footer.ts';
import { BLOOM_TYPE_CODE, DynamicBloomFilter } from '../../table/bloom-filter.ts';

/** The bloom filter and key range of one file being written. */
export interface FileKeys {
  readonly filter: DynamicBloomFilter;
  min: string | undefined;
  max: string | undefined;
}

/** Keys grouped per target by a query; see `keyBlobsSql`. */
const BLOB_ROWS = 65_536;

/**
 * A query returning, per target `g` (an integer) and per slice of about 64k rows, the keys as one
 * NUL-separated UTF-8 blob, their count, min and max. `groupKey` and `sliceKey` are SQL over `from`.
 */
export function keyBlobsSql(from: string, key: string, groupKey: string, sliceKey: string): string {
  return `SELECT ${groupKey} AS g, encode(string_agg(${key}, chr(0))) AS keys, count(*) AS n, min(${key}) AS lo, max(${key}) AS hi
    FROM ${from} GROUP BY ${groupKey}, (${sliceKey}) // ${BLOB_ROWS}`;
}

class NulInKey extends Error {}

const utf8 = new TextDecoder();
// Key boundaries within a blob, reused (JavaScript is single-threaded).
let starts = new Int32Array(BLOB_ROWS);
let ends = new Int32Array(BLOB_ROWS);

function widen(keys: FileKeys, lo: string, hi: string): void {
  if (keys.min === undefined || lo < keys.min) keys.min = lo;
  if (keys.max === undefined || hi > keys.max) keys.max = hi;
}

/**
 * Adds one blob of `n` keys. DuckDB compares strings by UTF-8 bytes, Java (Hudi's min/max) by UTF-16
 * units; they agree unless a key has a character at or above U+E000, so only then are the blob's keys
 * decoded to find min and max here.
 */
function addBlob(keys: FileKeys, bytes: Uint8Array, n: number, lo: string, hi: string): void {
  if (starts.length < n) {
    starts = new Int32Array(n * 2);
    ends = new Int32Array(n * 2);
  }
  let count = 0;
  let high = false;
  starts[0] = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0) {
      if (count >= n - 1) throw new NulInKey();
      ends[count++] = i;
      starts[count] = i + 1;
    } else if (b >= 0xee) high = true;
  }
  if (count !== n - 1) throw new NulInKey();
  ends[count] = bytes.length;
  keys.filter.addUtf8Keys(bytes, starts, ends, n);
  if (!high) return widen(keys, lo, hi);
  for (let k = 0; k < n; k++) {
    const key = utf8.decode(bytes.subarray(starts[k]!, ends[k]!));
    widen(keys, key, key);
  }
}

type Blob = readonly [bytes: Uint8Array, n: number, lo: string, hi: string];

// Lets the event loop run (a blob is up to 64k keys, a few ms of hashing), so a COPY started
// meanwhile is dispatched and its completion seen on time.
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Adds the keys selected by `from`/`key`/`groupKey` to the files' `FileKeys`, created by `start` on a
 * file's first key (a promise when it must be read first: that file's keys wait, in order, while
 * others are hashed). `start` must give a fresh state on each call: a key holding a NUL byte, which
 * the blobs cannot carry, makes everything be redone one key string at a time. `onReady` is called
 * when DuckDB has aggregated the keys and only JavaScript's hashing is left (or on failure), so the
 * caller can start other DuckDB work without competing with it.
 */
export async function collectKeys(
  duck: DuckSession,
  query: { readonly from: string; readonly key: string; readonly groupKey: string; readonly sliceKey: string },
  start: (g: number) => FileKeys | Promise<FileKeys>,
  onReady: () => void = () => {},
): Promise<Map<number, FileKeys>> {
  const out = new Map<number, FileKeys>();
  const waiting = new Map<number, { keys: Promise<FileKeys>; blobs: Blob[] }>();
  let added = 0;
  const add = async (g: number, blob: Blob): Promise<void> => {
    let keys = out.get(g);
    const queued = waiting.get(g);
    if (keys === undefined && queued === undefined) {
      const s = start(g);
      if (s instanceof Promise) waiting.set(g, { keys: s, blobs: [blob] });
      else out.set(g, (keys = s));
    } else if (queued !== undefined) queued.blobs.push(blob);
    if (keys === undefined) return;
    addBlob(keys, ...blob);
    if (++added % 4 === 0) await breathe();
  };
  try {
    await duck.forEachChunk(
      keyBlobsSql(query.from, query.key, query.groupKey, query.sliceKey),
      async (cols, rows) => {
        const [g, blobs, n, lo, hi] = cols as [unknown[], Array<{ bytes: Uint8Array }>, unknown[], string[], string[]];
        for (let i = 0; i < rows; i++) await add(Number(g[i]), [blobs[i]!.bytes, Number(n[i]), lo[i]!, hi[i]!]);
      },
      onReady,
    );
    for (const [g, { keys, blobs }] of waiting) {
      const k = await keys;
      out.set(g, k);
      for (const blob of blobs) {
        addBlob(k, ...blob);
        if (++added % 4 === 0) await breathe();
      }
    }
  } catch (error) {
    onReady();
    if (!(error instanceof NulInKey)) throw error;
    return collectKeyStrings(duck, query, start);
  }
  return out;
}

/** `collectKeys` one key string at a time: for keys with NUL bytes. */
async function collectKeyStrings(
  duck: DuckSession,
  query: { readonly from: string; readonly key: string; readonly groupKey: string },
  start: (g: number) => FileKeys | Promise<FileKeys>,
): Promise<Map<number, FileKeys>> {
  const keys = new Map<number, string[]>();
  await duck.forEachChunk(`SELECT ${query.groupKey} AS g, ${query.key} AS k FROM ${query.from} ORDER BY ALL`, (cols, rows) => {
    const [g, k] = cols as [unknown[], string[]];
    for (let i = 0; i < rows; i++) {
      const list = keys.get(Number(g[i])) ?? [];
      list.push(k[i]!);
      keys.set(Number(g[i]), list);
    }
  });
  const out = new Map<number, FileKeys>();
  for (const [g, list] of keys) {
    const state = await start(g);
    for (const k of list) {
      state.filter.add(k);
      widen(state, k, k);
    }
    out.set(g, state);
  }
  return out;
}

/** A fresh, empty state. */
export function emptyKeys(): FileKeys {
  return { filter: DynamicBloomFilter.create(), min: undefined, max: undefined };
}

/** What the footer of a stored base file that a commit rewrites says. */
export interface StoredFooter {
  readonly rows: number;
  /** Its top-level column names. */
  readonly columns: ReadonlyArray<string>;
  /**
   * A maker of the stored keys' state (its filter resumed, its min/max; a fresh state on each call
   * of the maker) when the footer allows it exactly; undefined when the file's keys must be
   * rebuilt. The ~1 MB filter is decoded on the first call of `keys`, not when the footer is read:
   * the footer is read while DuckDB classifies the batch, the filter is needed once DuckDB writes.
   */
  keys(): (() => FileKeys) | undefined;
}

/** Reads a stored base file's footer; undefined when it is not a readable Parquet footer. */
export async function readStoredFooter(store: FileStore, file: string): Promise<StoredFooter | undefined> {
  let meta: Uint8Array;
  let rows: number;
  let columns: string[];
  try {
    ({ meta } = await readParquetFooter(store, file));
    rows = footerNumRows(meta);
    columns = footerColumnNames(meta);
  } catch (error) {
    if (error instanceof TableFormatError) return undefined;
    throw error;
  }
  let resumed: { keys: (() => FileKeys) | undefined } | undefined;
  return { rows, columns, keys: () => (resumed ??= { keys: resumable(meta, rows) }).keys };
}

function resumable(meta: Uint8Array, rows: number): (() => FileKeys) | undefined {
  let entries: StoredKeyValueBytes[];
  try {
    entries = footerKeyValueBytes(meta);
  } catch (error) {
    if (error instanceof TableFormatError) return undefined;
    throw error;
  }
  // The filter stays as its stored bytes (a view into the footer); the short values are decoded.
  const kv = new Map(entries.map((e) => [e.key, e.value]));
  const text = (key: string): string | undefined => {
    const v = kv.get(key);
    return v === undefined ? undefined : utf8.decode(v);
  };
  const bloom = kv.get('org.apache.hudi.bloomfilter');
  const [min, max] = [text('hoodie_min_record_key'), text('hoodie_max_record_key')];
  if (text('hoodie_bloom_filter_type_code') !== BLOOM_TYPE_CODE || bloom === undefined || (rows > 0 && (min === undefined || max === undefined))) return undefined;
  let probe: DynamicBloomFilter | undefined;
  try {
    probe = DynamicBloomFilter.resume(bloom);
  } catch (error) {
    if (error instanceof TableFormatError) return undefined;
    throw error;
  }
  // The filter must account for exactly the file's rows, one key each.
  if (probe === undefined || probe.keyCount !== rows) return undefined;
  let first: DynamicBloomFilter | undefined = probe;
  return () => {
    const filter = first ?? DynamicBloomFilter.resume(bloom)!;
    first = undefined;
    return { filter, min: rows > 0 ? min : undefined, max: rows > 0 ? max : undefined };
  };
}

/** Rebuilds the keys of written files (`files[g]`) from the files themselves. */
export async function keysOfFiles(duck: DuckSession, files: ReadonlyMap<number, string>): Promise<Map<number, FileKeys>> {
  if (files.size === 0) return new Map();
  // Rows are told apart by their file's position in the list (an integer), not by its name.
  const byIndex = [...files.keys()].map((g, i) => `WHEN ${i} THEN ${g}`);
  const list = [...files.values()];
  return collectKeys(
    duck,
    {
      from: `read_parquet(${sqlStringList(list)}, file_row_number = true, hive_partitioning = false)`,
      key: '_hoodie_record_key',
      groupKey: `CASE file_index ${byIndex.join(' ')} END`,
      sliceKey: 'file_row_number',
    },
    () => emptyKeys(),
  );
}

/** The footer entries Hudi writes for a file with these keys. */
export function footerEntries(keys: FileKeys): FooterKeyValue[] {
  return [
    ...(keys.min === undefined ? [] : [{ key: 'hoodie_min_record_key', value: keys.min }, { key: 'hoodie_max_record_key', value: keys.max! }]),
    { key: 'org.apache.hudi.bloomfilter', value: keys.filter.base64Bytes() },
    { key: 'hoodie_bloom_filter_type_code', value: BLOOM_TYPE_CODE },
  ];
}
