/**
 * Access to the Spark-written Hudi tables in `../shared/fixtures/hudi` (or `$TIDEMARK_HUDI_FIXTURES`).
 * They come from a public repository and are never copied into this project: each test unzips the
 * table it needs into a temporary directory. When the folder is absent the suites that need it are
 * skipped with a message saying so (`.ci/run` refuses to run without them).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { afterAll } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The fixtures folder, or undefined when it is not on this machine. */
export const HUDI_FIXTURES: string | undefined = (() => {
  const dir = process.env.TIDEMARK_HUDI_FIXTURES ?? path.resolve(here, '../../../shared/fixtures/hudi');
  return fs.existsSync(path.join(dir, 'MANIFEST.md')) ? dir : undefined;
})();

if (HUDI_FIXTURES === undefined) {
  console.warn(
    'Hudi fixtures not found (../shared/fixtures/hudi or $TIDEMARK_HUDI_FIXTURES): the fixture suites are SKIPPED.',
  );
}

/** Copies the importing test file extracted, removed after its last test (the hook is the file's). */
const extracted: string[] = [];
afterAll(() => {
  for (const dir of extracted.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Unzips `<fixtures>/<zipPath>` into a fresh temporary directory and returns the table's base path
 * (the zip's top-level directory named after the zip). `__MACOSX/` entries are left out, as a user's
 * unzip would keep them beside the table rather than in it.
 */
export function extractFixture(zipPath: string): string {
  if (HUDI_FIXTURES === undefined) throw new Error('Hudi fixtures are not available');
  const entries = unzipSync(fs.readFileSync(path.join(HUDI_FIXTURES, zipPath)));
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'tidemark-fixture-'));
  extracted.push(dest);
  for (const [name, data] of Object.entries(entries)) {
    if (name.startsWith('__MACOSX/')) continue;
    const target = path.join(dest, name);
    if (name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, data);
    }
  }
  return path.join(dest, path.basename(zipPath, '.zip'));
}
