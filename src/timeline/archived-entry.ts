/**
 * HoodieArchivedMetaEntry: one instant file of the active timeline, as Hudi 0.14/0.15 (table
 * version 6) stores it in the archived timeline (records of Avro data blocks in
 * `.hoodie/archived/.commits_.archive.<n>_<token>`, see log-format.ts). One entry per file: an
 * archived commit leaves three entries (REQUESTED, INFLIGHT, COMPLETED), as in Hudi.
 *
 * The payload goes to the field of its action and state (MetadataConversionUtils): commit JSON is
 * converted to the Avro HoodieCommitMetadata (0.14's field set; `compacted` becomes operation type
 * COMPACT, and `extraMetadata.ROLLING_STAT` is set to "" as Hudi does), clean/rollback/savepoint
 * Avro payloads are embedded as they are. Restore has no field in this schema, so Hudi 0.14 never
 * archives restores and neither does Tidemark. Pure: no I/O.
 */
import { InvalidArgumentError, TableFormatError } from '../errors.ts';
import {
  CLEAN_METADATA_SCHEMA,
  CLEANER_PLAN_SCHEMA,
  REQUESTED_REPLACE_METADATA_SCHEMA,
  ROLLBACK_METADATA_SCHEMA,
  SAVEPOINT_METADATA_SCHEMA,
  type List,
  type StringMap,
} from './avro-schemas.ts';
import {
  type CleanMetadata,
  type CleanerPlan,
  type RequestedReplaceMetadata,
  type RollbackMetadata,
  type SavepointMetadata,
  decodeCleanMetadata,
  decodeCleanerPlan,
  decodeRequestedReplaceMetadata,
  decodeRollbackMetadata,
  decodeSavepointMetadata,
  encodeCleanMetadata,
  encodeCleanerPlan,
  encodeRequestedReplaceMetadata,
  encodeRollbackMetadata,
  encodeSavepointMetadata,
} from './avro-instants.ts';
import { type CommitMetadata, type WriteStat, parseCommitMetadata, serializeCommitMetadata } from './commit-metadata.ts';
import { ACTIONS, type Action, INSTANT_STATES, type Instant, isInstantTime } from './instant.ts';
import { emptyRecord } from '../util/record.ts';

const NS = 'org.apache.hudi.avro.model';
const STR = { type: 'string', 'avro.java.string': 'String' } as const;
const opt = (name: string, type: unknown) => ({ name, type: ['null', type], default: null });
const map = (values: unknown) => ({ type: 'map', values, 'avro.java.string': 'String' });
const version = { name: 'version', type: ['int', 'null'], default: 1 } as const;
const LONG_STATS = ['numWrites', 'numDeletes', 'numUpdateWrites', 'totalWriteBytes', 'totalWriteErrors'] as const;
const LOG_STATS = ['totalLogRecords', 'totalLogFiles', 'totalUpdatedRecordsCompacted', 'numInserts', 'totalLogBlocks', 'totalCorruptLogBlock', 'totalRollbackBlocks', 'fileSizeInBytes'] as const;

/** HoodieWriteStat as 0.14's Avro model has it (fewer fields than the commit JSON). */
const WRITE_STAT = {
  type: 'record',
  name: 'HoodieWriteStat',
  fields: [
    opt('fileId', STR),
    opt('path', STR),
    opt('prevCommit', STR),
    ...LONG_STATS.map((n) => opt(n, 'long')),
    opt('partitionPath', STR),
    ...LOG_STATS.map((n) => opt(n, 'long')),
  ],
};

