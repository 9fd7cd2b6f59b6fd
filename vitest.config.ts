import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Catalog modules written by tests (and by `tidemark init`) import from 'tidemark', as a user's do;
  // in the suite that is these sources (the packed-install test checks the real package).
  resolve: { alias: { tidemark: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one worker per core less one: a single worker on these 2-core machines,
    // while many files spend their time waiting on child processes (the CLI, crash workers, PGlite).
    maxWorkers: 2,
  },
});
