/**
 * The general-form models (several inputs and outputs, branch sums, sizes
 * taken from another tensor, slicing) exported to ONNX from PyTorch by
 * test/oracle/gen_graphs.py: imported, they give PyTorch's eval-mode outputs
 * (and onnxruntime's), and the doctor on the imported graph gives PyTorch's
 * outcome, raising module path and message at every size of the shape flow
 * recorded from the same PyTorch modules (test/oracle/cases/graphs_general_form.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../../src/analysis/analyze.js';
import { importOnnx } from '../../../src/formats/onnx/index.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { tensor } from '../../../src/tensor/creation.js';
import { withMetaParameters } from '../../../src/tensor/meta_mode.js';
import type { SweepEntry } from '../../../src/oracle/case_types.js';
import { loadOrt } from '../../optional_peers.js';
import { ROOT } from './corpus.js';

const ortOrNull = await loadOrt();
const NO_ORT = ortOrNull === null ? 'onnxruntime-node is not installed (npm run setup:full)' : false;

const DIR = join(ROOT, 'test', 'fixtures', 'onnx-graphs');
const files = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();
type T = { shape: number[]; data: number[] };
interface Side { model: string; inputs: Record<string, T>; outputs: Record<string, T> }
const cases = (JSON.parse(readFileSync(join(ROOT, 'test', 'oracle', 'cases', 'graphs_general_form.json'), 'utf8')) as { cases: { id: string; kind: string; mode: 'train' | 'eval'; sweep: SweepEntry[] }[] }).cases;

const worst = (got: ArrayLike<number>, want: readonly number[]) => want.reduce((m, v, i) => Math.max(m, Math.abs(v - Number(got[i]))), 0);

test('every general-form model of the PyTorch suite has an ONNX export', () => {
  assert.equal(files.length, 7);
});

for (const f of files) {
  const bytes = new Uint8Array(readFileSync(join(DIR, f)));
  const side = JSON.parse(readFileSync(join(DIR, f.replace(/\.onnx$/, '.expect.json')), 'utf8')) as Side;

  test(`${f}: PyTorch's outputs from the imported graph, with its inputs by name`, () => {
    const { graph } = importOnnx(bytes);
    assert.deepEqual(graph.inputs.map((i) => i.name), Object.keys(side.inputs));
    const inputs = Object.fromEntries(Object.entries(side.inputs).map(([k, v]) => [k, tensor(Float32Array.from(v.data), v.shape)]));
    const ys = runGraph(graph, inputs, { training: false });
    Object.values(side.outputs).forEach((want, k) => {
      assert.deepEqual(ys[k]!.shape, want.shape);
      assert.ok(worst(ys[k]!.data, want.data) <= 1e-4, `${f} output ${k}: ${worst(ys[k]!.data, want.data)}`);
    });
  });

  test(`${f}: onnxruntime agrees`, { skip: NO_ORT }, async () => {
    const ort = ortOrNull!;
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    try {
      const feeds = Object.fromEntries(Object.entries(side.inputs).map(([k, v]) => [k, new ort.Tensor('float32', Float32Array.from(v.data), v.shape)]));
      const r = await s.run(feeds);
      for (const [name, want] of Object.entries(side.outputs)) assert.ok(worst(r[name]!.data as ArrayLike<number>, want.data) <= 1e-4, `${f} ${name}`);
    } finally {
      await s.release();
    }
  });

  for (const mode of ['train', 'eval'] as const) {
    const c = cases.find((x) => x.kind === 'shape_flow' && x.mode === mode && x.id.startsWith(`graph ${side.model}/`));
    test(`${f}: the doctor's verdict at every size equals PyTorch's (${mode})`, () => {
      assert.ok(c, `no recorded shape flow for ${side.model}`);
      const { graph } = withMetaParameters(() => importOnnx(bytes));
      for (const e of c.sweep) {
        const a = analyze(graph, e.input_shapes!, { mode });
        const at = `${f} ${mode} size ${e.size}`;
        if (e.outcome === 'ok') {
          assert.equal(a.failure, null, `${at}: ${a.failure?.error.message} at ${a.failure?.path}`);
          assert.deepEqual(a.outputShapes, e.output_shapes, at);
        } else {
          assert.ok(a.failure, `${at}: runs, PyTorch raised ${e.error?.message}`);
          assert.equal(a.failure.error.type, e.error!.type, at);
          assert.equal(a.failure.error.message, e.error!.message, at);
          assert.equal(a.failure.path, e.raised_in!.path, at);
        }
      }
    });
  }
}
