/**
 * `normkit export`: a spec written as ONNX (eval mode, dynamic dims as named),
 * which normkit's importer reads back to the same module paths and the same
 * outputs at another size; bad usage exits 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExport, type ExportCliOptions } from '../../src/cli/export.js';
import { importOnnx } from '../../src/formats/onnx/index.js';
import { runGraph } from '../../src/graph/interpret.js';
import { fromSpec } from '../../src/spec/spec.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { repoRoot } from '../helpers.js';
import '../../src/ops/methods.js';

const dir = mkdtempSync(join(tmpdir(), 'normkit-export-'));
function exp(model: string, out: string, opts: ExportCliOptions = {}) {
  let o = '';
  let e = '';
  const code = runExport(model, out, opts, { out: (s) => (o += s), err: (s) => (e += s) });
  return { code, out: o, err: e };
}

test('export a bundled example with dynamic batch and spatial dims; the file reads back to the same model', () => {
  const out = join(dir, 'hc.onnx');
  const r = exp('healthy-classifier', out, { dynamic: 'N,H,W', seed: '3' });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^normkit export healthy-classifier: wrote .*hc\.onnx \([\d.]+ KB, opset 17, input input=Nx3xHxW, eval mode\)\n$/);
  const { graph } = importOnnx(new Uint8Array(readFileSync(out)));
  assert.deepEqual(graph.inputs[0]!.shape, ['N', 3, 'H', 'W']);
  manualSeed(3);
  const spec = JSON.parse(readFileSync(join(repoRoot(), 'examples', 'healthy-classifier.json'), 'utf8')).model;
  const m = fromSpec(spec).eval();
  const moduleNodes = graph.nodes.filter((n) => n.module !== undefined).map((n) => `${n.scope}:${n.op}`);
  const want = [...m.namedModules()].filter(([, c]) => c.children().length === 0).map(([p, c]) => `${p}:${c.typeName}`);
  assert.deepEqual(moduleNodes, want);
  const x = randn([2, 3, 24, 24]);
  const [y] = runGraph(graph, { input: x }, { training: false });
  const ref = m.call(x);
  assert.deepEqual(y!.shape, ref.shape);
  const worst = Math.max(...[...ref.data].map((v, i) => Math.abs(v - y!.data[i]!)));
  assert.ok(worst <= 1e-4, `worst difference ${worst}`);
});

test('bad usage: exit 2 and one line', () => {
  const cases: [string, ExportCliOptions, RegExp][] = [
    ['no-such-model', {}, /^normkit export: no model file 'no-such-model'/],
    ['healthy-classifier', { dynamic: 'Q' }, /--dynamic takes dims among N, C, H, W, D, L, got Q/],
    ['healthy-classifier', { opset: '9' }, /opset 9 is not supported for export/],
    [join(repoRoot(), 'test', 'fixtures', 'onnx', 'pooled-head.op13.eval.onnx'), {}, /is an ONNX file already/],
  ];
  for (const [m, o, re] of cases) {
    const r = exp(m, join(dir, 'x.onnx'), o);
    assert.equal(r.code, 2, r.out);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});
