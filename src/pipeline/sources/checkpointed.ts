/**
 * The contract of a source with a checkpoint kept in the target's commits (see `../checkpoint.ts`,
 * which finds the previous one): declared apart so sources need not import the pipeline's context.
 */

/** Where a source finds its previous checkpoint: the value of `key` and the commit it is in. */
export type CheckpointLookup = (key: string) => Promise<{ readonly value: string; readonly instant: string } | undefined>;

/** A source with a checkpoint. */
export interface CheckpointedSource {
  /** Given before `extract`: how to find the previous checkpoint (read only if needed). */
  resume(lookup: CheckpointLookup): void;
  /** After `extract`: the entries to add to the commit's `extraMetadata` (none when nothing is to be recorded). */
  checkpoint(): Readonly<Record<string, string>>;
}