/** The field order of HoodieArchivedMetaEntry in Hudi 0.14/0.15 (`HoodieArchivedMetaEntry.avsc`). */
export const ARCHIVED_META_ENTRY_SCHEMA = {
  type: 'record',
  name: 'HoodieArchivedMetaEntry',
  namespace: NS,
  fields: [
    opt('hoodieCommitMetadata', {
      type: 'record',
      name: 'HoodieCommitMetadata',
      fields: [
        opt('partitionToWriteStats', map({ type: 'array', items: WRITE_STAT })),
        opt('extraMetadata', { ...map(STR), default: null }),
        version,
        opt('operationType', STR),
      ],
    }),
    opt('hoodieCleanMetadata', CLEAN_METADATA_SCHEMA),
    opt('hoodieCompactionMetadata', {
      type: 'record',
      name: 'HoodieCompactionMetadata',
      fields: [
        {
          name: 'partitionToCompactionWriteStats',
          type: [
            'null',
            map({
              type: 'array',
              items: {
                type: 'record',
                name: 'HoodieCompactionWriteStat',
                fields: [opt('partitionPath', STR), ...LOG_STATS.slice(0, 3).map((n) => opt(n, 'long')), opt('hoodieWriteStat', 'HoodieWriteStat')],
              },
            }),
          ],
        },
      ],
    }),
    opt('hoodieRollbackMetadata', ROLLBACK_METADATA_SCHEMA),
    opt('hoodieSavePointMetadata', SAVEPOINT_METADATA_SCHEMA),
    opt('commitTime', STR),
    opt('actionType', STR),
    version,
    opt('hoodieCompactionPlan', {
      type: 'record',
      name: 'HoodieCompactionPlan',
      fields: [
        opt('operations', {
          type: 'array',
          items: {
            type: 'record',
            name: 'HoodieCompactionOperation',
            fields: [
              { name: 'baseInstantTime', type: ['null', STR] },
              opt('deltaFilePaths', { type: 'array', items: STR }),
              opt('dataFilePath', STR),
              { name: 'fileId', type: ['null', STR] },
              opt('partitionPath', STR),
              opt('metrics', map('double')),
              opt('bootstrapFilePath', STR),
            ],
          },
        }),
        opt('extraMetadata', map(STR)),
        version,
        opt('strategy', {
          type: 'record',
          name: 'HoodieCompactionStrategy',
          fields: [opt('compactorClassName', STR), opt('strategyParams', map(STR)), version],
        }),
        { name: 'preserveHoodieMetadata', type: ['boolean', 'null'], default: false },
      ],
    }),
    opt('hoodieCleanerPlan', CLEANER_PLAN_SCHEMA),
    opt('actionState', STR),
    opt('hoodieReplaceCommitMetadata', {
      type: 'record',
      name: 'HoodieReplaceCommitMetadata',
      fields: [
        opt('partitionToWriteStats', map({ type: 'array', items: 'HoodieWriteStat' })),
        opt('extraMetadata', map(STR)),
        version,
        opt('operationType', STR),
        opt('partitionToReplaceFileIds', map({ type: 'array', items: STR })),
      ],
    }),
    opt('hoodieRequestedReplaceMetadata', REQUESTED_REPLACE_METADATA_SCHEMA),
    opt('HoodieInflightReplaceMetadata', 'HoodieCommitMetadata'),
    opt('hoodieIndexCommitMetadata', {
      type: 'record',
      name: 'HoodieIndexCommitMetadata',
      fields: [
        version,
        opt('operationType', STR),
        opt('indexPartitionInfos', {
          type: 'array',
          items: { type: 'record', name: 'HoodieIndexPartitionInfo', fields: [version, opt('metadataPartitionPath', STR), opt('indexUptoInstant', STR)] },
        }),
      ],
    }),
    opt('stateTransitionTime', STR),
  ],
} as const;

/** The schema text written into the SCHEMA header of archive blocks. */
export const ARCHIVED_META_ENTRY_SCHEMA_JSON = JSON.stringify(ARCHIVED_META_ENTRY_SCHEMA);

/** HoodieWriteStat in its Avro form. */
export type AvroWriteStat = { readonly fileId: string | null; readonly path: string | null; readonly prevCommit: string | null; readonly partitionPath: string | null } & {
  readonly [K in (typeof LONG_STATS)[number] | (typeof LOG_STATS)[number]]: number | null;
};

/** The Avro HoodieCommitMetadata (also the shape of HoodieInflightReplaceMetadata). */
export interface AvroCommitMetadata {
  readonly partitionToWriteStats: StringMap<List<AvroWriteStat>> | null;
  readonly extraMetadata: StringMap<string> | null;
  readonly version: number | null;
  readonly operationType: string | null;
}

/** The Avro HoodieReplaceCommitMetadata. */
export interface AvroReplaceCommitMetadata extends AvroCommitMetadata {
  readonly partitionToReplaceFileIds: StringMap<List<string>> | null;
}

/** One HoodieArchivedMetaEntry record. Compaction and index payloads are kept as decoded. */
export interface ArchivedMetaEntry {
  readonly hoodieCommitMetadata: AvroCommitMetadata | null;
  readonly hoodieCleanMetadata: CleanMetadata | null;
  readonly hoodieCompactionMetadata: unknown;
  readonly hoodieRollbackMetadata: RollbackMetadata | null;
  readonly hoodieSavePointMetadata: SavepointMetadata | null;
  readonly commitTime: string | null;
  readonly actionType: string | null;
  readonly version: number | null;
  readonly hoodieCompactionPlan: unknown;
  readonly hoodieCleanerPlan: CleanerPlan | null;
  /** REQUESTED, INFLIGHT or COMPLETED; null in very old archives (read as COMPLETED). */
  readonly actionState: string | null;
  readonly hoodieReplaceCommitMetadata: AvroReplaceCommitMetadata | null;
  readonly hoodieRequestedReplaceMetadata: RequestedReplaceMetadata | null;
  readonly HoodieInflightReplaceMetadata: AvroCommitMetadata | null;
  readonly hoodieIndexCommitMetadata: unknown;
  readonly stateTransitionTime: string | null;
}

