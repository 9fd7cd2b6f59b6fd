/**
 * The Avro schemas of Hudi's non-commit timeline payloads (rollback, clean, savepoint, restore,
 * requested replacecommit), as Hudi 0.14/0.15 (table version 6) embeds them in its container files.
 *
 * Each schema is written in the exact form Hudi's Java classes serialize (`Schema.toString()` of the
 * generated `org.apache.hudi.avro.model` classes): key order, named types inlined at first use, and
 * the `avro.java.string` properties Avro's code generator adds. For the rollback plan, rollback
 * metadata and requested replace metadata, `JSON.stringify` of the schema is byte-identical to the
 * `avro.schema` header of the Hudi-written fixtures; clean, savepoint and restore (no fixture) follow
 * the same rules applied to their .avsc files. Those properties, like `doc`, change neither the
 * binary encoding nor schema resolution.
 *
 * The TypeScript shapes of the nested records are here too (the payloads' own are in
 * avro-instants.ts): Avro field names, `T | null` for nullable unions, maps as string records.
 */

/** A read-only string-keyed Avro map. */
export type StringMap<V> = Readonly<Record<string, V>>;
/** A read-only Avro array. */
export type List<T> = ReadonlyArray<T>;

/** A JSON Avro schema, as embedded in a container file header. */
export type AvroSchemaJson = string | readonly AvroSchemaJson[] | { readonly [key: string]: unknown };

const NS = 'org.apache.hudi.avro.model';
const STR = { type: 'string', 'avro.java.string': 'String' } as const;
const arrayOf = (items: AvroSchemaJson) => ({ type: 'array', items }) as const;
const mapOf = (values: AvroSchemaJson) => ({ type: 'map', values, 'avro.java.string': 'String' }) as const;
const nullable = (type: AvroSchemaJson) => ['null', type] as const;
const optionalField = (name: string, type: AvroSchemaJson) => ({ name, type: nullable(type), default: null }) as const;
const versionField = (defaultVersion: number) => ({ name: 'version', type: ['int', 'null'], default: defaultVersion }) as const;
/** The clean plan's and clean metadata's `extraMetadata` (their .avsc also puts a `default` on the map type). */
const CLEAN_EXTRA_METADATA = {
  name: 'extraMetadata',
  type: nullable({ type: 'map', values: STR, default: null, 'avro.java.string': 'String' }),
  default: null,
} as const;

/** HoodieInstantInfo (defined inline by the first schema that uses it). */
const INSTANT_INFO = {
  type: 'record',
  name: 'HoodieInstantInfo',
  fields: [
    { name: 'commitTime', type: STR },
    { name: 'action', type: STR },
  ],
} as const;

/** HoodieRollbackPlan (`T.rollback.requested`). Matches the 0.14/0.15 fixture byte for byte. */
export const ROLLBACK_PLAN_SCHEMA = {
  type: 'record',
  name: 'HoodieRollbackPlan',
  namespace: NS,
  fields: [
    { name: 'instantToRollback', type: nullable(INSTANT_INFO), doc: 'Hoodie instant that needs to be rolled back', default: null },
    optionalField(
      'RollbackRequests',
      arrayOf({
        type: 'record',
        name: 'HoodieRollbackRequest',
        fields: [
          { name: 'partitionPath', type: STR },
          optionalField('fileId', STR),
          optionalField('latestBaseInstant', STR),
          { name: 'filesToBeDeleted', type: { type: 'array', items: STR, default: [] }, default: [] },
          optionalField('logBlocksToBeDeleted', mapOf('long')),
        ],
      }),
    ),
    versionField(1),
  ],
} as const;

/** HoodieRollbackMetadata without its namespace: also nested inside HoodieRestoreMetadata. */
const rollbackMetadataRecord = (namespace: boolean) =>
  ({
    type: 'record',
    name: 'HoodieRollbackMetadata',
    ...(namespace ? { namespace: NS } : {}),
    fields: [
      { name: 'startRollbackTime', type: STR },
      { name: 'timeTakenInMillis', type: 'long' },
      { name: 'totalFilesDeleted', type: 'int' },
      { name: 'commitsRollback', type: arrayOf(STR) },
      {
        name: 'partitionMetadata',
        type: mapOf({
          type: 'record',
          name: 'HoodieRollbackPartitionMetadata',
          fields: [
            { name: 'partitionPath', type: STR },
            { name: 'successDeleteFiles', type: arrayOf(STR) },
            { name: 'failedDeleteFiles', type: arrayOf(STR) },
            optionalField('rollbackLogFiles', mapOf('long')),
            optionalField('logFilesFromFailedCommit', mapOf('long')),
          ],
        }),
      },
      versionField(1),
      { name: 'instantsRollback', type: { type: 'array', items: INSTANT_INFO, default: [] }, default: [] },
    ],
  }) as const;

/** HoodieRollbackMetadata (`T.rollback`). Matches the 0.14/0.15 fixture byte for byte. */
export const ROLLBACK_METADATA_SCHEMA = rollbackMetadataRecord(true);

