#!/usr/bin/env node
// Part of `npm run build`: type-checks the report page's script (DOM types,
// tsconfig.client.json) and bundles it with esbuild into
// dist/src/report/client.js, which `normkit check --html` inlines into the page.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const tsc = require.resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.client.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const esbuild = require('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'src/report/client/main.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  outfile: join(root, 'dist/src/report/client.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
