#!/usr/bin/env node
// The `tidemark` command: runs the compiled package (dist/). In a clone, `npm ci` builds it (the
// `prepare` script); after editing src/, run `npm run build`.
import { main } from '../dist/src/cli/main.js';

// A reader that stops early (`tidemark read t | head`) closes the pipe; that is not a failure.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