/** HoodieCleanerPlan (`T.clean.requested`), with the 0.15 `extraMetadata` field (default null). */
export const CLEANER_PLAN_SCHEMA = {
  type: 'record',
  name: 'HoodieCleanerPlan',
  namespace: NS,
  fields: [
    optionalField('earliestInstantToRetain', {
      type: 'record',
      name: 'HoodieActionInstant',
      fields: [
        { name: 'timestamp', type: STR },
        { name: 'action', type: STR },
        { name: 'state', type: STR },
      ],
    }),
    { name: 'lastCompletedCommitTimestamp', type: STR, default: '' },
    { name: 'policy', type: STR },
    optionalField('filesToBeDeletedPerPartition', mapOf(arrayOf(STR))),
    versionField(1),
    {
      name: 'filePathsToBeDeletedPerPartition',
      type: nullable(
        mapOf(
          arrayOf({
            type: 'record',
            name: 'HoodieCleanFileInfo',
            fields: [optionalField('filePath', STR), optionalField('isBootstrapBaseFile', 'boolean')],
          }),
        ),
      ),
      doc: 'This field replaces the field filesToBeDeletedPerPartition',
      default: null,
    },
    { name: 'partitionsToBeDeleted', type: nullable(arrayOf(STR)), doc: 'partitions to be deleted', default: null },
    CLEAN_EXTRA_METADATA,
  ],
} as const;

/** HoodieCleanMetadata (`T.clean`), with the 0.15 `extraMetadata` field (default null). */
export const CLEAN_METADATA_SCHEMA = {
  type: 'record',
  name: 'HoodieCleanMetadata',
  namespace: NS,
  fields: [
    { name: 'startCleanTime', type: STR },
    { name: 'timeTakenInMillis', type: 'long' },
    { name: 'totalFilesDeleted', type: 'int' },
    { name: 'earliestCommitToRetain', type: STR },
    { name: 'lastCompletedCommitTimestamp', type: STR, default: '' },
    {
      name: 'partitionMetadata',
      type: mapOf({
        type: 'record',
        name: 'HoodieCleanPartitionMetadata',
        fields: [
          { name: 'partitionPath', type: STR },
          { name: 'policy', type: STR },
          { name: 'deletePathPatterns', type: arrayOf(STR) },
          { name: 'successDeleteFiles', type: arrayOf(STR) },
          { name: 'failedDeleteFiles', type: arrayOf(STR) },
          optionalField('isPartitionDeleted', 'boolean'),
        ],
      }),
    },
    versionField(1),
    optionalField('bootstrapPartitionMetadata', {
      type: 'map',
      values: 'HoodieCleanPartitionMetadata',
      default: null,
      'avro.java.string': 'String',
    }),
    CLEAN_EXTRA_METADATA,
  ],
} as const;

/** HoodieSavepointMetadata (`T.savepoint`). */
export const SAVEPOINT_METADATA_SCHEMA = {
  type: 'record',
  name: 'HoodieSavepointMetadata',
  namespace: NS,
  fields: [
    { name: 'savepointedBy', type: STR },
    { name: 'savepointedAt', type: 'long' },
    { name: 'comments', type: STR },
    {
      name: 'partitionMetadata',
      type: mapOf({
        type: 'record',
        name: 'HoodieSavepointPartitionMetadata',
        fields: [
          { name: 'partitionPath', type: STR },
          { name: 'savepointDataFile', type: arrayOf(STR) },
        ],
      }),
    },
    versionField(1),
  ],
} as const;

/**
 * HoodieRestorePlan (`T.restore.requested`), plan version 2. Hudi declares
 * `savepointToRestoreTimestamp` as `["string","null"]` with default null, a default that does not
 * match the first branch; it is kept as Hudi writes it (see `avscCompatible` in avro-instants.ts).
 */
export const RESTORE_PLAN_SCHEMA = {
  type: 'record',
  name: 'HoodieRestorePlan',
  namespace: NS,
  fields: [
    { name: 'instantsToRollback', type: { type: 'array', items: INSTANT_INFO, default: null }, default: [] },
    versionField(2),
    { name: 'savepointToRestoreTimestamp', type: [STR, 'null'], default: null },
  ],
} as const;

/** HoodieRestoreMetadata (`T.restore`); the post-1.0 `extraMetadata` field is not part of 0.14/0.15. */
export const RESTORE_METADATA_SCHEMA = {
  type: 'record',
  name: 'HoodieRestoreMetadata',
  namespace: NS,
  fields: [
    { name: 'startRestoreTime', type: STR },
    { name: 'timeTakenInMillis', type: 'long' },
    { name: 'instantsToRollback', type: arrayOf(STR) },
    {
      name: 'hoodieRestoreMetadata',
      type: mapOf({ type: 'array', items: nullable(rollbackMetadataRecord(false)), default: null }),
    },
    versionField(1),
    { name: 'restoreInstantInfo', type: { type: 'array', items: 'HoodieInstantInfo', default: null }, default: [] },
  ],
} as const;

