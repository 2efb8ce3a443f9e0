/**
 * What `npm run build:web` wrote to dist/web: the sizes it reports (the
 * analyzer with the ONNX reader stays well under 1 MB before compression),
 * a page that loads nothing (its CSP, no URL but the SVG namespace, the
 * examples inline), and the minified analyzer bundle, imported here in
 * Node, giving the same answers as the library's own modules for every
 * example and an ONNX file — the bundle renames every class, so type names
 * (InstanceNorm2d, ValueError) come from their static declarations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { runCheck } from '../../src/cli/check.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const WEB = join(ROOT, 'dist', 'web');

function cli(file: string, extra: Record<string, string | boolean> = {}): any {
  let out = '';
  runCheck(file, { json: true, ...extra }, { out: (s) => (out += s), err: () => undefined, color: false });
  return JSON.parse(out);
}

test('bundle sizes: the analyzer + ONNX reader and writer well under 1 MB raw; sizes.json is what is on disk', () => {
  const sizes = JSON.parse(readFileSync(join(WEB, 'sizes.json'), 'utf8')) as Record<string, { raw: number; gzip: number }>;
  for (const f of ['index.html', 'normkit-analyzer.js', 'lib/normkit.js', 'lib/norm_worker.js', 'lib/norm.wasm', 'lib/gemm.wasm', 'lib/gemm_relaxed.wasm']) {
    const bytes = readFileSync(join(WEB, f));
    assert.equal(sizes[f]?.raw, bytes.length, f);
    assert.equal(sizes[f]?.gzip, gzipSync(bytes, { level: 9 }).length, f);
  }
  const analyzer = statSync(join(WEB, 'normkit-analyzer.js')).size;
  console.log(`# normkit-analyzer.js: ${(analyzer / 1024).toFixed(0)} KB raw, ${(sizes['normkit-analyzer.js']!.gzip / 1024).toFixed(0)} KB gzip; index.html ${(sizes['index.html']!.raw / 1024).toFixed(0)} KB`);
  assert.ok(analyzer < 512 * 1024, `the analyzer bundle is ${analyzer} bytes: over half of the 1 MB budget`);
  assert.ok(sizes['index.html']!.raw < 1024 * 1024, 'the whole app page under 1 MB');
  // The analyzer carries no WebAssembly (it is never needed for meta tensors).
  assert.doesNotMatch(readFileSync(join(WEB, 'normkit-analyzer.js'), 'latin1'), /\0asm/);
});

test('index.html: one self-contained page that may load nothing, with every example inline', () => {
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">/);
  assert.doesNotMatch(html.replace(/http:\/\/www\.w3\.org\/[0-9]+\/svg/g, ''), /https?:\/\//, 'no URL but the SVG namespace');
  assert.doesNotMatch(html, /<script[^>]+src=|<link /, 'no external script or stylesheet');
  const examples = JSON.parse(/<script type="application\/json" id="nk-examples">(.*?)<\/script>/s.exec(html)![1]!) as { name: string; text: string }[];
  const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(examples.map((e) => `${e.name}.json`), files);
  for (const e of examples) assert.equal(e.text, readFileSync(join(ROOT, 'examples', `${e.name}.json`), 'utf8'));
});

test('the minified analyzer bundle, run in Node, answers as the library does (every example, an ONNX file)', async () => {
  const nk = await import(pathToFileURL(join(WEB, 'normkit-analyzer.js')).href);
  for (const f of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'))) {
    const o = nk.openFile(f, new Uint8Array(readFileSync(join(ROOT, 'examples', f))));
    const shapes = nk.inputShapes(o, Object.fromEntries(o.inputs.map((i: { name: string; value: string }) => [i.name, i.value])));
    const r = nk.checkGraph(o.graph, shapes, { mode: o.mode, fixes: false });
    const truth = cli(join(ROOT, 'examples', f), { fixes: false });
    assert.deepEqual(JSON.parse(JSON.stringify(r.analysis)), truth.analysis, f);
    assert.equal(r.verdict, truth.verdict, f);
  }
  // The fix search too, for the failing showcase.
  const file = join(ROOT, 'examples', 'collapsing-encoder.json');
  const o = nk.openFile('collapsing-encoder.json', new Uint8Array(readFileSync(file)));
  const c = nk.check(o, nk.inputShapes(o, { input: '2x3x32x32' }), { mode: 'train' });
  assert.deepEqual(JSON.parse(JSON.stringify(c.result.fixes)), cli(file).fixes);
  assert.equal(c.report.fixes[1].state.nodes['13'].type, 'GroupNorm');
  const ce = nk.openFile('ce.json', new Uint8Array(readFileSync(join(ROOT, 'examples', 'collapsing-encoder.json'))));
  const a = nk.analyze(ce.graph, { input: [2, 3, 32, 32] }, { mode: 'train' });
  assert.equal(a.failure.type, 'InstanceNorm2d');
  assert.equal(a.failure.error.type, 'ValueError');
  assert.deepEqual([...new Set(a.modules.map((m: { type: string }) => m.type))].sort(), ['Conv2d', 'InstanceNorm2d', 'LeakyReLU', 'Sequential']);
  // A typed error out of the bundle keeps its class and name.
  assert.throws(() => nk.fromSpec({ module: 'GroupNorm', args: { num_groups: 3, num_channels: 8 } }), (e: Error) => e instanceof nk.ValueError && e.name === 'ValueError' && /num_channels must be divisible by num_groups/.test(e.message));
  const onnx = join(ROOT, 'test', 'fixtures', 'onnx', 'resnet-generator.op17.preserve.onnx');
  const rg = nk.openFile('rg.onnx', new Uint8Array(readFileSync(onnx)));
  const r = nk.check(rg, nk.inputShapes(rg, { input: '1x3x4x4' }), { mode: 'train' });
  const truth = cli(onnx, { input: '1x3x4x4' });
  assert.deepEqual(JSON.parse(JSON.stringify(r.result.analysis)), truth.analysis);
  assert.equal(r.result.fixes.length, truth.fixes.length);
});
