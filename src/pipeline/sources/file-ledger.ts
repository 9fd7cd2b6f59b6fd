/**
 * The ledger of the files a `files` source (without a watermark column) has loaded: for each path,
 * its size, modification time and a content fingerprint when it was loaded. A file is new when its
 * path is not in the ledger or its size or modification time differs from the ledger's; so a file
 * that lands with an old mtime (`rsync -a`, `cp -p`, `tar x`) loads, and a renamed or rewritten
 * file loads again. The modification time alone cannot say this: a window of mtimes misses files
 * whose mtime is older than the last run.
 *
 * The fingerprint is the first 16 hex digits of SHA-256 over the file's first and last 64 KiB (the
 * whole file when it is smaller than 128 KiB): cheap whatever the file's size, and computed only for
 * files that are new or whose size or mtime changed, so an unchanged directory of 10,000 files
 * costs 10,000 stats and no reads. It records which content was loaded. A file replaced by another
 * of the same size and the same mtime is not detected (that would mean reading every file on
 * every run).
 *
 * Where it lives: inline in the commit that loaded the files, in `extraMetadata` under
 * `tidemark.files_ledger` (gzip of a compact JSON `{"v":1,"files":{path:[size,mtimeMs,fp]}}`, in
 * base64), as Hudi's streamer keeps its checkpoint in its commits. The ledger is then published by
 * the same rename as the data: a crash between commit and log leaves the two consistent (the next
 * run reads the ledger of the target's latest commit that carries one), and a rollback or restore
 * takes the ledger back with the data, so the undone files load again. A ledger file beside the
 * table would keep commits smaller but could disagree with the timeline (written, then not
 * committed; kept after a restore) and would need its own cleaning. Compressed, a ledger of 10,000
 * paths is a few hundred KiB (the bench's `--ledger-only` step measures it).
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { TableFormatError, messageOf } from '../../errors.ts';
import type { FileStore } from '../../storage/file-store.ts';
import { mapConcurrent } from '../../util/concurrency.ts';

/** The `extraMetadata` key of the ledger. */
export const LEDGER_KEY = 'tidemark.files_ledger';

/** What the ledger knows of one file. */
export interface LedgerEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly fp: string;
}

/** Files by absolute path. */
export type Ledger = ReadonlyMap<string, LedgerEntry>;

/** Bytes hashed at each end of a file. */
const EDGE = 64 * 1024;

/** Stats and fingerprints at once: enough to keep a disk busy, few enough for any descriptor limit. */
const FILES_AT_ONCE = 64;

/** The ledger as the string stored in `extraMetadata`. */
export function encodeLedger(ledger: Ledger): string {
  const files: Record<string, [number, number, string]> = {};
  for (const [file, e] of ledger) files[file] = [e.size, e.mtimeMs, e.fp];
  return gzipSync(JSON.stringify({ v: 1, files })).toString('base64');
}

/** The ledger stored in commit `instant` (named in the error when it cannot be read). */
export function decodeLedger(text: string, instant: string): Ledger {
  try {
    const parsed = JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString('utf8')) as { v?: unknown; files?: unknown };
    if (parsed.v !== 1 || typeof parsed.files !== 'object' || parsed.files === null) throw new Error(`unknown ledger version ${JSON.stringify(parsed.v)}`);
    const out = new Map<string, LedgerEntry>();
    for (const [file, e] of Object.entries(parsed.files as Record<string, unknown>)) {
      if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'number' || typeof e[2] !== 'string') throw new Error(`bad entry for ${file}`);
      out.set(file, { size: e[0], mtimeMs: e[1], fp: e[2] });
    }
    return out;
  } catch (error) {
    // Loading everything again instead would apply files twice: better to stop and say so.
    throw new TableFormatError(`the file ledger (${LEDGER_KEY}) in commit ${instant} cannot be read: ${messageOf(error)}`, { value: instant, cause: error });
  }
}

/** The fingerprint of a file of `size` bytes (see the module's comment). */
export async function fingerprint(store: FileStore, file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  if (size <= 2 * EDGE) hash.update(await store.readBytes(file, 0, size));
  else {
    hash.update(await store.readBytes(file, 0, EDGE));
    hash.update(await store.readBytes(file, size - EDGE, EDGE));
  }
  return hash.digest('hex').slice(0, 16);
}

/** What a scan of the matched files found. */
export interface LedgerScan {
  /** The files to load: new, or changed since the ledger (in the order given). */
  readonly fresh: ReadonlyArray<string>;
  /** The ledger after loading them: every matched file still there, with what was seen of it. */
  readonly next: Ledger;
}

/**
 * Compares the matched files with the previous ledger: stats in bounded parallel, fingerprints only
 * for files that are new or changed. A file gone between the glob and its stat is skipped. Files no
 * longer matched leave the ledger (it would otherwise grow forever over a landing directory that is
 * emptied after loads); if one comes back, it loads again, which upserts make harmless.
 */
export async function scanFiles(store: FileStore, files: ReadonlyArray<string>, previous: Ledger): Promise<LedgerScan> {
  const seen = await mapConcurrent(files, FILES_AT_ONCE, async (file) => {
    const st = await store.stat(file);
    if (st === undefined) return undefined;
    const known = previous.get(file);
    if (known !== undefined && known.size === st.size && known.mtimeMs === st.modifiedMs) return { file, entry: known, fresh: false };
    return { file, entry: { size: st.size, mtimeMs: st.modifiedMs, fp: await fingerprint(store, file, st.size) }, fresh: true };
  });
  const fresh: string[] = [];
  const next = new Map<string, LedgerEntry>();
  for (const s of seen) {
    if (s === undefined) continue;
    next.set(s.file, s.entry);
    if (s.fresh) fresh.push(s.file);
  }
  return { fresh, next };
}
