#!/usr/bin/env node
// The `tidemark` command: runs the TypeScript sources through tsx (no build step).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// A reader that stops early (`tidemark read t | head`) closes the pipe; that is not a failure.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
