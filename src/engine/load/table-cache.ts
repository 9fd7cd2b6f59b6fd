/**
 * Loaded tables, kept between reads. Loading a table reads `hoodie.properties` and every commit
 * file; a read that follows another on an unchanged table should not. A cached state is used only
 * while `.hoodie/` lists the same names and `hoodie.properties` has the same size and modification
 * time: every change to a table's timeline adds, removes or renames a file there (commits are
 * published by rename, rollbacks and archiving remove instants), and a properties update is a
 * rewrite of that file.
 */
import type { FileStore } from '../../storage/file-store.ts';
import { metaDir, propertiesPath } from '../layout.ts';
import { type TableState, loadTable } from './table-state.ts';

const MAX_TABLES = 64;

/** Tables loaded through one file store, by base path. */
export class TableCache {
  private readonly entries = new Map<string, { key: string; state: TableState }>();

  constructor(private readonly store: FileStore) {}

  /** The table at `basePath` (absolute), from the cache when its timeline has not changed. */
  async load(basePath: string): Promise<TableState> {
    const key = await this.signature(basePath);
    const hit = this.entries.get(basePath);
    if (hit !== undefined && key !== undefined && hit.key === key) {
      // Most recently used last, so the oldest entry is the first evicted.
      this.entries.delete(basePath);
      this.entries.set(basePath, hit);
      return hit.state;
    }
    const state = await loadTable(this.store, basePath);
    // The signature is taken before loading: a change during the load makes the next call reload.
    if (key !== undefined) {
      this.entries.delete(basePath);
      if (this.entries.size >= MAX_TABLES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(basePath, { key, state });
    } else {
      this.entries.delete(basePath);
    }
    return state;
  }

  /** Names in `.hoodie/` plus the properties file's size and time; undefined when there is none. */
  private async signature(basePath: string): Promise<string | undefined> {
    const [names, props] = await Promise.all([this.store.listNames(metaDir(basePath)), this.store.stat(propertiesPath(basePath))]);
    if (props === undefined) return undefined;
    return `${props.size}:${props.modifiedMs}\u0000${names.sort().join('\u0000')}`;
  }
}
