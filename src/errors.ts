/**
 * Tidemark's error hierarchy. Every error carries a literal `code` (for the CLI's exit-code map and for
 * callers that branch on it) and, where known, the table, file and value it is about. Errors raised
 * while handling another error keep it as `cause`. Messages and causes never show a password (a
 * connection URL in a driver's message is redacted, `util/redact.ts`).
 */
import { redact, redactError } from './util/redact.ts';

export const ERROR_CODES = [
  'INVALID_INPUT',
  'INVALID_ARGUMENT',
  'TABLE_NOT_FOUND',
  'TABLE_EXISTS',
  'TABLE_FORMAT',
  'UNSUPPORTED_TABLE_VERSION',
  'SCHEMA_CONFLICT',
  'INVALID_INSTANT',
  'COMMIT_CONFLICT',
  'STORAGE',
  'METASTORE',
  'METASTORE_IN_USE',
  'NOT_FOUND',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Where an error happened: any of the table path, the file and the offending value. */
export interface ErrorContext {
  readonly table?: string;
  readonly file?: string;
  readonly value?: unknown;
  readonly cause?: unknown;
}

/** Base class of every error Tidemark raises on purpose. */
export class TidemarkError extends Error {
  readonly code: ErrorCode;
  readonly table: string | undefined;
  readonly file: string | undefined;
  readonly value: unknown;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}) {
    super(redact(message), context.cause === undefined ? undefined : { cause: redactError(context.cause) });
    this.name = new.target.name;
    this.code = code;
    this.table = context.table;
    this.file = context.file;
    this.value = typeof context.value === 'string' ? redact(context.value) : context.value;
  }
}

/** Input data that cannot be written as given: null keys, malformed files, unknown columns. */
export class InvalidInputError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('INVALID_INPUT', message, context);
  }
}

/** A call or option that makes no sense (unknown operation, bad option value). */
export class InvalidArgumentError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('INVALID_ARGUMENT', message, context);
  }
}

/** No table at the given path (no `.hoodie/hoodie.properties`). */
export class TableNotFoundError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('TABLE_NOT_FOUND', message, context);
  }
}

/** A table already exists where one was to be created. */
export class TableExistsError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('TABLE_EXISTS', message, context);
  }
}

/** The table's files break the format: corrupt properties, unreadable commit metadata, missing files. */
export class TableFormatError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('TABLE_FORMAT', message, context);
  }
}

/** A Hudi table of a version this build does not read or write. */
export class UnsupportedTableVersionError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('UNSUPPORTED_TABLE_VERSION', message, context);
  }
}

/** Incoming data whose columns conflict with the table schema. */
export class SchemaConflictError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('SCHEMA_CONFLICT', message, context);
  }
}

/** An instant time that is malformed or names no usable instant. */
export class InvalidInstantError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('INVALID_INSTANT', message, context);
  }
}

/** Another writer committed first; the write can be retried. */
export class CommitConflictError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('COMMIT_CONFLICT', message, context);
  }
}

/** A file system operation failed. */
export class StorageError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('STORAGE', message, context);
  }
}

/** Talking to the metastore (PostgreSQL or embedded PGlite) failed; the adapter's error is the `cause`. */
export class MetastoreError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('METASTORE', message, context);
  }
}

/** The embedded metastore of a warehouse is open in another process (PGlite allows one). */
export class MetastoreInUseError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('METASTORE_IN_USE', message, context);
  }
}

/** A warehouse, metastore or catalog that a command needs and will not create is not there. */
export class NotFoundError extends TidemarkError {
  constructor(message: string, context: ErrorContext = {}) {
    super('NOT_FOUND', message, context);
  }
}

/** The message of any thrown value, for wrapping. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
