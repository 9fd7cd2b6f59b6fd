/**
 * What every engine operation is given: the DuckDB session, the file store, the clock, and where
 * warnings go. Warnings are problems that do not fail the operation: once a commit (or a table
 * service's completed instant) is published, every later step is best-effort: its error is
 * reported here, with its cause, and the operation still succeeds, because what it did has landed.
 */
import { messageOf } from '../errors.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { DuckSession } from '../storage/duckdb/session.ts';
import type { Clock } from '../time/clock.ts';
import { redact } from '../util/redact.ts';

/** What every engine operation needs. */
export interface EngineContext {
  readonly duck: DuckSession;
  readonly store: FileStore;
  readonly clock: Clock;
  /** Files of one commit written at once. */
  readonly writeConcurrency: number;
  /** How long a writer waits for the table's writer lock. */
  readonly lockTimeoutMs?: number;
  /** Where warnings go (best-effort steps that failed after a commit landed); stderr by default. */
  readonly onWarning?: WarningSink;
}

/** Where an engine's warnings go (one line each); by default, stderr. */
export type WarningSink = (message: string) => void;

/** The default sink: one line on stderr. */
export function stderrWarning(message: string): void {
  process.stderr.write(`tidemark: warning: ${message}\n`);
}

/** The warnings of one operation: each is sent to the sink and kept for its result. */
export class Warnings {
  readonly messages: string[] = [];

  constructor(private readonly sink: WarningSink = stderrWarning) {}

  /** Records `what` failed, with its cause. */
  add(what: string, cause: unknown): void {
    const message = redact(`${what}: ${messageOf(cause)}`);
    this.messages.push(message);
    try {
      this.sink(message);
    } catch {
      // A failing sink (a closed stderr) must not fail the operation; the message stays in `messages`.
    }
  }

  /** Runs a best-effort step: its error becomes a warning. */
  async attempt(what: string, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.add(what, error);
    }
  }
}
