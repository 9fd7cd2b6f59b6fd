/**
 * One isolated peer run (run.ts --isolate, the default with --scale), started by isolate.ts in a
 * fresh process so that the RSS it measures is this peer's own: no model, no data generator, no other
 * peer in the process. It gets one job over IPC, warms the peer up (untimed, in a scratch table),
 * opens the peer on the job's root, runs the job's part of the steps with driver.ts `runPeer` (the
 * load, or every step after it on the table a load child left; timed, sampled and checked here
 * exactly as in a shared process, so neither process start-up nor IPC is in any step's seconds),
 * sends every record back as it is made, then exits. Not meant to be run by hand.
 */
import { PEERS, runPeer, warmUp } from './driver.ts';
import type { ChildJob, ChildMessage } from './isolate.ts';

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(m, undefined, {}, (e) => (e ? reject(e) : resolve()));
  });
}

async function run(job: ChildJob): Promise<void> {
  // DuckDB spills in-memory databases to ./.tmp: inside the bench directory, as in the parent.
  process.chdir(job.dir);
  if (job.warmUp) await warmUp([job.peer], job.spec, job.dir, job.memoryLimit);
  const startRssMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
  const sent: Promise<void>[] = [];
  const peer = await PEERS.get(job.peer)!(job.root, job.memoryLimit, job.part === 'after-load');
  let ok: boolean;
  try {
    ok = await runPeer(peer, job.spec, (r) => void sent.push(send({ type: 'record', record: r })), { ...job.extra, isolated: true, start_rss_mb: startRssMb }, job.part);
  } finally {
    peer.close();
  }
  await Promise.all(sent);
  await send({ type: 'done', ok });
}

if (process.send === undefined) {
  process.stderr.write('bench/child.ts runs one peer for bench/run.ts (--isolate); start the bench with npm run bench\n');
  process.exit(2);
}
process.once('message', (job: ChildJob) => {
  run(job).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench child (${job.peer}) failed: ${String((error as Error)?.stack ?? error)}\n`);
      process.exit(1);
    },
  );
});
