/**
 * The engine and scratch directory most tests need: `useEngine('name', set)` registers, in the
 * calling scope, a `beforeAll` that opens a Tidemark engine and creates an empty temporary directory
 * (`tidemark-name-…`) and hands both to `set`, and an `afterAll` that closes the engine and removes
 * the directory. Hooks the caller registers after it run after it, so they can use both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Tidemark } from '../../src/engine/tidemark.ts';

export interface EngineScope {
  readonly tm: Tidemark;
  readonly dir: string;
}

export function useEngine(name: string, set: (scope: EngineScope) => void): void {
  let scope: EngineScope | undefined;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tidemark-${name}-`));
    scope = { tm: await Tidemark.open(), dir };
    set(scope);
  });
  afterAll(() => {
    if (scope === undefined) return;
    scope.tm.close();
    fs.rmSync(scope.dir, { recursive: true, force: true });
  });
}
