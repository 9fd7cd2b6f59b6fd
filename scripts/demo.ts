/**
 * `npm run demo`: resets the demo's state in ./warehouse (landing files, the example tables, the
 * embedded metastore; `.gitkeep` and anything else stay), then runs two days of the example
 * catalog. Add `--verbose` to see the pipelines' logs (pino; pretty on a terminal).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resetDemo, runDemo } from '../src/demo/demo.ts';
import { processIo } from '../src/cli/main.ts';
import { formatError } from '../src/cli/exit-codes.ts';
import { createLogger } from '../src/logging/logger.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const warehouse = path.join(root, 'warehouse');
const catalog = path.join(root, 'catalog');
const t0 = performance.now();
try {
  await resetDemo({ warehouse, catalog });
  const verbose = process.argv.includes('--verbose');
  const logger = createLogger({ level: verbose ? 'info' : 'warn' });
  // With logs on, a redrawn progress line would only tangle with them.
  const result = await runDemo({ warehouse, catalog, io: processIo, logger, ...(verbose ? { progress: false } : {}) });
  processIo.stdout(`\ndemo ${result.ok ? 'finished' : 'finished with FAILURES'} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  process.exitCode = result.ok ? 0 : 1;
} catch (error) {
  processIo.stderr(formatError(error));
  process.exitCode = 1;
}
