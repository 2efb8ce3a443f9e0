/**
 * The packed tarball, as a user gets it: what `npm pack` puts in it, and
 * projects that install it (offline) and use it — CommonJS `require`, ES
 * modules, TypeScript with `moduleResolution` node16, nodenext (ES-module
 * and CommonJS projects) and bundler (the repository's own compiler, through
 * its API), and the `normkit` bin. Packed once, installed
 * once into a temporary project whose variants are sub-folders.
 *
 * Offline: the project pins normkit's runtime dependencies at the versions of
 * this repository's package-lock.json, so npm takes them from its cache
 * (filled by this repository's `npm ci`) and fetches nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)); // dist/test/package -> repository
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** This process's environment without the npm_* variables of an enclosing `npm test` (its cache kept). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('npm_') || k === 'npm_config_cache' || k === 'npm_config_userconfig') env[k] = v;
  }
  return env;
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

let tmp = '';
let app = '';
let packed: { filename: string; files: { path: string }[] } = { filename: '', files: [] };
let installLog = '';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'normkit-pack-'));
  // --ignore-scripts: dist/ is built already (npm test builds first); prepack would rebuild it under the running tests.
  const out = execFileSync(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
  packed = (JSON.parse(out) as (typeof packed)[])[0]!;

  // The consumer project, pinned to the repository's locked runtime dependencies (transitively).
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string; dependencies?: Record<string, string> } & Record<string, unknown>>;
  };
  const entries: Record<string, unknown> = {};
  const deps: Record<string, string> = {};
  const todo = Object.keys(lock.packages['']!.dependencies ?? {});
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (deps[name]) continue;
    const e = lock.packages[`node_modules/${name}`]!;
    deps[name] = e.version;
    entries[`node_modules/${name}`] = e;
    todo.push(...Object.keys(e.dependencies ?? {}));
  }
  app = join(tmp, 'app');
  mkdirSync(app);
  const pkg = { name: 'consumer', version: '1.0.0', private: true, dependencies: deps };
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  writeFileSync(
    join(app, 'package-lock.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { ...pkg, name: 'consumer' }, ...entries } }, null, 2),
  );
  installLog = run(NPM, ['install', '--offline', '--no-audit', '--no-fund', join(tmp, packed.filename)], app);
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the tarball holds the built library, its sources, docs and licence, and no tests or oracle runner', () => {
  const files = new Set(packed.files.map((f) => f.path));
  for (const f of ['package.json', 'LICENSE', 'README.md', 'docs/model-spec.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/kernels/norm.wasm', 'examples/collapsing-encoder.json', 'dist/web/index.html', 'dist/web/normkit-analyzer.js', 'dist/web/lib/norm_worker.js', 'dist/web/lib/threads.html']) {
    assert.ok(files.has(f), `${f} is missing`);
  }
  const unwanted = [...files].filter((f) => /^(test|bench|asm|dist\/test|dist\/bench)\/|(^|\/)oracle\/|\.tgz$|^\.npmrc$/.test(f));
  assert.deepEqual(unwanted, []);
});

test("every source map in the tarball points at sources that are in it", () => {
  const files = new Set(packed.files.map((f) => f.path));
  const maps = [...files].filter((f) => f.endsWith('.map'));
  assert.ok(maps.length > 50);
  const dangling: string[] = [];
  for (const m of maps) {
    const { sources } = JSON.parse(readFileSync(join(ROOT, m), 'utf8')) as { sources: string[] };
    for (const s of sources) {
      const p = posix.normalize(posix.join(posix.dirname(m), s));
      if (!files.has(p)) dangling.push(`${m} -> ${p}`);
    }
  }
  assert.deepEqual(dangling, []);
});

test('installing the tarball runs no install script and warns about none', () => {
  const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'normkit', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(manifest.scripts?.[s], undefined, `scripts.${s}`);
  assert.doesNotMatch(installLog, /install-scripts|allowScripts|npm warn/);
});

/** Writes `files` into app/NAME (a consumer variant) and returns its path. */
function variant(name: string, files: Record<string, string>): string {
  const dir = join(app, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

const USE = `
manualSeed(0);
const norm = new nn.InstanceNorm2d(4, { affine: true });
const y = norm.call(randn([2, 4, 5, 5]));
let raised = '';
try { norm.call(randn([2, 4, 1, 1])); } catch (e) { raised = e instanceof ValueError ? 'ValueError' : String(e); }
console.log(JSON.stringify({ shape: y.shape, raised }));
`;
const EXPECTED = { shape: [2, 4, 5, 5], raised: 'ValueError' };

test('a CommonJS project can require() it', () => {
  const dir = variant('cjs', {
    'package.json': JSON.stringify({ name: 'cjs', type: 'commonjs' }),
    'index.js': `const { nn, randn, manualSeed, ValueError } = require('normkit');\n${USE}`,
  });
  assert.deepEqual(JSON.parse(run(process.execPath, ['index.js'], dir)), EXPECTED);
  assert.match(run(process.execPath, ['-p', "require('normkit/package.json').version"], dir), /^\d+\.\d+\.\d+/);
});

test('an ES-module project can import it', () => {
  const dir = variant('esm', {
    'package.json': JSON.stringify({ name: 'esm', type: 'module' }),
    'index.js': `import { nn, randn, manualSeed, ValueError } from 'normkit';\n${USE}`,
  });
  assert.deepEqual(JSON.parse(run(process.execPath, ['index.js'], dir)), EXPECTED);
});

const TS_SOURCE = `import { nn, randn, manualSeed, ValueError, type Tensor } from 'normkit';
${USE.replace('const y = ', 'const y: Tensor = ')}
const bad: number = y.shape; // the types must be real: this line must not compile
`;

type TS = typeof import('typescript');
const ts = createRequire(join(ROOT, 'package.json'))('typescript') as TS;
// One compiler host for every variant, caching parsed files (lib.*.d.ts, normkit's .d.ts): each variant then costs a check, not a parse.
const parsed = new Map<string, import('typescript').SourceFile | undefined>();
function compile(dir: string, options: Record<string, unknown>): string[] {
  const config = ts.parseJsonConfigFileContent({ compilerOptions: options, include: ['index.ts'] }, ts.sys, dir);
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, langOpts, ...rest) => {
    if (fileName.startsWith(dir)) return getSourceFile(fileName, langOpts, ...rest);
    const key = `${fileName}|${typeof langOpts === 'object' ? `${langOpts.languageVersion}/${langOpts.impliedNodeFormat}` : langOpts}`;
    if (!parsed.has(key)) parsed.set(key, getSourceFile(fileName, langOpts, ...rest));
    return parsed.get(key);
  };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map(
    (d) => `${d.file ? `${d.file.fileName.slice(dir.length + 1)}: ` : ''}TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
  );
}

// The first variant also checks normkit's declaration files (no skipLibCheck), with no @types/node; the others skip that, as most projects do.
for (const [name, options, type] of [
  ['ts-nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, 'module'],
  ['ts-node16', { module: 'node16', moduleResolution: 'node16', skipLibCheck: true }, 'module'],
  ['ts-bundler', { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true }, 'module'],
  ['ts-nodenext-cjs', { module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: true }, 'commonjs'],
] as const) {
  test(`a TypeScript project (${type}, moduleResolution ${options.moduleResolution}) type-checks against it and runs`, () => {
    const dir = variant(name, { 'package.json': JSON.stringify({ name, type }), 'index.ts': TS_SOURCE });
    // Exactly the planted error: the package's types were found and used, and nothing else in them fails.
    const errors = compile(dir, { ...options, target: 'es2022', strict: true, outDir: 'out', types: [] });
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /^index\.ts: TS2322: Type '(readonly )?number\[\]' is not assignable to type 'number'/);
    // It emits regardless; the output runs.
    assert.deepEqual(JSON.parse(run(process.execPath, ['out/index.js'], dir)), EXPECTED);
  });
}

test('the normkit bin runs', () => {
  const r = spawnSync(join(app, 'node_modules', '.bin', 'normkit'), ['check', 'healthy-classifier'], { cwd: app, encoding: 'utf8', env: cleanEnv() });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /InstanceNorm|BatchNorm|ok/);
});

test('a browser bundler (esbuild, platform browser) takes the browser host through package.json imports, and the bundle works', async () => {
  const dir = variant('browser', {
    'package.json': JSON.stringify({ name: 'browser', type: 'module' }),
    'index.js': `import { nn, analyze, fromSpec, normBackendInfo } from 'normkit';
const m = fromSpec({ module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, stride: 2 } }, { module: 'InstanceNorm2d', args: { num_features: 4 } }] });
const a = analyze(m, [1, 3, 4, 4]);
console.log(JSON.stringify({ type: new nn.InstanceNorm2d(2).typeName, failure: a.failure && a.failure.error.type, backend: normBackendInfo().backend, threads: normBackendInfo().threadsPossible }));
`,
  });
  const esbuild = createRequire(join(ROOT, 'package.json'))('esbuild') as typeof import('esbuild');
  const r = await esbuild.build({ absWorkingDir: dir, entryPoints: ['index.js'], bundle: true, minify: true, platform: 'browser', format: 'esm', outfile: 'out.js', metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith('node_modules/normkit/dist/src/platform/browser.js')), 'the browser host');
  assert.ok(!inputs.some((f) => f.endsWith('platform/node.js')), 'not the Node one');
  // Minified, browser host, run here: the names survive, the kernels are the TypeScript ones, one thread.
  assert.deepEqual(JSON.parse(run(process.execPath, ['out.js'], dir)), { type: 'InstanceNorm2d', failure: 'ValueError', backend: 'js', threads: false });
});

test('normkit serve from the installed package serves its web app', async () => {
  const child = spawn(join(app, 'node_modules', '.bin', 'normkit'), ['serve', '--port', '0'], { cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    assert.match(await (await fetch(url)).text(), /<title>normkit doctor<\/title>/);
  } finally {
    child.kill('SIGTERM');
  }
});
