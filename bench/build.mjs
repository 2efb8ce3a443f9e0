#!/usr/bin/env node
// Part of `npm run build`: compiles bench/ (tsconfig.json here) when its
// peers are installed (`npm run setup:full`), else says how to get them.
// Without them only bench/analysis.ts is built (by the root tsconfig.json).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, 'package.json'));
const peers = Object.keys(require('./package.json').dependencies);
const missing = peers.filter((p) => {
  try {
    require.resolve(`${p}/package.json`);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  console.log(`bench: not built, ${missing.join(', ')} not installed (npm run setup:full installs the benchmarks' peers)`);
} else {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', here], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
