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
 * before step 4 is undone here; one whose process dies is rolled back by the next writer.
 */
import path from 'node:path';
import type { FileStore } from '../storage/file-store.ts';
import { type CommitMetadata, serializeCommitMetadata } from '../timeline/commit-metadata.ts';
import { instantFileName } from '../timeline/instant.ts';
import { metaDir } from './table-state.ts';

/** The files of one commit in progress. */
export class PendingCommit {
  private readonly written: string[] = [];

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
    const abs = path.join(this.basePath, relativePath);
    await this.store.createExclusive(path.join(this.markerDir(), `${relativePath}.marker.${kind}`), '');
    this.written.push(abs);
    return abs;
  }

  /** Step 4 and 5: publish, then drop the markers. */
  async complete(metadata: CommitMetadata): Promise<void> {
    await this.store.writeAtomic(this.timelineFile('COMPLETED'), serializeCommitMetadata(metadata));
    await this.store.remove(this.markerDir());
  }

  /** Undoes an unpublished commit: its files, markers and timeline entries. */
  async abort(): Promise<void> {
    for (const file of this.written) await this.store.remove(file);
    await this.store.remove(this.markerDir());
    await this.store.remove(this.timelineFile('INFLIGHT'));
    await this.store.remove(this.timelineFile('REQUESTED'));
  }
}
