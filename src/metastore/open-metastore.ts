/**
 * Opens the configured metastore: a PostgreSQL server when a URL is set, else embedded PGlite under the
 * warehouse. PGlite is one process's database (two processes on one directory corrupt it), so the
 * embedded store is guarded by a lock file holding the owner's pid.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { type ResolvedConfig, redact } from '../config/config.ts';
import { MetastoreError, MetastoreInUseError, StorageError, messageOf } from '../errors.ts';
import { KnexMetastore } from './knex-metastore.ts';
import { tryPidLock } from '../storage/pid-lock.ts';
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

/** Takes the embedded store's lock file, or says who holds it. */
function acquireLockFile(lockPath: string, warehouse: string): () => void {
  const lock = tryPidLock(lockPath);
  if (lock.acquired) return lock.release;
  throw new MetastoreInUseError(
    `the warehouse ${warehouse} is in use by process ${lock.holder} (its embedded metastore allows one process; lock file ${lockPath}); ` +
      'use a PostgreSQL metastore URL (TIDEMARK_METASTORE_URL or --metastore) for concurrent runs',
    { file: lockPath, value: lock.holder },
  );
}
