/**
 * Opens the configured metastore: a PostgreSQL server when a URL is set, else embedded PGlite under the
 * warehouse. PGlite is one process's database (two processes on one directory corrupt it), so the
 * embedded store is guarded by a lock file naming the owner (`storage/pid-lock.ts`).
 */
import { existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { type ResolvedConfig, redact } from '../config/config.ts';
import { MetastoreError, MetastoreInUseError, NotFoundError, StorageError, messageOf } from '../errors.ts';
import { KnexMetastore } from './knex-metastore.ts';
import { tryPidLock } from '../storage/pid-lock.ts';
import type { Metastore } from './metastore.ts';

/** Connections a server metastore pools: one may be held by `withLock`, and a CLI run needs few. */
export const SERVER_POOL_MAX = 4;

/** Where the driver's own messages go (knex's warnings, errors, deprecations, debug output); already redacted. */
export type DriverLog = (level: 'debug' | 'warn' | 'error', message: string) => void;

/**
 * The default {@link DriverLog}: warnings and errors as lines on stderr, debug output dropped.
 * Without a `log` config knex prints all of them with `console.log`, on stdout, where they would
 * corrupt a command's data (`status --json`).
 */
export function stderrDriverLog(level: 'debug' | 'warn' | 'error', message: string): void {
  if (level !== 'debug') process.stderr.write(`tidemark: ${level === 'warn' ? 'warning' : 'error'}: metastore driver: ${message}\n`);
}

/**
 * knex's `log` config, sending every message to `sink`, redacted (a driver's message may quote the
 * connection URL). knex warns "Acquire connection error" with the stack of every failed connection
 * and then rejects the query with that same error, which the caller reports: the warning is detail
 * (`debug`), so a bad URL gives one error, not a stack trace before it.
 */
function knexLog(sink: DriverLog): Knex.Logger {
  const to = (level: 'debug' | 'warn' | 'error') => (message: unknown): void => {
    const text = redact(typeof message === 'string' ? message : inspect(message, { depth: 4, breakLength: Infinity }));
    sink(level === 'warn' && text.startsWith('Acquire connection error:') ? 'debug' : level, text);
  };
  // knex calls `deprecate` with the one message it composed, whatever its type declaration says.
  return { debug: to('debug'), warn: to('warn'), error: to('error'), deprecate: to('warn') as unknown as Knex.Logger['deprecate'], enableColors: false };
}

/** The knex config of the configured store (without migrations; the knexfile adds its own); driver messages go to `log`. */
export function knexConfig(config: ResolvedConfig, log: DriverLog = stderrDriverLog): Knex.Config {
  if (config.metastoreUrl !== undefined) {
    // The URL may carry `?options=-c search_path=...` to keep the metastore in its own schema.
    return { client: 'pg', connection: config.metastoreUrl, pool: { min: 0, max: SERVER_POOL_MAX }, log: knexLog(log) };
  }
  // knex-pglite pins its own pool at one connection (PGlite has one session).
  return { client: ClientPgLite, connection: { filename: config.embeddedMetastoreDir }, log: knexLog(log) };
}

/** The lock file guarding an embedded store's directory. */
export function embeddedLockPath(config: ResolvedConfig): string {
  return `${config.embeddedMetastoreDir}.lock`;
}

/** How to open a metastore. */
export interface OpenMetastoreOptions {
  /**
   * Create the warehouse directory and the metastore (its schema) when they are missing (default
   * true). Read-only commands pass false: a missing store is then a {@link NotFoundError} naming
   * what was looked for, and nothing is created. An existing store's schema is still brought up to date.
   */
  readonly create?: boolean;
  /**
   * Told what opening repaired (an embedded store's leftover `postmaster.pid`); by default a Node
   * warning (`process.emitWarning`).
   */
  readonly onNotice?: (message: string) => void;
  /** Where the driver's own messages go (default {@link stderrDriverLog}). */
  readonly onDriverLog?: DriverLog;
}

/** Opens the configured metastore and brings its schema up to date; the caller must `close()` it. */
export async function openMetastore(config: ResolvedConfig, options: OpenMetastoreOptions = {}): Promise<Metastore> {
  const where = config.metastoreUrl === undefined ? config.embeddedMetastoreDir : redact(config.metastoreUrl);
  const create = options.create ?? true;
  let release: () => void = () => undefined;
  if (config.metastoreUrl === undefined && !create && !existsSync(path.join(config.embeddedMetastoreDir, 'PG_VERSION'))) {
    throw new NotFoundError(
      `no metastore at ${config.embeddedMetastoreDir}: the warehouse ${config.warehouse} ${existsSync(config.warehouse) ? 'has never been initialised' : 'does not exist'}. ` +
        'Point --warehouse (or TIDEMARK_WAREHOUSE) at your warehouse, --metastore (or TIDEMARK_METASTORE_URL) at a PostgreSQL metastore, ' +
        'or create this one with `tidemark init` or a first `tidemark daily-run`',
      { file: config.embeddedMetastoreDir },
    );
  }
  if (config.metastoreUrl === undefined) {
    try {
      mkdirSync(path.dirname(config.embeddedMetastoreDir), { recursive: true });
    } catch (error) {
      throw new StorageError(`could not create the warehouse directory ${config.warehouse}: ${messageOf(error)}`, { file: config.warehouse, cause: error });
    }
    release = acquireLockFile(embeddedLockPath(config), config.warehouse);
    try {
      removeLeftoverPidFile(config.embeddedMetastoreDir, options.onNotice ?? ((message) => process.emitWarning(message, { code: 'TIDEMARK_METASTORE' })));
    } catch (error) {
      release();
      throw error;
    }
  }
  let metastore: KnexMetastore;
  try {
    metastore = new KnexMetastore(knex(knexConfig(config, options.onDriverLog)), { onClose: release });
  } catch (error) {
    release();
    throw new MetastoreError(`could not open the metastore at ${where}: ${messageOf(error)}`, { cause: error });
  }
  try {
    if (!create && !(await metastore.initialised())) {
      throw new NotFoundError(
        `the PostgreSQL metastore at ${where} has no Tidemark tables (table_registry, pipeline_log) in its search path; ` +
          'check --metastore (or TIDEMARK_METASTORE_URL), or create them with `tidemark init`',
        { value: where },
      );
    }
    await metastore.migrate();
  } catch (error) {
    if (error instanceof NotFoundError) {
      await metastore.close().catch(() => undefined);
      throw error;
    }
    await metastore.close().catch(() => undefined); // the migrate error is the one worth reporting
    throw new MetastoreError(`could not open the metastore at ${where}: ${messageOf(error)}`, { cause: error });
  }
  return metastore;
}

/**
 * PGlite (PostgreSQL) creates `postmaster.pid` when it starts and removes it on close; a process
 * killed before the close leaves it, and one killed between creating and writing it leaves it empty,
 * which PGlite then refuses for ever ("PGlite failed to initialize properly"). Its pid is PGlite's
 * fixed -42, never a real process. Under the warehouse's lock no other process has the store open,
 * so any `postmaster.pid` is such a leftover: it is removed, and `onNotice` is told.
 */
function removeLeftoverPidFile(dir: string, onNotice: (message: string) => void): void {
  const file = path.join(dir, 'postmaster.pid');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StorageError(`could not remove the embedded metastore's leftover ${file}: ${messageOf(error)}`, { file, cause: error });
  }
  const empty = text.trim() === '';
  onNotice(
    `removed ${empty ? 'an empty' : 'a'} ${file} left by a process that did not close the embedded metastore` +
      (empty ? ' (PGlite refuses to start while it is there)' : ''),
  );
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
