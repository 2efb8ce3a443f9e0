#!/usr/bin/env node
/** Entry point of the `normkit` binary. */
import { main } from './program.js';

// `normkit demo | head -3`: the reader went away. Stop quietly, as a Unix tool does, instead of an EPIPE stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`normkit: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
