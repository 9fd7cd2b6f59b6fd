import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, TableFormatError } from '../../src/errors.ts';
import {
  decodeCleanMetadata,
  decodeCleanerPlan,
  decodeRequestedReplaceMetadata,
  decodeRestoreMetadata,
  decodeRestorePlan,
  decodeRollbackMetadata,
  decodeRollbackPlan,
  decodeSavepointMetadata,
  encodeCleanMetadata,
  encodeCleanerPlan,
  encodeRequestedReplaceMetadata,
  encodeRestoreMetadata,
  encodeRestorePlan,
  encodeRollbackMetadata,
  encodeRollbackPlan,
  encodeSavepointMetadata,
  readContainerHeader,
  type CleanMetadata,
  type CleanerPlan,
  type RequestedReplaceMetadata,
  type RestoreMetadata,
  type RestorePlan,
  type RollbackMetadata,
  type RollbackPlan,
  type SavepointMetadata,
} from '../../src/timeline/avro-instants.ts';
import {
  CLEAN_METADATA_SCHEMA,
  CLEANER_PLAN_SCHEMA,
  REQUESTED_REPLACE_METADATA_SCHEMA,
  RESTORE_METADATA_SCHEMA,
  RESTORE_PLAN_SCHEMA,
  ROLLBACK_METADATA_SCHEMA,
  ROLLBACK_PLAN_SCHEMA,
  SAVEPOINT_METADATA_SCHEMA,
} from '../../src/timeline/avro-schemas.ts';
import { extractFixture, HUDI_FIXTURES } from '../support/hudi-fixtures.ts';

const BASE = '/warehouse/trips';
const T1 = '20240612093015123';
const T2 = '20240612101502777';
const T3 = '20240612113000001';
const FG = 'a3f1c2d4-8e5b-4c6a-9f0e-1b2c3d4e5f60-0';

const rollbackPlan: RollbackPlan = {
  instantToRollback: { commitTime: T2, action: 'commit' },
  RollbackRequests: [
    {
      partitionPath: 'city=sf',
      fileId: FG,
      latestBaseInstant: T1,
      filesToBeDeleted: [`${BASE}/city=sf/${FG}_0-12-34_${T2}.parquet`],
      logBlocksToBeDeleted: {},
    },
    { partitionPath: 'city=nyc', fileId: null, latestBaseInstant: null, filesToBeDeleted: [], logBlocksToBeDeleted: null },
  ],
  version: 1,
};

const rollbackMetadata: RollbackMetadata = {
  startRollbackTime: T3,
  timeTakenInMillis: 195,
  totalFilesDeleted: 1,
  commitsRollback: [T2],
  partitionMetadata: {
    'city=sf': {
      partitionPath: 'city=sf',
      successDeleteFiles: [`${BASE}/city=sf/${FG}_0-12-34_${T2}.parquet`],
      failedDeleteFiles: [],
      rollbackLogFiles: null,
      logFilesFromFailedCommit: { [`${BASE}/city=sf/.${FG}_${T1}.log.1_0-1-1`]: 11828 },
    },
  },
  version: 1,
  instantsRollback: [{ commitTime: T2, action: 'commit' }],
};

const cleanerPlan: CleanerPlan = {
  earliestInstantToRetain: { timestamp: T2, action: 'commit', state: 'COMPLETED' },
  lastCompletedCommitTimestamp: T3,
  policy: 'KEEP_LATEST_COMMITS',
  filesToBeDeletedPerPartition: null,
  version: 2,
  filePathsToBeDeletedPerPartition: {
    'city=sf': [{ filePath: `${BASE}/city=sf/${FG}_0-3-7_${T1}.parquet`, isBootstrapBaseFile: false }],
    'city=nyc': [],
  },
  partitionsToBeDeleted: [],
  extraMetadata: { savepointed_timestamps: '' },
};

