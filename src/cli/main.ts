#!/usr/bin/env node
/** Entry point of the `normkit` binary. */
import { main } from './program.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`normkit: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
