/**
 * The PyTorch-exported fixtures of test/fixtures/onnx (gen_fixtures.py): each
 * loads in onnxruntime-node and gives PyTorch's recorded output on the
 * recorded input (within 1e-4), which checks the fixtures themselves; each
 * decodes here exactly as protobufjs reads it; each sidecar holds a complete
 * shape-flow sweep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrt } from '../../optional_peers.js';
import { decodeModel, tensorData } from '../../../src/formats/onnx/index.js';
import { FIXTURES, canon, read, referenceModel } from './corpus.js';
import { NO_PROTOBUF } from './corpus.js';

const ortOrNull = await loadOrt();
const ort = ortOrNull!;
const NO_ORT = ortOrNull === null ? 'onnxruntime-node is not installed (npm run setup:full)' : false;

interface Expect {
  export: { opset_version: number; training: string; module_mode: 'train' | 'eval'; export_modules_as_functions?: string[] };
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
  sweep_axis: 'square' | 'length';
  sweep: Record<'train' | 'eval', ({ size: number; output_shape: number[] } | { size: number; error: { type: string; message: string; path: string; module: string } })[]>;
}

const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.onnx'))
  .sort();

test('the fixtures are there: 9 examples at opsets 13 and 17, eval and preserve, plus training and functions exports', () => {
  assert.ok(files.length >= 38, `${files.length} fixtures`);
  assert.ok(files.some((f) => f.endsWith('.training.onnx')));
  assert.ok(files.some((f) => f.endsWith('.functions.onnx')));
  const total = readdirSync(FIXTURES).reduce((s, f) => s + readFileSync(join(FIXTURES, f)).length, 0);
  assert.ok(total < 2.2e6, `fixtures take ${total} bytes`);
});

for (const f of files) {
  const expect = JSON.parse(readFileSync(join(FIXTURES, f.replace(/\.onnx$/, '.expect.json')), 'utf8')) as Expect;
  test(`${f}: onnxruntime gives PyTorch's output (${expect.export.training}, opset ${expect.export.opset_version})`, { skip: NO_ORT }, async () => {
    const bytes = read(join(FIXTURES, f));
    const m = decodeModel(bytes);
    assert.deepStrictEqual(canon(m), canon(referenceModel(bytes)));
    assert.deepEqual(
      m.opsetImport.find((o) => o.domain === '')?.version,
      expect.export.opset_version,
    );
    for (const t of m.graph!.initializer) tensorData(t);
    assert.deepEqual(m.graph!.input.map((v) => v.name), ['input']);
    assert.equal(m.graph!.output[0]!.name, 'output');
    const dims = m.graph!.input[0]!.type!.tensorType!.shape!.dim;
    assert.equal(dims[0]!.dimParam, 'batch', 'dynamic batch');
    assert.ok(dims.slice(2).every((d) => d.dimParam !== undefined), 'dynamic spatial dims');

    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    try {
      const x = new ort.Tensor('float32', Float32Array.from(expect.input.data), expect.input.shape);
      const y = (await s.run({ input: x }, ['output']))['output']!;
      assert.deepEqual(y.dims, expect.output.shape);
      const got = y.data as Float32Array;
      let worst = 0;
      expect.output.data.forEach((want, i) => {
        worst = Math.max(worst, Math.abs(got[i]! - want) / Math.max(1, Math.abs(want)));
      });
      assert.ok(worst <= 1e-4, `largest difference from PyTorch: ${worst}`);
    } finally {
      await s.release();
    }

    for (const mode of ['train', 'eval'] as const) {
      const rows = expect.sweep[mode];
      assert.deepEqual(rows.map((r) => r.size), Array.from({ length: 64 }, (_, i) => i + 1));
      for (const r of rows) {
        if ('error' in r) {
          assert.ok(r.error.type.length > 0 && typeof r.error.path === 'string', JSON.stringify(r));
          assert.doesNotMatch(r.error.message, /torch\.Size/);
        }
      }
    }
  });
}