const cleanMetadata: CleanMetadata = {
  startCleanTime: T3,
  timeTakenInMillis: 42,
  totalFilesDeleted: 1,
  earliestCommitToRetain: T2,
  lastCompletedCommitTimestamp: T2,
  partitionMetadata: {
    'city=sf': {
      partitionPath: 'city=sf',
      policy: 'KEEP_LATEST_COMMITS',
      deletePathPatterns: [`${FG}_0-3-7_${T1}.parquet`],
      successDeleteFiles: [`${FG}_0-3-7_${T1}.parquet`],
      failedDeleteFiles: [],
      isPartitionDeleted: false,
    },
  },
  version: 2,
  bootstrapPartitionMetadata: {},
  extraMetadata: null,
};

const savepointMetadata: SavepointMetadata = {
  savepointedBy: 'tidemark',
  savepointedAt: 1718185815,
  comments: 'before backfill',
  partitionMetadata: {
    'city=sf': { partitionPath: 'city=sf', savepointDataFile: [`${FG}_0-3-7_${T1}.parquet`] },
    'city=nyc': { partitionPath: 'city=nyc', savepointDataFile: [] },
  },
  version: 1,
};

const restorePlan: RestorePlan = {
  instantsToRollback: [
    { commitTime: T3, action: 'commit' },
    { commitTime: T2, action: 'replacecommit' },
  ],
  version: 2,
  savepointToRestoreTimestamp: T1,
};

const restoreMetadata: RestoreMetadata = {
  startRestoreTime: '20240612120000000',
  timeTakenInMillis: 1830,
  instantsToRollback: [T2],
  hoodieRestoreMetadata: { [T2]: [rollbackMetadata, null] },
  version: 1,
  restoreInstantInfo: [{ commitTime: T2, action: 'commit' }],
};

const requestedReplace: RequestedReplaceMetadata = {
  operationType: 'CLUSTER',
  clusteringPlan: {
    inputGroups: [
      {
        slices: [
          {
            dataFilePath: `city=sf/${FG}_0-3-7_${T1}.parquet`,
            deltaFilePaths: [],
            fileId: FG,
            partitionPath: 'city=sf',
            bootstrapFilePath: null,
            version: 1,
          },
        ],
        metrics: { TOTAL_IO_MB: 12.5, TOTAL_FILE_SIZE: 13107200 },
        numOutputFileGroups: 1,
        extraMetadata: null,
        version: 1,
      },
    ],
    strategy: {
      strategyClassName: 'org.apache.hudi.client.clustering.run.strategy.SparkSortAndSizeExecutionStrategy',
      strategyParams: { 'hoodie.clustering.plan.strategy.sort.columns': 'ts' },
      version: 1,
    },
    extraMetadata: {},
    version: 1,
    preserveHoodieMetadata: true,
  },
  extraMetadata: null,
  version: 1,
};

interface Case<T> {
  readonly name: string;
  readonly schema: object;
  readonly value: T;
  readonly encode: (v: T) => Uint8Array;
  readonly decode: (bytes: Uint8Array, file: string) => T;
}
const caseOf = <T>(
  name: string,
  schema: object,
  value: T,
  encode: (v: T) => Uint8Array,
  decode: (bytes: Uint8Array, file: string) => T,
): Case<unknown> => ({ name, schema, value, encode, decode }) as Case<unknown>;
const CASES: ReadonlyArray<Case<unknown>> = [
  caseOf('HoodieRollbackPlan', ROLLBACK_PLAN_SCHEMA, rollbackPlan, encodeRollbackPlan, decodeRollbackPlan),
  caseOf('HoodieRollbackMetadata', ROLLBACK_METADATA_SCHEMA, rollbackMetadata, encodeRollbackMetadata, decodeRollbackMetadata),
  caseOf('HoodieCleanerPlan', CLEANER_PLAN_SCHEMA, cleanerPlan, encodeCleanerPlan, decodeCleanerPlan),
  caseOf('HoodieCleanMetadata', CLEAN_METADATA_SCHEMA, cleanMetadata, encodeCleanMetadata, decodeCleanMetadata),
  caseOf('HoodieSavepointMetadata', SAVEPOINT_METADATA_SCHEMA, savepointMetadata, encodeSavepointMetadata, decodeSavepointMetadata),
  caseOf('HoodieRestorePlan', RESTORE_PLAN_SCHEMA, restorePlan, encodeRestorePlan, decodeRestorePlan),
  caseOf('HoodieRestoreMetadata', RESTORE_METADATA_SCHEMA, restoreMetadata, encodeRestoreMetadata, decodeRestoreMetadata),
  caseOf(
    'HoodieRequestedReplaceMetadata',
    REQUESTED_REPLACE_METADATA_SCHEMA,
    requestedReplace,
    encodeRequestedReplaceMetadata,
    decodeRequestedReplaceMetadata,
  ),
];

