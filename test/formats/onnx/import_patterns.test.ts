/**
 * The patterns torch writes for one module (test/fixtures/onnx-patterns,
 * gen_patterns.py): each import reports the module classes at their PyTorch
 * paths, and gives PyTorch's and onnxruntime's output (within 1e-4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrt } from '../../optional_peers.js';
import { importOnnx } from '../../../src/formats/onnx/index.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { ROOT } from './corpus.js';

const ortOrNull = await loadOrt();
const ort = ortOrNull!;
const NO_ORT = ortOrNull === null ? 'onnxruntime-node is not installed (npm run setup:full)' : false;

const DIR = join(ROOT, 'test/fixtures/onnx-patterns');

interface Expect {
  modules: { path: string; type: string }[];
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
}

const worst = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
  return w;
};

const files = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();

test('the pattern fixtures are there', () => assert.ok(files.length >= 7, `${files.length}`));

for (const f of files) {
  test(`pattern ${f}: one module node per torch module, PyTorch's and onnxruntime's output`, { skip: NO_ORT }, async () => {
    const expect = JSON.parse(readFileSync(join(DIR, f.replace(/\.onnx$/, '.expect.json')), 'utf8')) as Expect;
    const bytes = new Uint8Array(readFileSync(join(DIR, f)));
    const { graph } = importOnnx(bytes);
    assert.deepEqual(
      graph.nodes.filter((n) => n.module !== undefined && n.op !== 'Identity').map((n) => ({ path: n.scope, type: n.op })),
      expect.modules,
    );
    const x = new Tensor(Float32Array.from(expect.input.data), expect.input.shape);
    const [y] = runGraph(graph, { input: x }, { training: false });
    assert.deepEqual([...y!.shape], expect.output.shape);
    assert.ok(worst(y!.data, expect.output.data) <= 1e-4, `vs PyTorch ${worst(y!.data, expect.output.data)}`);
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    try {
      const r = (await s.run({ input: new ort.Tensor('float32', Float32Array.from(expect.input.data), expect.input.shape) }, ['output']))['output']!;
      assert.ok(worst(y!.data, r.data as Float32Array) <= 1e-4, `vs onnxruntime ${worst(y!.data, r.data as Float32Array)}`);
    } finally {
      await s.release();
    }
  });
}
