/**
 * The engine and scratch directory most tests need: `useEngine('name', set)` registers, in the
 * calling scope, a `beforeAll` that opens a Tidemark engine and creates an empty temporary directory
 * (`tidemark-name-…`) and hands both to `set`, and an `afterAll` that closes the engine and removes
 * the directory. Hooks the caller registers after it run after it, so they can use both.
 */
import { afterAll, beforeAll } from 'vitest';
import { Tidemark } from '../../src/engine/tidemark.ts';
import { makeTempDir, removeTempDir } from './temp-dir.ts';

export interface EngineScope {
  readonly tm: Tidemark;
  readonly dir: string;
}

export function useEngine(name: string, set: (scope: EngineScope) => void): void {
  let scope: EngineScope | undefined;
  beforeAll(async () => {
    const dir = makeTempDir(name);
    scope = { tm: await Tidemark.open(), dir };
    set(scope);
  });
  afterAll(() => {
    if (scope === undefined) return;
    scope.tm.close();
    removeTempDir(scope.dir);
  });
}