/** Drops the null defaults that avsc rejects (`["string","null"]` default null), as Hudi's schema has one. */
function lenient(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(lenient);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, lenient(v)]));
  if ('name' in copy && copy.default === null && Array.isArray(copy.type) && copy.type[0] !== 'null') delete copy.default;
  return copy;
}
const typeOf = (schema: unknown): avro.Type => avro.Type.forSchema(lenient(schema) as avro.Schema, { wrapUnions: false });

/** Reads a container with avsc's own stream decoder (an independent implementation of the format). */
interface AvscRead {
  readonly codec: string;
  readonly meta: Record<string, Buffer>;
  readonly records: unknown[];
}
function avscRead(bytes: Uint8Array, readerSchema?: unknown): Promise<AvscRead> {
  return new Promise((resolve, reject) => {
    const records: unknown[] = [];
    let codec = '';
    let meta: Record<string, Buffer> = {};
    const decoder = new avro.streams.BlockDecoder({
      parseHook: (schema) => typeOf(schema),
      ...(readerSchema === undefined ? {} : { readerSchema: typeOf(readerSchema) }),
    });
    decoder.on('metadata', (_type: unknown, c: string, header: { meta: Record<string, Buffer> }) => {
      codec = c;
      meta = header.meta;
    });
    decoder.on('data', (record: unknown) => records.push(record));
    decoder.on('error', reject);
    decoder.on('end', () => resolve({ codec, meta, records }));
    decoder.end(Buffer.from(bytes));
  });
}

/** Writes a container with avsc's own stream encoder (as another Avro writer would). */
function avscWrite(schema: unknown, records: unknown[], codec = 'null'): Promise<Uint8Array> {
  const writeHeader = records.length === 0 ? 'always' : 'auto';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const encoder = new avro.streams.BlockEncoder(typeOf(schema), { codec, writeHeader });
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('error', reject);
    encoder.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    for (const record of records) encoder.write(record);
    encoder.end();
  });
}

/** The field names of every record type defined in a JSON schema, by record name. */
function recordFields(schema: unknown, out: Record<string, string[]> = {}): Record<string, string[]> {
  if (Array.isArray(schema)) schema.forEach((s) => recordFields(s, out));
  else if (typeof schema === 'object' && schema !== null) {
    const s = schema as Record<string, unknown>;
    if (s.type === 'record') out[s.name as string] = (s.fields as Array<{ name: string }>).map((f) => f.name);
    for (const v of Object.values(s)) recordFields(v, out);
  }
  return out;
}

const withoutField = (schema: { fields: readonly object[] }, name: string): object => ({
  ...schema,
  fields: schema.fields.filter((f) => (f as { name: string }).name !== name),
});

function expectFormatError(run: () => unknown, file: string, message?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TableFormatError);
  expect((caught as TableFormatError).file).toBe(file);
  expect((caught as TableFormatError).message).toContain(file);
  if (message !== undefined) expect((caught as TableFormatError).message).toMatch(message);
}

