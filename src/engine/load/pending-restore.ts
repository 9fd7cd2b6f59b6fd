/**
 * What readers make of a restore in progress (`R.restore.inflight`, a live restore or a killed
 * one). The restore undoes its plan's commits one by one and the next writer finishes it from the
 * plan, so the state it is bound to reach is the table as of its savepoint: readers read as of that
 * instant rather than a half-undone timeline.
 */
import type { FileStore } from '../../storage/file-store.ts';
import { decodeRestorePlan } from '../../timeline/avro-instants.ts';
import type { Timeline } from '../../timeline/timeline.ts';
import { instantPath } from '../layout.ts';

/**
 * The instant reads are capped at while a restore is pending, or undefined when none may have
 * undone anything yet (a restore only requested has not started; an empty plan restores nothing,
 * as `finishRestore` treats it). `read` reads a file, raising when it is gone.
 */
export async function pendingRestoreTarget(
  store: FileStore,
  basePath: string,
  timeline: Timeline,
  read: (file: string, fn: () => Promise<Uint8Array>) => Promise<Uint8Array>,
): Promise<string | undefined> {
  let target: string | undefined;
  for (const r of timeline.pending()) {
    if (r.action !== 'restore' || r.state !== 'INFLIGHT') continue;
    const file = instantPath(basePath, { time: r.time, action: 'restore', state: 'REQUESTED' });
    const bytes = await read(file, async () => store.readBytes(file, 0, await store.size(file)));
    if (bytes.length === 0) continue;
    const plan = decodeRestorePlan(bytes, file);
    const undone = plan.instantsToRollback.map((i) => i.commitTime);
    if (undone.length === 0) continue;
    // The savepoint the plan names; a plan without one goes back to the last write before its first undo.
    const first = undone.reduce((a, b) => (a < b ? a : b));
    const to = plan.savepointToRestoreTimestamp ?? timeline.completedWrites().filter((i) => i.time < first).at(-1)?.time ?? '00000000000000000';
    if (target === undefined || to < target) target = to;
  }
  return target;
}
