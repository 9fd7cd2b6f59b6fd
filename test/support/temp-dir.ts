/**
 * Temporary directories for tests, named `tidemark-<name>-…` in the system temp folder.
 * `useTempDir('name')` creates one now (so module-level paths can be built from it) and registers,
 * in the calling scope, an `afterAll` that removes it; registered before the scope's other hooks, it
 * runs after their `afterAll`s (Vitest runs after-hooks in reverse order), so sessions are closed
 * before their warehouse goes. `useEngine` (engine.ts) makes its directory with `makeTempDir`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** Creates an empty directory `tidemark-<name>-XXXXXX` in the system temp folder. */
export function makeTempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tidemark-${name}-`));
}

/** Removes a directory made by `makeTempDir`, whatever is left in it. */
export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A new temporary directory, removed by an `afterAll` of the calling scope. */
export function useTempDir(name: string): string {
  const dir = makeTempDir(name);
  afterAll(() => removeTempDir(dir));
  return dir;
}
