/**
 * Step 3 of a write's commit (see `commit/pending-instant.ts`): its markers, the partition metadata
 * of new partitions, and its base files, written while the instant is inflight.
 */
import type { CompressionCodec } from '../../table/table-config.ts';
import { baseFileName } from '../../table/base-file.ts';
import { partitionMetadataText } from '../../table/partition-path.ts';
import type { Schema } from '../../table/schema.ts';
import { mapConcurrent } from '../../util/concurrency.ts';
import type { PendingCommit } from '../commit/pending-instant.ts';
import type { EngineContext } from '../context.ts';
import { copyScratchDir, partitionMetadataPath } from '../layout.ts';
import { pathInTable } from '../table-paths.ts';
import { type WrittenFile, writeBaseFiles } from './base-file-writer.ts';
import type { Scratch } from './scratch.ts';
import type { WritePlan } from './write-plan.ts';

/** Markers and partition metadata files created at once. */
const FILES_AT_ONCE = 32;

/**
 * Step 3 of the protocol: every marker (at once) and the partition metadata of new partitions, while
 * all files of the commit are written in one pass (`writeBaseFiles`) in a scratch directory inside
 * the commit's marker directory; a file is renamed into place only once every marker exists.
 */
export async function writeFiles(ctx: EngineContext, pending: PendingCommit, plan: WritePlan, schema: Schema, codec: CompressionCodec, table: string, scratch: Scratch): Promise<WrittenFile[]> {
  const { store } = ctx;
  const instant = pending.instant;
  const savedAt = ctx.clock.now().toJSDate();
  const fileNames = plan.groups.map((g, i) => baseFileName(g.fileId, i, instant));
  // A bounded number of files at once: a commit of 10,000 partitions must not run out of descriptors.
  const markers = Promise.all([
    mapConcurrent(plan.groups, FILES_AT_ONCE, (g, i) => pending.mark(g.partitionPath === '' ? fileNames[i]! : `${g.partitionPath}/${fileNames[i]!}`, g.previous ? 'MERGE' : 'CREATE')),
    mapConcurrent([...new Set(plan.groups.map((g) => g.partitionPath))], FILES_AT_ONCE, async (pp) => {
      const file = partitionMetadataPath(pathInTable(pending.basePath, pp, { data: true, dir: true, table }));
      if (!(await store.exists(file))) await store.writeAtomic(file, partitionMetadataText(instant, pp, savedAt));
    }),
  ]).then(() => undefined);
  markers.catch(() => {}); // awaited by the writer (and below): no unhandled rejection meanwhile
  const scratchDir = copyScratchDir(pending.basePath, instant);
  try {
    return await writeBaseFiles({
      duck: ctx.duck,
      store,
      basePath: pending.basePath,
      table,
      plan,
      schema,
      codec,
      instant,
      fileNames,
      prefix: scratch.prefix,
      scratch: scratchDir,
      beforeRename: markers,
      sqlDone: () => void scratch.release(),
    });
  } finally {
    await markers.catch(() => {}); // nothing of the commit is still being created when it is aborted
  }
}