describe('Avro instant codecs', () => {
  it.each(CASES)('round-trips $name to plain objects', (c) => {
    const bytes = c.encode(c.value);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(c.decode(bytes, 'x.avro')).toStrictEqual(c.value);
  });

  it.each(CASES)('writes $name as a container: Obj\\x01, its schema JSON in avro.schema, null codec', async (c) => {
    const bytes = c.encode(c.value);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('Obj\x01');
    const header = readContainerHeader(bytes, 'x.avro');
    expect(header.schema).toBe(JSON.stringify(c.schema));
    expect(JSON.parse(header.schema)).toEqual(c.schema);
    expect(header.codec).toBe('null');
    // Like Hudi (Java DataFileWriter), only avro.schema is written; an absent avro.codec means null.
    expect(Object.keys(header.meta)).toEqual(['avro.schema']);
    // avsc's stream decoder, a second implementation, reads the same single record back.
    const read = await avscRead(bytes);
    expect(read.codec).toBe('null');
    expect(read.meta['avro.schema']?.toString('utf8')).toBe(JSON.stringify(c.schema));
    expect(read.records).toHaveLength(1);
    expect(read.records[0]).toEqual(c.value);
  });

  it.each(CASES)('reads $name from a container written by avsc (explicit null codec)', async (c) => {
    const bytes = await avscWrite(c.schema, [c.value]);
    expect(readContainerHeader(bytes, 'y.avro').meta['avro.codec']?.toString()).toBe('null');
    expect(c.decode(bytes, 'y.avro')).toStrictEqual(c.value);
  });

  it('writes reproducible bytes for a fixed sync marker and random markers otherwise', () => {
    const sync = new Uint8Array(16).map((_, i) => i * 7);
    const a = encodeRollbackPlan(rollbackPlan, { sync });
    expect(encodeRollbackPlan(rollbackPlan, { sync })).toEqual(a);
    expect(Buffer.from(a.subarray(a.length - 16))).toEqual(Buffer.from(sync));
    expect(readContainerHeader(a, 'a').sync).toEqual(Buffer.from(sync));
    expect(encodeRollbackPlan(rollbackPlan)).not.toEqual(encodeRollbackPlan(rollbackPlan));
    expect(() => encodeRollbackPlan(rollbackPlan, { sync: new Uint8Array(3) })).toThrow(InvalidArgumentError);
  });

  it('rejects values that do not fit the schema with InvalidArgumentError naming the field', () => {
    const bad = { ...rollbackMetadata, totalFilesDeleted: 'one' } as unknown as RollbackMetadata;
    expect(() => encodeRollbackMetadata(bad)).toThrow(/totalFilesDeleted/);
    expect(() => encodeRollbackMetadata(bad)).toThrow(InvalidArgumentError);
  });
});