/** Hudi stores this key in archived commit metadata with an empty value (it dropped rolling stats). */
const ROLLING_STAT = 'ROLLING_STAT';
const EMPTY: Omit<ArchivedMetaEntry, 'commitTime' | 'actionType' | 'actionState' | 'stateTransitionTime'> = {
  hoodieCommitMetadata: null,
  hoodieCleanMetadata: null,
  hoodieCompactionMetadata: null,
  hoodieRollbackMetadata: null,
  hoodieSavePointMetadata: null,
  version: 1,
  hoodieCompactionPlan: null,
  hoodieCleanerPlan: null,
  hoodieReplaceCommitMetadata: null,
  hoodieRequestedReplaceMetadata: null,
  HoodieInflightReplaceMetadata: null,
  hoodieIndexCommitMetadata: null,
};

const isBlank = (content: Uint8Array): boolean => content.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const long = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

/** Commit JSON (`T.commit`, `T.inflight`, `T.replacecommit`) → the Avro form, as Jackson's convertValue does it. */
function avroCommitMetadata(content: Uint8Array, file: string, replace: boolean): AvroReplaceCommitMetadata {
  const text = new TextDecoder().decode(content);
  const parsed = parseCommitMetadata(text, file); // validates, with errors naming the file
  const raw = JSON.parse(text) as Record<string, unknown>;
  const partitionToWriteStats: Record<string, AvroWriteStat[]> = emptyRecord();
  for (const [partition, list] of Object.entries((raw.partitionToWriteStats ?? {}) as Record<string, Array<Record<string, unknown>>>)) {
    partitionToWriteStats[partition] = list.map((s) => {
      const stat: Record<string, unknown> = { fileId: str(s.fileId), path: str(s.path), prevCommit: str(s.prevCommit), partitionPath: str(s.partitionPath) };
      for (const k of [...LONG_STATS, ...LOG_STATS]) stat[k] = long(s[k]);
      return stat as AvroWriteStat;
    });
  }
  const out: AvroReplaceCommitMetadata = {
    partitionToWriteStats,
    extraMetadata: { ...parsed.extraMetadata, [ROLLING_STAT]: '' },
    // Jackson fills a no-arg Avro object, so Hudi leaves `version` null.
    version: null,
    operationType: parsed.compacted ? 'COMPACT' : str(raw.operationType),
    partitionToReplaceFileIds: replace ? (parsed.partitionToReplaceFileIds ?? {}) : null,
  };
  return out;
}

/**
 * The archived entry of one active-timeline file: `instant` and the file's bytes (`file` names it
 * in errors). `stateTransitionTime` is what Hudi takes from the file's modification time.
 */
export function toArchivedEntry(instant: Instant, content: Uint8Array, file: string, stateTransitionTime: string | null = null): ArchivedMetaEntry {
  const { time, action, state } = instant;
  const entry = { ...EMPTY, commitTime: time, actionType: action, actionState: state, stateTransitionTime };
  // Requested commits and some inflight/requested files are empty: an entry with no payload, as
  // Hudi writes for an empty instant.
  const empty = isBlank(content);
  switch (action) {
    case 'commit':
    case 'deltacommit':
      return empty ? entry : { ...entry, hoodieCommitMetadata: withoutReplace(avroCommitMetadata(content, file, false)) };
    case 'replacecommit':
      if (empty) return entry;
      if (state === 'COMPLETED') return { ...entry, hoodieReplaceCommitMetadata: avroCommitMetadata(content, file, true) };
      if (state === 'INFLIGHT') return { ...entry, HoodieInflightReplaceMetadata: withoutReplace(avroCommitMetadata(content, file, false)) };
      return { ...entry, hoodieRequestedReplaceMetadata: decodeRequestedReplaceMetadata(content, file) };
    case 'clean':
      if (empty) return entry;
      return state === 'COMPLETED' ? { ...entry, hoodieCleanMetadata: decodeCleanMetadata(content, file) } : { ...entry, hoodieCleanerPlan: decodeCleanerPlan(content, file) };
    case 'rollback':
      return state === 'COMPLETED' && !empty ? { ...entry, hoodieRollbackMetadata: decodeRollbackMetadata(content, file) } : entry;
    case 'savepoint':
      return state === 'COMPLETED' && !empty ? { ...entry, hoodieSavePointMetadata: decodeSavepointMetadata(content, file) } : entry;
    default:
      throw new InvalidArgumentError(`${file}: ${action} instants cannot be archived in table version 6 (HoodieArchivedMetaEntry has no field for them)`, {
        file,
        value: action,
      });
  }
}

