/**
 * The commit protocol of one copy-on-write write (see docs/ARCHITECTURE.md):
 *
 *   1. T.commit.requested   created exclusively: two writers cannot take the same instant
 *   2. T.inflight           the plan (one write stat per target file group)
 *   3. markers + files      .hoodie/.temp/T/<partition>/<file>.marker.<CREATE|MERGE>, then the Parquet
 *   4. T.commit             written to a temporary name and renamed: the atomic publish
 *   5. .hoodie/.temp/T      removed
 *
 * Until step 4 no reader sees any of it (readers only follow completed instants). A write that fails
 * before step 4 is undone here; one whose process dies is rolled back by the next writer. Once step 4
 * is done the commit is never undone here: step 5 is best-effort (a warning), and `abort` does nothing.
 */
import path from 'node:path';
import type { FileStore } from '../storage/file-store.ts';
import { type CommitMetadata, serializeCommitMetadata } from '../timeline/commit-metadata.ts';
import { instantFileName } from '../timeline/instant.ts';
import { metaDir } from './table-state.ts';
import { pathInTable } from './table-paths.ts';
import type { Warnings } from './warnings.ts';

/** The files of one commit in progress. */
export class PendingCommit {
  private readonly written: string[] = [];
  /**
   * `open` until `T.commit` is in place (`published`); `unknown` when publishing failed and whether
   * it landed could not be checked: then nothing is undone here and the next writer's recovery
   * decides from what is on disk.
   */
  private state: 'open' | 'published' | 'unknown' = 'open';

  constructor(
    private readonly store: FileStore,
    readonly basePath: string,
    readonly instant: string,
    readonly action: 'commit' | 'replacecommit' = 'commit',
  ) {}

  private timelineFile(state: 'REQUESTED' | 'INFLIGHT' | 'COMPLETED'): string {
    return path.join(metaDir(this.basePath), instantFileName({ time: this.instant, action: this.action, state }));
  }

  private markerDir(): string {
    return path.join(metaDir(this.basePath), '.temp', this.instant);
  }

  /** Step 1: fails with `FileExistsError` when another writer holds this instant. */
  async request(): Promise<void> {
    await this.store.createExclusive(this.timelineFile('REQUESTED'), '');
  }

  /** Step 2: the plan. */
  async inflight(plan: CommitMetadata): Promise<void> {
    await this.store.createExclusive(this.timelineFile('INFLIGHT'), serializeCommitMetadata(plan));
  }

  /** Step 3, before a data file is created: its marker, so a rollback can find it. */
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
   * Step 4 and 5: publish, then drop the markers. Throws only when the commit was not published;
   * after publication a failure is a warning (the next writer removes leftover markers).
   */
  async complete(metadata: CommitMetadata, warnings: Warnings): Promise<void> {
    const file = this.timelineFile('COMPLETED');
    try {
      await this.store.writeAtomic(file, serializeCommitMetadata(metadata));
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
    await this.store.remove(this.timelineFile('INFLIGHT'));
    await this.store.remove(this.timelineFile('REQUESTED'));
  }
}