describe('schemas of clean, savepoint and restore (no fixture files: field names as in the .avsc files)', () => {
  it('have Hudi 0.14/0.15 record names, namespaces and field names', () => {
    expect(recordFields(CLEANER_PLAN_SCHEMA)).toEqual({
      HoodieCleanerPlan: [
        'earliestInstantToRetain',
        'lastCompletedCommitTimestamp',
        'policy',
        'filesToBeDeletedPerPartition',
        'version',
        'filePathsToBeDeletedPerPartition',
        'partitionsToBeDeleted',
        'extraMetadata',
      ],
      HoodieActionInstant: ['timestamp', 'action', 'state'],
      HoodieCleanFileInfo: ['filePath', 'isBootstrapBaseFile'],
    });
    expect(recordFields(CLEAN_METADATA_SCHEMA)).toEqual({
      HoodieCleanMetadata: [
        'startCleanTime',
        'timeTakenInMillis',
        'totalFilesDeleted',
        'earliestCommitToRetain',
        'lastCompletedCommitTimestamp',
        'partitionMetadata',
        'version',
        'bootstrapPartitionMetadata',
        'extraMetadata',
      ],
      HoodieCleanPartitionMetadata: [
        'partitionPath',
        'policy',
        'deletePathPatterns',
        'successDeleteFiles',
        'failedDeleteFiles',
        'isPartitionDeleted',
      ],
    });
    expect(recordFields(SAVEPOINT_METADATA_SCHEMA)).toEqual({
      HoodieSavepointMetadata: ['savepointedBy', 'savepointedAt', 'comments', 'partitionMetadata', 'version'],
      HoodieSavepointPartitionMetadata: ['partitionPath', 'savepointDataFile'],
    });
    expect(recordFields(RESTORE_PLAN_SCHEMA)).toEqual({
      HoodieRestorePlan: ['instantsToRollback', 'version', 'savepointToRestoreTimestamp'],
      HoodieInstantInfo: ['commitTime', 'action'],
    });
    expect(Object.keys(recordFields(RESTORE_METADATA_SCHEMA))).toEqual([
      'HoodieRestoreMetadata',
      'HoodieRollbackMetadata',
      'HoodieRollbackPartitionMetadata',
      'HoodieInstantInfo',
    ]);
    expect(recordFields(RESTORE_METADATA_SCHEMA).HoodieRestoreMetadata).toEqual([
      'startRestoreTime',
      'timeTakenInMillis',
      'instantsToRollback',
      'hoodieRestoreMetadata',
      'version',
      'restoreInstantInfo',
    ]);
    for (const c of CASES) {
      expect(c.schema).toMatchObject({ type: 'record', name: c.name, namespace: 'org.apache.hudi.avro.model' });
    }
  });

  it('keep the types and defaults Hudi declares', () => {
    const field = (schema: { fields: readonly object[] }, name: string): unknown =>
      schema.fields.find((f) => (f as { name: string }).name === name);
    expect(field(CLEANER_PLAN_SCHEMA, 'lastCompletedCommitTimestamp')).toMatchObject({ default: '' });
    expect(field(CLEANER_PLAN_SCHEMA, 'version')).toEqual({ name: 'version', type: ['int', 'null'], default: 1 });
    expect(field(CLEAN_METADATA_SCHEMA, 'timeTakenInMillis')).toEqual({ name: 'timeTakenInMillis', type: 'long' });
    expect(field(RESTORE_PLAN_SCHEMA, 'version')).toEqual({ name: 'version', type: ['int', 'null'], default: 2 });
    expect(field(RESTORE_PLAN_SCHEMA, 'savepointToRestoreTimestamp')).toMatchObject({
      type: [{ type: 'string' }, 'null'],
      default: null,
    });
    expect(field(SAVEPOINT_METADATA_SCHEMA, 'savepointedAt')).toEqual({ name: 'savepointedAt', type: 'long' });
  });

  it('read files written with older or newer Hudi schemas (fields resolved by name, defaults filled)', async () => {
    // A 0.14 clean (no extraMetadata) and a 0.12 restore plan (version 1, no savepointToRestoreTimestamp).
    const { extraMetadata: _drop, ...clean014 } = cleanMetadata;
    const oldClean = await avscWrite(withoutField(CLEAN_METADATA_SCHEMA, 'extraMetadata'), [clean014]);
    expect(decodeCleanMetadata(oldClean, 'old.clean')).toStrictEqual({ ...cleanMetadata, extraMetadata: null });
    const { savepointToRestoreTimestamp: _ts, ...plan012 } = restorePlan;
    const oldPlanSchema = withoutField(RESTORE_PLAN_SCHEMA, 'savepointToRestoreTimestamp');
    const oldPlan = await avscWrite(oldPlanSchema, [{ ...plan012, version: 1 }]);
    expect(decodeRestorePlan(oldPlan, 'old.restore.requested')).toStrictEqual({
      ...restorePlan,
      version: 1,
      savepointToRestoreTimestamp: null,
    });
    // A later restore metadata with an extra field: the field is ignored.
    const newerSchema = {
      ...RESTORE_METADATA_SCHEMA,
      fields: [
        ...RESTORE_METADATA_SCHEMA.fields,
        { name: 'extraMetadata', type: ['null', { type: 'map', values: 'string' }], default: null },
      ],
    };
    const newer = await avscWrite(newerSchema, [{ ...restoreMetadata, extraMetadata: { k: 'v' } }]);
    expect(decodeRestoreMetadata(newer, 'new.restore')).toStrictEqual(restoreMetadata);
  });
});

