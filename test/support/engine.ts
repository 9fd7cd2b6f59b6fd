/**
 * The engine and scratch directory most tests need: `useEngine('name', set)` registers, in the
 * calling scope, a `beforeAll` that opens a Tidemark engine and creates an empty temporary directory
 * (`tidemark-name-…`) and hands both to `set`, and an `afterAll` that closes the engine and removes
 * the directory. Hooks the caller registers after it run after it, so they can use both.
 */
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Tidemark } from '../../src/engine/tidemark.ts';
import { TidemarkSession } from '../../src/session.ts';
import { makeTempDir, removeTempDir, useTempDir } from './temp-dir.ts';

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

/** A session's warehouse directory, in a temporary directory made now. */
export interface SessionScope {
  readonly root: string;
  readonly warehouse: string;
}

/**
 * A pipeline session over a fresh warehouse (`root/warehouse`, embedded metastore, no catalog):
 * the directory is made now (module-level paths can use it), the session is opened by a
 * `beforeAll` and handed to `set`, and closed by an `afterAll` before the directory goes.
 */
export function useSession(name: string, set: (session: TidemarkSession) => void): SessionScope {
  const root = useTempDir(name);
  const warehouse = path.join(root, 'warehouse');
  let session: TidemarkSession | undefined;
  beforeAll(async () => {
    session = await TidemarkSession.open({ warehouse, catalog: path.join(root, 'no-catalog') });
    set(session);
  });
  afterAll(async () => {
    await session?.close();
  });
  return { root, warehouse };
}
