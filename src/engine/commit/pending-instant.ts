/**
 * The commit protocol, one path for every action (see docs/ARCHITECTURE.md): an instant goes
 *
 *   T.<action>.requested   created exclusively (empty, or the action's plan): two writers cannot
 *                          take the same instant
 *   T.<action>.inflight    created exclusively (empty, or the plan)
 *   … the action's work …  (a write's markers and files, a clean's deletes, a rollback's undo)
 *   T.<action>             written to a temporary name, fsync'd and renamed: the atomic publish
 *
 * `PendingInstant` is that walk for any action (commit, replacecommit, clean, rollback, savepoint,
 * restore), plus what recovery needs: `planOrDrop` finishes from the requested plan, dropping an
 * instant whose plan is empty (its writer died before writing it, so nothing was done yet), and
 * `remove` takes an instant's files off the timeline. `PendingCommit` adds a write's markers and
 * its undo: until `T.commit` is published no reader sees any of it (readers only follow completed
 * instants); a write that fails before then is undone here (`abort`), one whose process dies is
 * rolled back by the next writer. Once published the commit is never undone here: removing the
 * markers is best-effort (a warning), and `abort` does nothing.
 */
import type { FileStore } from '../../storage/file-store.ts';
import { type CommitMetadata, serializeCommitMetadata } from '../../timeline/commit-metadata.ts';
import type { Action, InstantState } from '../../timeline/instant.ts';
import type { Warnings } from '../context.ts';
import { instantPath, markerDir } from '../layout.ts';
import { pathInTable } from '../table-paths.ts';

/** One instant of one action, walked through its states. */
export class PendingInstant<A extends Action = Action> {
  constructor(
    protected readonly store: FileStore,
    readonly basePath: string,
    readonly instant: string,
    readonly action: A,
  ) {}

  /** The instant's timeline file in one state. */
  file(state: InstantState): string {
    return instantPath(this.basePath, { time: this.instant, action: this.action, state });
  }

  /** The instant's marker directory, `.hoodie/.temp/<instant>`. */
  markerDir(): string {
    return markerDir(this.basePath, this.instant);
  }

  /** Requested: fails with `FileExistsError` when another writer holds this instant. */
  async request(plan: string | Uint8Array = ''): Promise<void> {
    await this.store.createExclusive(this.file('REQUESTED'), plan);
  }

  /** Inflight: the work starts. */
  async inflight(plan: string | Uint8Array = ''): Promise<void> {
    await this.store.createExclusive(this.file('INFLIGHT'), plan);
  }

  /** Inflight when resuming from the plan: created (empty) unless it is there already. */
  async resumeInflight(): Promise<void> {
    if (!(await this.store.exists(this.file('INFLIGHT')))) await this.store.createExclusive(this.file('INFLIGHT'), '');
  }

  /** Completed: the metadata, written atomically. The moment the instant becomes visible. */
  async publish(metadata: string | Uint8Array): Promise<void> {
    await this.store.writeAtomic(this.file('COMPLETED'), metadata);
  }

  /**
   * The requested plan's bytes, to finish the instant from; when it is empty or missing (its
   * writer died before writing it: nothing was done yet) the instant is dropped (requested, then
   * inflight removed) and the answer is undefined.
   */
  async planOrDrop(): Promise<Uint8Array | undefined> {
    const file = this.file('REQUESTED');
    const size = (await this.store.stat(file))?.size ?? 0;
    if (size === 0) {
      await this.remove('REQUESTED', 'INFLIGHT');
      return undefined;
    }
    return this.store.readBytes(file, 0, size);
  }

  /** Removes the instant's files in these states, in this order (a missing one is no error). */
  async remove(...states: InstantState[]): Promise<void> {
    for (const state of states) await this.store.remove(this.file(state));
  }
}

/** The files of one write (commit or replacecommit) in progress. */
export class PendingCommit extends PendingInstant<'commit' | 'replacecommit'> {
  private readonly written: string[] = [];
  /**
   * `open` until `T.commit` is in place (`published`); `unknown` when publishing failed and whether
   * it landed could not be checked: then nothing is undone here and the next writer's recovery
   * decides from what is on disk.
   */
  private state: 'open' | 'published' | 'unknown' = 'open';

  constructor(store: FileStore, basePath: string, instant: string, action: 'commit' | 'replacecommit' = 'commit') {
    super(store, basePath, instant, action);
  }

  /** Inflight: the plan, one write stat per target file group. */
  async inflightPlan(plan: CommitMetadata): Promise<void> {
    await this.inflight(serializeCommitMetadata(plan));
  }

  /** Before a data file is created: its marker, so a rollback can find it. */
  async mark(relativePath: string, kind: 'CREATE' | 'MERGE'): Promise<string> {
    const abs = pathInTable(this.basePath, relativePath, { data: true });
    await this.store.createExclusive(pathInTable(this.markerDir(), `${relativePath}.marker.${kind}`), '');
    this.written.push(abs);
    return abs;
  }

  /** Whether `T.commit` is in place: the commit has landed, whatever fails afterwards. */
  get published(): boolean {
    return this.state === 'published';
  }

  /**
   * Publish, then drop the markers. Throws only when the commit was not published; after
   * publication a failure is a warning (the next writer removes leftover markers).
   */
  async complete(metadata: CommitMetadata, warnings: Warnings): Promise<void> {
    const file = this.file('COMPLETED');
    try {
      await this.publish(serializeCommitMetadata(metadata));
    } catch (error) {
      // An atomic write is all or nothing: if the file is there, the rename happened. `stat` (not
      // `exists`, which reads any error as absence) so an unreadable answer stays `unknown`.
      this.state = 'unknown';
      const landed = await this.store.stat(file).then(
        (st) => st !== undefined,
        () => undefined,
      );
      if (landed !== true) {
        if (landed === false) this.state = 'open';
        throw error;
      }
      warnings.add(`commit ${this.instant} of ${this.basePath} is published, but writing ${file} reported an error`, error);
    }
    this.state = 'published';
    await warnings.attempt(`commit ${this.instant} of ${this.basePath} is published, but removing its markers ${this.markerDir()} failed (the next writer removes them)`, () =>
      this.store.remove(this.markerDir()),
    );
  }

  /**
   * Undoes an unpublished commit: its files, markers and timeline entries. Does nothing once the
   * commit is published (or may be: then recovery decides).
   */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    for (const file of this.written) await this.store.remove(file);
    await this.store.remove(this.markerDir());
    await this.remove('INFLIGHT', 'REQUESTED');
  }
}
