/**
 * The contract of a source with a checkpoint kept in the target's commits (see `../checkpoint.ts`,
 * which finds the previous one): declared apart so sources need not import the pipeline's context.
 */

/** A previous checkpoint: its value, and where it was found (`the commit 2024… of the target`). */
export interface FoundCheckpoint {
  readonly value: string;
  /** The commit instant it was read from; undefined when it came from the run log (no commit carried it yet). */
  readonly instant: string | undefined;
  /** Where it was found, in words for messages. */
  readonly from: string;
}

/** Where a source finds its previous checkpoint: the value of `key` and the commit it is in. */
export type CheckpointLookup = (key: string) => Promise<FoundCheckpoint | undefined>;

/** Where a source stands after a run (a stream's offsets), for the run's log and `status`. */
export interface SourcePosition {
  /** The checkpoint after the run (`topic,0:12,1:40`). */
  readonly checkpoint: string;
  /** Messages waiting when the run started that it left for later (a count). */
  readonly lag: number;
  /** Messages passed over because the checkpoint was out of range (a count). */
  readonly skipped: number;
  /** What was passed over, when anything was, for the run's log. */
  readonly warning?: string;
}

/** A source with a checkpoint. */
export interface CheckpointedSource {
  /** Given before `extract`: how to find the previous checkpoint (read only if needed). */
  resume(lookup: CheckpointLookup): void;
  /** After `extract`: the entries to add to the commit's `extraMetadata` (none when nothing is to be recorded). */
  checkpoint(): Readonly<Record<string, string>>;
  /**
   * After `extract`: whether the checkpoint moved, so the run commits it even when its batch
   * writes nothing (every message filtered out, or older than what is stored). Default: false.
   */
  mustPublish?(): boolean;
  /** After `extract`: where the source stands, for the log. Default: nothing to say. */
  position?(): SourcePosition | undefined;
}
