#!/usr/bin/env node
// `npm run build:web` (part of `npm run build`, after tsc and the report's
// client): bundles with esbuild, for browsers, into dist/web/
//   index.html             the web app: one self-contained page (script,
//                          styles and the bundled examples inline)
//   normkit-analyzer.js    the shape-flow doctor alone (ES module)
//   lib/normkit.js         the whole library (ES module), with norm.wasm,
//                          gemm.wasm and its pool's worker script
//                          (norm_worker.js, its own bundle) beside it;
//                          demo.html and threads.html use it
// and prints each bundle's size, raw and gzipped (also written to
// dist/web/sizes.json). A bundle that would pull in a Node module fails the
// build: nothing of the browser's path may import node:*.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const esbuild = require('esbuild');
const out = join(root, 'dist/web');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'lib'), { recursive: true });

const common = {
  bundle: true,
  minify: true,
  platform: 'browser',
  target: ['es2022'],
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  write: false,
};

/** Fails when a Node built-in made it into a browser bundle. */
function noNode(name, result) {
  const bad = [];
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    for (const i of input.imports) if (i.path.startsWith('node:')) bad.push(`${file} -> ${i.path}`);
  }
  if (bad.length) {
    console.error(`build-web: ${name} imports Node modules:\n  ${bad.join('\n  ')}`);
    process.exit(1);
  }
}

// The app: a classic script (module scripts do not run from file://), inline in index.html.
const app = await esbuild.build({
  ...common,
  entryPoints: [join(root, 'src/web/client/app.ts')],
  format: 'iife',
  // No import.meta in a classic script; the kernels' WebAssembly (never loaded by the app) would resolve against the page.
  define: { 'import.meta.url': 'document.baseURI' },
});
noNode('the web app', app);
const appJs = app.outputFiles[0].text;
const examples = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => {
    const text = readFileSync(join(root, 'examples', f), 'utf8');
    return { name: f.slice(0, -5), description: JSON.parse(text).description ?? '', text };
  });
const { webIndexHtml } = await import(pathToFileURL(join(root, 'dist/src/web/shell.js')).href);
writeFileSync(join(out, 'index.html'), webIndexHtml(appJs, examples));

// The doctor alone.
const analyzer = await esbuild.build({ ...common, entryPoints: [join(root, 'src/web/analyzer.ts')], format: 'esm', outfile: join(out, 'normkit-analyzer.js') });
noNode('the analyzer', analyzer);
for (const f of analyzer.outputFiles) writeFileSync(f.path, f.contents);

// The library as a package consumer's bundler sees it: the compiled dist/src, `#platform` through package.json's browser condition.
const lib = await esbuild.build({ ...common, entryPoints: [join(root, 'dist/src/index.js')], format: 'esm', outfile: join(out, 'lib/normkit.js') });
noNode('the library', lib);
for (const f of lib.outputFiles) writeFileSync(f.path, f.contents);
for (const w of ['norm.wasm', 'gemm.wasm', 'gemm_relaxed.wasm']) copyFileSync(join(root, 'dist/src/kernels', w), join(out, 'lib', w));
// The pool's worker: the pool starts `new URL('./norm_worker.js', import.meta.url)`, i.e. beside lib/normkit.js.
const worker = await esbuild.build({ ...common, entryPoints: [join(root, 'dist/src/kernels/norm_worker.js')], format: 'esm', outfile: join(out, 'lib/norm_worker.js') });
noNode('the pool worker', worker);
for (const f of worker.outputFiles) writeFileSync(f.path, f.contents);
// Pages using the library bundle (their imports of the library's index.js point at ./normkit.js).
const onLibrary = { name: 'the-library-bundle', setup: (b) => b.onResolve({ filter: /\/index\.js$/ }, () => ({ path: './normkit.js', external: true })) };
for (const [entry, file] of [['lib_demo.ts', 'demo.js'], ['threads_demo.ts', 'threads.js'], ['threads_worker.ts', 'threads_worker.js']]) {
  const page = await esbuild.build({ ...common, entryPoints: [join(root, 'src/web/client', entry)], format: 'esm', outfile: join(out, 'lib', file), plugins: [onLibrary] });
  noNode(file, page);
  for (const f of page.outputFiles) writeFileSync(f.path, f.contents);
}
writeFileSync(
  join(out, 'lib/demo.html'),
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>normkit in the browser</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'">
</head><body><h1>normkit in the browser</h1><p>InstanceNorm2d and Conv2d on the TypeScript kernels, then on the WebAssembly ones after <code>await initWasm()</code>.</p>
<pre id="out">running…</pre><script type="module" src="./demo.js"></script></body></html>
`,
);
writeFileSync(
  join(out, 'lib/threads.html'),
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>normkit on two threads in the browser</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'">
</head><body><h1>normkit on two threads in the browser</h1><p>InstanceNorm2d and Conv2d in a dedicated Worker with <code>setNumThreads(2)</code> (the page must be cross-origin isolated: <code>normkit serve</code> sends the headers), then on the page's main thread, which stays on one.</p>
<pre id="out">running…</pre><script type="module" src="./threads.js"></script></body></html>
`,
);

// Sizes.
const rows = [
  ['index.html (the web app, all inline)', join(out, 'index.html')],
  ['  of which the app script', null, appJs],
  ['normkit-analyzer.js (analyzer + ONNX in/out)', join(out, 'normkit-analyzer.js')],
  ['lib/normkit.js (the library)', join(out, 'lib/normkit.js')],
  ['lib/norm_worker.js (its pool worker)', join(out, 'lib/norm_worker.js')],
  ['lib/norm.wasm', join(out, 'lib/norm.wasm')],
  ['lib/gemm.wasm', join(out, 'lib/gemm.wasm')],
  ['lib/gemm_relaxed.wasm', join(out, 'lib/gemm_relaxed.wasm')],
];
const sizes = {};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log('build-web: dist/web bundles (raw, gzip -9):');
for (const [label, file, text] of rows) {
  const bytes = file ? readFileSync(file) : Buffer.from(text);
  const gz = gzipSync(bytes, { level: 9 }).length;
  sizes[file ? relative(out, file) : 'app.js (inline)'] = { raw: bytes.length, gzip: gz };
  console.log(`  ${label.padEnd(48)} ${kb(bytes.length).padStart(10)} ${kb(gz).padStart(10)}`);
}
writeFileSync(join(out, 'sizes.json'), JSON.stringify(sizes, null, 2) + '\n');