describe('bad input', () => {
  const good = encodeRollbackMetadata(rollbackMetadata);

  it('throws TableFormatError naming the file for empty, non-Avro and truncated input', () => {
    expectFormatError(() => decodeRollbackMetadata(new Uint8Array(0), 'T.rollback'), 'T.rollback', /empty/);
    const json = Buffer.from('{"startRollbackTime":"1"}');
    expectFormatError(() => decodeRollbackMetadata(json, 'json.rollback'), 'json.rollback', /not an Avro container/);
    expectFormatError(() => decodeRollbackMetadata(Buffer.from('Obj'), 'short.rollback'), 'short.rollback');
    for (let length = 1; length < good.length; length++) {
      const file = `cut-${length}.rollback`;
      expectFormatError(() => decodeRollbackMetadata(good.subarray(0, length), file), file);
    }
  });

  it('either decodes or throws TableFormatError whatever bytes are changed (no other error escapes)', () => {
    const all = CASES.map((c) => ({ c, bytes: c.encode(c.value) }));
    fc.assert(
      fc.property(
        fc.nat({ max: all.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
        (which, edits) => {
          const { c, bytes } = all[which]!;
          const mutated = Uint8Array.from(bytes);
          for (const [at, value] of edits) mutated[at % mutated.length] = value;
          try {
            c.decode(mutated, 'fuzz.avro');
          } catch (error) {
            expect(error).toBeInstanceOf(TableFormatError);
            expect((error as TableFormatError).file).toBe('fuzz.avro');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('throws TableFormatError for a bad sync marker, trailing bytes, another payload kind, compression or no record', async () => {
    const badSync = Uint8Array.from(good);
    badSync[badSync.length - 1] ^= 0xff;
    expectFormatError(() => decodeRollbackMetadata(badSync, 'sync.rollback'), 'sync.rollback', /sync/);
    const tail = Buffer.concat([good, Buffer.from([1, 2, 3])]);
    expectFormatError(() => decodeRollbackMetadata(tail, 'tail.rollback'), 'tail.rollback');
    expectFormatError(() => decodeCleanerPlan(good, 'T.clean.requested'), 'T.clean.requested', /HoodieRollbackMetadata/);
    const deflated = await avscWrite(ROLLBACK_METADATA_SCHEMA, [rollbackMetadata], 'deflate');
    expectFormatError(() => decodeRollbackMetadata(deflated, 'z.rollback'), 'z.rollback', /codec "deflate"/);
    const none = await avscWrite(ROLLBACK_METADATA_SCHEMA, []);
    expectFormatError(() => decodeRollbackMetadata(none, 'none.rollback'), 'none.rollback', /no record/);
  });
});

describe.skipIf(HUDI_FIXTURES === undefined)('Hudi-written instant files (fixtures)', () => {
  const OPT = '/opt/data/external_tables/v6_nonpartitioned_rollback';
  const LOG = '0712b9f9-d2d5-4cae-bcf4-8fd7146af503-0_20250126040823628.log';

  /** Asserts that our schema is Hudi's, that we re-encode Hudi's bytes exactly, and that Hudi's schema reads our file. */
  async function expectHudiCompatible(
    file: string,
    bytes: Uint8Array,
    ours: object,
    value: unknown,
    encode: (v: never, o: { sync: Uint8Array }) => Uint8Array,
  ): Promise<void> {
    const header = readContainerHeader(bytes, file);
    expect(header.codec).toBe('null');
    expect(JSON.parse(header.schema)).toEqual(ours);
    expect(header.schema).toBe(JSON.stringify(ours));
    const reencoded = encode(value as never, { sync: header.sync });
    expect(Buffer.from(reencoded).equals(Buffer.from(bytes))).toBe(true);
    const fresh = encode(value as never, { sync: new Uint8Array(16).fill(9) });
    const read = await avscRead(fresh, JSON.parse(header.schema));
    expect(read.records).toEqual([value]);
  }

  it('decodes the .rollback.requested, .rollback and empty .rollback.inflight of v6_nonpartitioned_rollback', async () => {
    const hoodie = path.join(extractFixture('sample_table/mor/parquet/v6_nonpartitioned_rollback.zip'), '.hoodie');
    const planFile = path.join(hoodie, '20250126040936578.rollback.requested');
    const planBytes = fs.readFileSync(planFile);
    const plan = decodeRollbackPlan(planBytes, planFile);
    expect(plan).toStrictEqual({
      instantToRollback: { commitTime: '20250126040826878', action: 'deltacommit' },
      RollbackRequests: [
        {
          partitionPath: '',
          fileId: '',
          latestBaseInstant: '',
          filesToBeDeleted: [`${OPT}/cd329d8f-0ce4-4654-84ab-2f769aae5034-0_1-33-44_20250126040826878.parquet`],
          logBlocksToBeDeleted: {},
        },
        {
          partitionPath: '',
          fileId: '0712b9f9-d2d5-4cae-bcf4-8fd7146af503-0',
          latestBaseInstant: '20250126040823628',
          filesToBeDeleted: [],
          logBlocksToBeDeleted: { [`file:${OPT}/.${LOG}.1_0-33-43`]: 11828 },
        },
      ],
      version: 1,
    });
    await expectHudiCompatible(planFile, planBytes, ROLLBACK_PLAN_SCHEMA, plan, encodeRollbackPlan);

    const metaFile = path.join(hoodie, '20250126040936578.rollback');
    const metaBytes = fs.readFileSync(metaFile);
    const meta = decodeRollbackMetadata(metaBytes, metaFile);
    expect(meta).toStrictEqual({
      startRollbackTime: '20250126040936578',
      timeTakenInMillis: 195,
      totalFilesDeleted: 1,
      commitsRollback: ['20250126040826878'],
      partitionMetadata: {
        '': {
          partitionPath: '',
          successDeleteFiles: [`${OPT}/cd329d8f-0ce4-4654-84ab-2f769aae5034-0_1-33-44_20250126040826878.parquet`],
          failedDeleteFiles: [],
          rollbackLogFiles: { [`file:${OPT}/.${LOG}.2_1-0-1`]: 105 },
          logFilesFromFailedCommit: { [`file:${OPT}/.${LOG}.1_0-33-43`]: 11828 },
        },
      },
      version: 1,
      instantsRollback: [{ commitTime: '20250126040826878', action: 'deltacommit' }],
    });
    await expectHudiCompatible(metaFile, metaBytes, ROLLBACK_METADATA_SCHEMA, meta, encodeRollbackMetadata);

    const inflight = path.join(hoodie, '20250126040936578.rollback.inflight');
    expect(fs.statSync(inflight).size).toBe(0);
    expectFormatError(() => decodeRollbackPlan(fs.readFileSync(inflight), inflight), inflight, /empty/);
  });

  it('decodes the .replacecommit.requested of v6_simplekeygen_nonhivestyle_overwritetable', async () => {
    const hoodie = path.join(extractFixture('sample_table/cow/v6_simplekeygen_nonhivestyle_overwritetable.zip'), '.hoodie');
    const file = path.join(hoodie, '20240707001303088.replacecommit.requested');
    const bytes = fs.readFileSync(file);
    const metadata = decodeRequestedReplaceMetadata(bytes, file);
    // insert_overwrite_table: Hudi writes an empty record (no operation type, no plan, not even a version).
    expect(metadata).toStrictEqual({ operationType: null, clusteringPlan: null, extraMetadata: null, version: null });
    await expectHudiCompatible(file, bytes, REQUESTED_REPLACE_METADATA_SCHEMA, metadata, encodeRequestedReplaceMetadata);
    // The full clustering plan also goes through Hudi's embedded schema.
    const hudiSchema: unknown = JSON.parse(readContainerHeader(bytes, file).schema);
    const read = await avscRead(encodeRequestedReplaceMetadata(requestedReplace), hudiSchema);
    expect(read.records).toEqual([requestedReplace]);
  });
});
