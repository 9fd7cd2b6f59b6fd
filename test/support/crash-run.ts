/**
 * A child process for crash tests: runs one pipeline (given as JSON in argv[2]) against the
 * warehouse in argv[3] at the clock time argv[5], and SIGKILLs itself at the point named by argv[4]:
 * `after-commit` (the table commit is published, the log not yet updated) or `before-commit`
 * (checks passed, nothing written).
 */
import { TidemarkSession } from '../../src/session.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { FixedClock } from '../../src/time/clock.ts';

const [def, warehouse, point, now] = process.argv.slice(2) as [string, string, string, string];
const session = await TidemarkSession.open({ warehouse, catalog: `${warehouse}/no-catalog`, clock: new FixedClock(now) });
await runPipeline(session.context, JSON.parse(def), {
  beforeCommit: () => {
    if (point === 'before-commit') process.kill(process.pid, 'SIGKILL');
  },
  afterCommit: () => {
    if (point === 'after-commit') process.kill(process.pid, 'SIGKILL');
  },
});
await session.close();
