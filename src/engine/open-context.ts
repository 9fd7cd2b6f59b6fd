/** The context an engine runs in, made from its options (`Tidemark.open`). */
import { LocalFileStore } from '../storage/local-file-store.ts';
import { DuckSession } from '../storage/duckdb/session.ts';
import { sweepDeadRowFiles } from '../storage/row-files.ts';
import { systemClock } from '../time/clock.ts';
import type { EngineContext } from './context.ts';
import type { TidemarkOptions } from './tidemark-options.ts';

/** Opens a DuckDB instance and fills in the defaults, after removing rows staged by writers whose process died. */
export async function openEngineContext(options: TidemarkOptions): Promise<EngineContext> {
  await sweepDeadRowFiles();
  const duck = await DuckSession.open({
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }),
  });
  return {
    duck,
    store: options.store ?? new LocalFileStore(),
    clock: options.clock ?? systemClock,
    writeConcurrency: options.writeConcurrency ?? 2,
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  };
}