const stringMapField = (name: string) => optionalField(name, mapOf(STR));

/** HoodieRequestedReplaceMetadata (`T.replacecommit.requested`). Matches the 0.14/0.15 fixture byte for byte. */
export const REQUESTED_REPLACE_METADATA_SCHEMA = {
  type: 'record',
  name: 'HoodieRequestedReplaceMetadata',
  namespace: NS,
  fields: [
    optionalField('operationType', STR),
    optionalField('clusteringPlan', {
      type: 'record',
      name: 'HoodieClusteringPlan',
      fields: [
        optionalField(
          'inputGroups',
          arrayOf({
            type: 'record',
            name: 'HoodieClusteringGroup',
            fields: [
              optionalField(
                'slices',
                arrayOf({
                  type: 'record',
                  name: 'HoodieSliceInfo',
                  fields: [
                    optionalField('dataFilePath', STR),
                    optionalField('deltaFilePaths', arrayOf(STR)),
                    { name: 'fileId', type: nullable(STR) },
                    optionalField('partitionPath', STR),
                    optionalField('bootstrapFilePath', STR),
                    versionField(1),
                  ],
                }),
              ),
              optionalField('metrics', mapOf('double')),
              { name: 'numOutputFileGroups', type: ['int', 'null'], default: 1 },
              stringMapField('extraMetadata'),
              versionField(1),
            ],
          }),
        ),
        optionalField('strategy', {
          type: 'record',
          name: 'HoodieClusteringStrategy',
          fields: [optionalField('strategyClassName', STR), stringMapField('strategyParams'), versionField(1)],
        }),
        stringMapField('extraMetadata'),
        versionField(1),
        optionalField('preserveHoodieMetadata', 'boolean'),
      ],
    }),
    stringMapField('extraMetadata'),
    versionField(1),
  ],
} as const;

// TypeScript shapes of the nested records.

/** HoodieInstantInfo: an instant by time and action. */
export interface InstantInfo {
  readonly commitTime: string;
  readonly action: string;
}

/** HoodieRollbackRequest: the files of one file group that a rollback deletes. */
export interface RollbackRequest {
  readonly partitionPath: string;
  readonly fileId: string | null;
  readonly latestBaseInstant: string | null;
  readonly filesToBeDeleted: List<string>;
  readonly logBlocksToBeDeleted: StringMap<number> | null;
}

/** HoodieRollbackPartitionMetadata: what a rollback did in one partition. */
export interface RollbackPartitionMetadata {
  readonly partitionPath: string;
  readonly successDeleteFiles: List<string>;
  readonly failedDeleteFiles: List<string>;
  readonly rollbackLogFiles: StringMap<number> | null;
  readonly logFilesFromFailedCommit: StringMap<number> | null;
}

/** HoodieActionInstant: an instant by time, action and state. */
export interface ActionInstant {
  readonly timestamp: string;
  readonly action: string;
  readonly state: string;
}

/** HoodieCleanFileInfo: one file a clean deletes. */
export interface CleanFileInfo {
  readonly filePath: string | null;
  readonly isBootstrapBaseFile: boolean | null;
}

/** HoodieCleanPartitionMetadata: what a clean did in one partition. */
export interface CleanPartitionMetadata {
  readonly partitionPath: string;
  readonly policy: string;
  readonly deletePathPatterns: List<string>;
  readonly successDeleteFiles: List<string>;
  readonly failedDeleteFiles: List<string>;
  readonly isPartitionDeleted: boolean | null;
}

/** HoodieSavepointPartitionMetadata: the files a savepoint keeps in one partition. */
export interface SavepointPartitionMetadata {
  readonly partitionPath: string;
  readonly savepointDataFile: List<string>;
}

/** HoodieSliceInfo: one file slice in a clustering group. */
export interface SliceInfo {
  readonly dataFilePath: string | null;
  readonly deltaFilePaths: List<string> | null;
  readonly fileId: string | null;
  readonly partitionPath: string | null;
  readonly bootstrapFilePath: string | null;
  readonly version: number | null;
}

/** HoodieClusteringGroup: file slices rewritten together. */
export interface ClusteringGroup {
  readonly slices: List<SliceInfo> | null;
  readonly metrics: StringMap<number> | null;
  readonly numOutputFileGroups: number | null;
  readonly extraMetadata: StringMap<string> | null;
  readonly version: number | null;
}

/** HoodieClusteringStrategy: the class and parameters that run a clustering plan. */
export interface ClusteringStrategy {
  readonly strategyClassName: string | null;
  readonly strategyParams: StringMap<string> | null;
  readonly version: number | null;
}

/** HoodieClusteringPlan: the plan of a clustering replacecommit. */
export interface ClusteringPlan {
  readonly inputGroups: List<ClusteringGroup> | null;
  readonly strategy: ClusteringStrategy | null;
  readonly extraMetadata: StringMap<string> | null;
  readonly version: number | null;
  readonly preserveHoodieMetadata: boolean | null;
}
