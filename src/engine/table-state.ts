/**
 * A table as loaded from storage: its config, timeline, the metadata of every completed write, and
 * the base files those writes name. Everything a read or a write plan needs, loaded once.
 */
import path from 'node:path';
import { TableFormatError, TableNotFoundError } from '../errors.ts';
import type { FileStore } from '../storage/file-store.ts';
import { type BaseFile, parseBaseFilePath } from '../table/base-file.ts';
import { type FileSlice, type Replacement, fileSlicesAsOf } from '../table/file-slice.ts';
import { fromAvroSchema, type Schema } from '../table/schema.ts';
import { type TableConfig, parseTableConfig } from '../table/table-config.ts';
import { type CommitMetadata, parseCommitMetadata } from '../timeline/commit-metadata.ts';
import { type Instant, instantFileName, parseInstantFileName } from '../timeline/instant.ts';
import { Timeline } from '../timeline/timeline.ts';

/** `.hoodie` under a base path. */
export function metaDir(basePath: string): string {
  return path.join(basePath, '.hoodie');
}

/** A loaded table. */
export interface TableState {
  readonly basePath: string;
  readonly config: TableConfig;
  readonly timeline: Timeline;
  /** Metadata of each completed write instant, by instant time. */
  readonly commits: ReadonlyMap<string, CommitMetadata>;
  /** Every base file a completed write names (all slices, not just the latest). */
  readonly files: ReadonlyArray<BaseFile>;
  readonly replacements: ReadonlyArray<Replacement>;
}

/** Loads a table; `TableNotFoundError` when there is no `.hoodie/hoodie.properties`. */
export async function loadTable(store: FileStore, basePath: string): Promise<TableState> {
  const propsFile = path.join(metaDir(basePath), 'hoodie.properties');
  if (!(await store.exists(propsFile))) {
    throw new TableNotFoundError(`no Hudi table at ${basePath} (${propsFile} is missing)`, { table: basePath, file: propsFile });
  }
  const config = parseTableConfig(await store.readText(propsFile), propsFile);
  if (config.tableType !== 'COPY_ON_WRITE') {
    throw new TableFormatError(`table ${config.name} at ${basePath} is ${config.tableType}; Tidemark reads copy-on-write tables only`, {
      table: basePath,
      file: propsFile,
      value: config.tableType,
    });
  }
  const instants: Instant[] = [];
  for (const entry of await store.list(metaDir(basePath))) {
    if (entry.isDirectory) continue;
    const instant = parseInstantFileName(entry.name);
    if (instant !== undefined) instants.push(instant);
  }
  const timeline = new Timeline(instants);
  const commits = new Map<string, CommitMetadata>();
  const files: BaseFile[] = [];
  const replacements: Replacement[] = [];
  for (const instant of timeline.completedWrites()) {
    const file = path.join(metaDir(basePath), instantFileName(instant));
    const metadata = parseCommitMetadata(await store.readText(file), file);
    commits.set(instant.time, metadata);
    for (const stats of Object.values(metadata.partitionToWriteStats)) {
      for (const stat of stats) {
        if (stat.path === null) continue;
        const base = parseBaseFilePath(stat.path, stat.fileSizeInBytes);
        if (base === undefined) {
          throw new TableFormatError(`commit ${file} names "${stat.path}", which is not a base file name`, { table: basePath, file, value: stat.path });
        }
        files.push(base);
      }
    }
    if (metadata.partitionToReplaceFileIds !== undefined) {
      replacements.push({ instant: instant.time, partitionToReplaceFileIds: metadata.partitionToReplaceFileIds });
    }
  }
  return { basePath, config, timeline, commits, files, replacements };
}

/** The file slices visible as of an instant (latest when undefined). */
export function visibleSlices(state: TableState, asOf?: string): FileSlice[] {
  const completed = new Set(state.timeline.completedWrites().map((i) => i.time));
  return fileSlicesAsOf(state.files, { completed, replacements: state.replacements, ...(asOf === undefined ? {} : { asOf }) });
}

/**
 * The table's data schema: from the latest commit's `extraMetadata.schema`, else from the create
 * schema; undefined for a table with neither (created but never written, with no schema given).
 */
export function tableSchema(state: TableState, asOf?: string): Schema | undefined {
  const writes = state.timeline.completedWrites().filter((i) => asOf === undefined || i.time <= asOf);
  for (let i = writes.length - 1; i >= 0; i--) {
    const schema = state.commits.get(writes[i]!.time)?.extraMetadata.schema;
    if (schema !== undefined && schema !== '') return fromAvroSchema(schema);
  }
  return state.config.createSchema === undefined ? undefined : fromAvroSchema(state.config.createSchema);
}
