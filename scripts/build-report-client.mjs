#!/usr/bin/env node
// Part of `npm run build`: type-checks the page scripts (the report's and the
// web app's: DOM types, tsconfig.client.json) and bundles the report's with
// esbuild into dist/src/report/client.js, which `normkit check --html` inlines
// into the page (the web app's is bundled by build-web.mjs).
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