function withoutReplace(m: AvroReplaceCommitMetadata): AvroCommitMetadata {
  const { partitionToReplaceFileIds: _, ...rest } = m;
  return rest;
}

/** The instant an archived entry records; `file` (the archive file) is named in errors. */
export function archivedInstant(entry: ArchivedMetaEntry, file: string): Instant {
  const time = entry.commitTime ?? '';
  const action = entry.actionType ?? '';
  const state = entry.actionState ?? 'COMPLETED';
  if (!isInstantTime(time.slice(0, 17)) || !(ACTIONS as readonly string[]).includes(action) || !(INSTANT_STATES as readonly string[]).includes(state)) {
    throw new TableFormatError(`archive ${file} holds an entry with instant "${time}", action "${action}", state "${state}"`, { file, value: entry.commitTime });
  }
  return { time, action: action as Action, state: state as Instant['state'] };
}

/** The commit metadata of an archived commit, delta commit or replacecommit entry, as Tidemark models it. */
export function archivedCommitMetadata(entry: ArchivedMetaEntry): CommitMetadata | undefined {
  const m: AvroCommitMetadata | AvroReplaceCommitMetadata | null =
    entry.hoodieReplaceCommitMetadata ?? entry.hoodieCommitMetadata ?? entry.HoodieInflightReplaceMetadata;
  if (m === null) return undefined;
  const partitionToWriteStats: Record<string, WriteStat[]> = emptyRecord();
  for (const [partition, list] of Object.entries(m.partitionToWriteStats ?? {})) {
    partitionToWriteStats[partition] = list.map((s) => ({
      fileId: s.fileId ?? '',
      path: s.path,
      prevCommit: s.prevCommit ?? 'null',
      numWrites: s.numWrites ?? 0,
      numDeletes: s.numDeletes ?? 0,
      numUpdateWrites: s.numUpdateWrites ?? 0,
      numInserts: s.numInserts ?? 0,
      totalWriteBytes: s.totalWriteBytes ?? 0,
      partitionPath: s.partitionPath,
      fileSizeInBytes: s.fileSizeInBytes ?? 0,
    }));
  }
  const extraMetadata: Record<string, string> = { ...(m.extraMetadata ?? {}) };
  if (extraMetadata[ROLLING_STAT] === '') delete extraMetadata[ROLLING_STAT];
  const out: CommitMetadata = { partitionToWriteStats, compacted: m.operationType === 'COMPACT', extraMetadata, operationType: m.operationType ?? 'UNKNOWN' };
  const replaced = (m as Partial<AvroReplaceCommitMetadata>).partitionToReplaceFileIds ?? null;
  return replaced === null ? out : { ...out, partitionToReplaceFileIds: replaced };
}

/**
 * The inverse of `toArchivedEntry`: the instant and the content of its active-timeline file
 * (commit JSON re-serialized, Avro payloads re-encoded; empty when the entry has no payload).
 */
export function fromArchivedEntry(entry: ArchivedMetaEntry, file: string): { instant: Instant; content: Uint8Array } {
  const instant = archivedInstant(entry, file);
  const json = (m: CommitMetadata | undefined): Uint8Array => new TextEncoder().encode(m === undefined ? '' : serializeCommitMetadata(m));
  let content: Uint8Array = new Uint8Array(0);
  if (instant.action === 'commit' || instant.action === 'deltacommit' || instant.action === 'replacecommit') {
    if (entry.hoodieRequestedReplaceMetadata !== null) content = encodeRequestedReplaceMetadata(entry.hoodieRequestedReplaceMetadata);
    else content = json(archivedCommitMetadata(entry));
  } else if (entry.hoodieCleanMetadata !== null) content = encodeCleanMetadata(entry.hoodieCleanMetadata);
  else if (entry.hoodieCleanerPlan !== null) content = encodeCleanerPlan(entry.hoodieCleanerPlan);
  else if (entry.hoodieRollbackMetadata !== null) content = encodeRollbackMetadata(entry.hoodieRollbackMetadata);
  else if (entry.hoodieSavePointMetadata !== null) content = encodeSavepointMetadata(entry.hoodieSavePointMetadata);
  return { instant, content };
}
