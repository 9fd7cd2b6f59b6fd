/**
 * Opens the configured metastore: a PostgreSQL server when a URL is set, else embedded PGlite under the
 * warehouse. PGlite is one process's database (two processes on one directory corrupt it), so the
 * embedded store is guarded by a lock file holding the owner's pid.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { type ResolvedConfig, redact } from '../config/config.ts';
import { MetastoreError, MetastoreInUseError, StorageError, messageOf } from '../errors.ts';
import { KnexMetastore } from './knex-metastore.ts';
import type { Metastore } from './metastore.ts';

/** Connections a server metastore pools: one may be held by `withLock`, and a CLI run needs few. */
export const SERVER_POOL_MAX = 4;

/** The knex config of the configured store (without migrations; the knexfile adds its own). */
export function knexConfig(config: ResolvedConfig): Knex.Config {
  if (config.metastoreUrl !== undefined) {
    // The URL may carry `?options=-c search_path=...` to keep the metastore in its own schema.
    return { client: 'pg', connection: config.metastoreUrl, pool: { min: 0, max: SERVER_POOL_MAX } };
  }
  // knex-pglite pins its own pool at one connection (PGlite has one session).
  return { client: ClientPgLite, connection: { filename: config.embeddedMetastoreDir } };
}

/** The lock file guarding an embedded store's directory. */
export function embeddedLockPath(config: ResolvedConfig): string {
  return `${config.embeddedMetastoreDir}.lock`;
}

/** Opens the configured metastore and brings its schema up to date; the caller must `close()` it. */
export async function openMetastore(config: ResolvedConfig): Promise<Metastore> {
  const where = config.metastoreUrl === undefined ? config.embeddedMetastoreDir : redact(config.metastoreUrl);
  let release: () => void = () => undefined;
  if (config.metastoreUrl === undefined) {
    try {
      mkdirSync(path.dirname(config.embeddedMetastoreDir), { recursive: true });
    } catch (error) {
      throw new StorageError(`could not create the warehouse directory ${config.warehouse}: ${messageOf(error)}`, { file: config.warehouse, cause: error });
    }
    release = acquireLockFile(embeddedLockPath(config), config.warehouse);
  }
  let metastore: KnexMetastore;
  try {
    metastore = new KnexMetastore(knex(knexConfig(config)), { onClose: release });
  } catch (error) {
    release();
    throw new MetastoreError(`could not open the metastore at ${where}: ${messageOf(error)}`, { cause: error });
  }
  try {
    await metastore.migrate();
  } catch (error) {
    await metastore.close().catch(() => undefined); // the migrate error is the one worth reporting
    throw new MetastoreError(`could not open the metastore at ${where}: ${messageOf(error)}`, { cause: error });
  }
  return metastore;
}

/**
 * Creates `lockPath` exclusively (O_EXCL) holding this pid; returns its release. A file whose pid is
 * alive means another process has the store; a dead pid is a crashed run's leftover and is taken
 * over. Known limits: two processes taking over the same stale file at the same instant can both
 * succeed, and a recycled pid makes a stale file look alive (delete it by hand then).
 */
function acquireLockFile(lockPath: string, warehouse: string): () => void {
  const own = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, `${own}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        // Only remove the file if it is still ours (a takeover may have replaced a file we left).
        if (readHolder(lockPath) === own) unlinkQuietly(lockPath);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) {
        throw new StorageError(`could not create the metastore lock file ${lockPath}: ${messageOf(error)}`, { file: lockPath, cause: error });
      }
    }
    const holder = readHolderPatiently(lockPath);
    if (holder === undefined) continue; // removed meanwhile: try again
    const pid = Number(holder);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new MetastoreInUseError(
        `the warehouse ${warehouse} is in use by process ${pid} (its embedded metastore allows one process; lock file ${lockPath}); ` +
          'use a PostgreSQL metastore URL (TIDEMARK_METASTORE_URL or --metastore) for concurrent runs',
        { file: lockPath, value: pid },
      );
    }
    unlinkQuietly(lockPath); // stale: its process is gone
  }
}

/** The lock file's content, waiting briefly if it is empty (its creator may be between open and write). */
function readHolderPatiently(lockPath: string): string | undefined {
  for (let i = 0; i < 10; i++) {
    const holder = readHolder(lockPath);
    if (holder !== '') return holder;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return ''; // still empty: a creator that died before writing; treated as stale
}

function readHolder(lockPath: string): string | undefined {
  try {
    return readFileSync(lockPath, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError(`could not read the metastore lock file ${lockPath}: ${messageOf(error)}`, { file: lockPath, cause: error });
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StorageError(`could not remove the metastore lock file ${file}: ${messageOf(error)}`, { file, cause: error });
    }
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
