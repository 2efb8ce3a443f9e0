/**
 * `normkit check model.onnx` and `normkit run model.onnx` on files exported
 * from PyTorch (test/fixtures/onnx): verdicts, paths and messages as PyTorch's,
 * the notes an ONNX file needs (a BatchNorm folded away in an eval export,
 * layers onnxruntime runs where PyTorch raises), dynamic dims bound by
 * --input, the run's values equal to PyTorch's, and bad files as exit 2 with
 * one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type CheckOptions } from '../../src/cli/check.js';
import { runRun, type RunOptions } from '../../src/cli/run.js';
import { DataType, encodeModel } from '../../src/formats/onnx/index.js';
import { loadFile, saveFile } from '../../src/io/file.js';
import { tensor } from '../../src/tensor/creation.js';
import { repoRoot } from '../helpers.js';
import '../../src/ops/methods.js';

const FIX = join(repoRoot(), 'test', 'fixtures', 'onnx');
const dir = mkdtempSync(join(tmpdir(), 'normkit-onnx-cli-'));

function check(model: string, opts: CheckOptions = {}) {
  let out = '';
  let err = '';
  const code = runCheck(model, opts, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
}

function run(model: string, opts: RunOptions = {}) {
  let out = '';
  let err = '';
  const code = runRun(model, opts, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const sidecar = (name: string) => JSON.parse(readFileSync(join(FIX, `${name}.expect.json`), 'utf8'));

test('check an exported encoder: the raising module by its PyTorch path, the chain, fixes, the onnxruntime note', () => {
  const r = check(join(FIX, 'collapsing-encoder.op17.preserve.onnx'), { input: '2x3x32x32' });
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /ONNX file from pytorch 1\.13\.0, IR 8, opset 17/);
  assert.match(r.out, /Note \(13\): onnxruntime returns the bias on a map of one spatial element; normkit raises as PyTorch does/);
  assert.match(r.out, /Fails: ValueError in InstanceNorm2d at 13\n {2}ValueError: Expected more than 1 spatial element when training, got input size \[2, 16, 1, 1\]/);
  assert.match(r.out, /Cause chain[^\n]*\n {4}0 {3}Conv2d {2}32x32 -> 16x16 {2}stride 2\n {4}3 /);
  assert.match(r.out, /1\. Use an input of at least 33x33/);
  assert.match(r.out, /\n13 +InstanceNorm2d +2x16x1x1 +- +RAISES/);
});

test('a sweep of an exported model works at exactly the sizes PyTorch ran, in both modes', () => {
  for (const mode of ['train', 'eval'] as const) {
    for (const name of ['unet-level.op13.preserve', 'resnet-generator.op17.eval', 'keypoint-encoder.op17.preserve']) {
      const side = sidecar(name);
      const shape = side.sweep_axis === 'length' ? `${side.sweep_batch}x${side.input.shape[1]}x16` : `${side.sweep_batch}x${side.input.shape[1]}x16x16`;
      const r = check(join(FIX, `${name}.onnx`), { input: shape, sweep: '1..64', mode, json: true, fixes: false });
      const doc = JSON.parse(r.out);
      const want = (side.sweep[mode] as { size: number; output_shape?: number[] }[]).filter((p) => p.output_shape).map((p) => p.size);
      assert.deepEqual(doc.sweep.workingSizes, want, `${name} ${mode}`);
    }
  }
});

test('an eval export hides a folded BatchNorm: train mode says so', () => {
  const r = check(join(FIX, 'pooled-head.op13.eval.onnx'), { input: '1x3x8x8' });
  assert.match(r.out, /Note: exported in eval mode: a BatchNorm after a Conv was folded into it; its train-mode failure cannot be seen; re-export with training=torch\.onnx\.TrainingMode\.PRESERVE/);
  const preserved = check(join(FIX, 'pooled-head.op13.preserve.onnx'), { input: '1x3x8x8' });
  assert.equal(preserved.code, 1);
  assert.match(preserved.out, /Fails: ValueError in BatchNorm2d at 5\n {2}ValueError: Expected more than 1 value per channel when training, got input size \[1, 32, 1, 1\]/);
  assert.match(preserved.out, /1\. Use a batch of 2 or more/);
  const doc = JSON.parse(check(join(FIX, 'pooled-head.op13.eval.onnx'), { input: '1x3x8x8', json: true }).out);
  assert.equal(doc.onnx.foldedBatchNorm, true);
  assert.deepEqual(doc.onnx.foldedConvs, ['0', '4']);
});

test('dynamic dims must be bound: without --input the message names them', () => {
  const r = check(join(FIX, 'collapsing-encoder.op17.preserve.onnx'));
  assert.equal(r.code, 2);
  assert.equal(r.err, "normkit check: input 'input' has dynamic dimensions 'batch', 'height', 'width' ([batch, 3, height, width]): give its size with --input, e.g. --input 2x3x32x32\n");
});

test('normkit run on an exported model gives PyTorch\'s recorded output', () => {
  for (const name of ['resnet-generator.op17.eval', 'unet-level.op13.preserve', 'style_net.op17.eval']) {
    const side = sidecar(name);
    const x = join(dir, `${name}.in.safetensors`);
    saveFile(x, { input: tensor(Float32Array.from(side.input.data), side.input.shape) });
    const out = join(dir, `${name}.out.safetensors`);
    const r = run(join(FIX, `${name}.onnx`), { from: x, out, mode: side.export.module_mode });
    assert.equal(r.code, 0, r.err);
    const y = loadFile(out).tensors.get('output')!;
    assert.deepEqual(y.shape, side.output.shape);
    const want = side.output.data as number[];
    const worst = Math.max(...want.map((v, i) => Math.abs(v - y.data[i]!)));
    assert.ok(worst <= 1e-4, `${name}: worst difference ${worst}`);
  }
});

test('bad files: garbage, truncated, empty, an unsupported op, 2 GB: exit 2 with one line', () => {
  const ok = readFileSync(join(FIX, 'unet-level.op17.eval.onnx'));
  const files: [string, Uint8Array | null, RegExp][] = [
    ['garbage.onnx', new TextEncoder().encode('this is not a model'), /^normkit check: not an ONNX model/],
    ['truncated.onnx', ok.subarray(0, 3000), /^normkit check: ModelProto: length prefix \d+ of ModelProto\.graph runs past the end/],
    ['empty.onnx', new Uint8Array(0), /^normkit check: .*(empty|not an ONNX model)/],
    [
      'unsupported.onnx',
      encodeModel({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'g',
          input: [{ name: 'X', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }, { dimValue: 4 }, { dimValue: 4 }] } } } }],
          output: [{ name: 'Y', type: { tensorType: { elemType: DataType.FLOAT } } }],
          node: [
            { name: '/a/Foo', opType: 'FooOp', input: ['X'], output: ['A'] },
            { name: '/b/Bar', opType: 'BarOp', input: ['A'], output: ['Y'] },
          ],
        },
      }),
      /^normkit check: .*unsupported ONNX ops: .*FooOp.*BarOp|^normkit check: .*unsupported ONNX ops: .*BarOp.*FooOp/,
    ],
    ['huge.onnx', null, /^normkit check: huge\.onnx is 2\.0 GB: model files over 1 GB are not read/],
  ];
  for (const [name, bytes, re] of files) {
    const p = join(dir, name);
    if (bytes === null) {
      const fd = openSync(p, 'w');
      ftruncateSync(fd, 2 * 2 ** 30); // sparse: no disk used, and it must not be read
      closeSync(fd);
    } else writeFileSync(p, bytes);
    const r = check(p, { input: '1x2x4x4' });
    assert.equal(r.code, 2, `${name}: ${r.out}`);
    assert.match(r.err, re, name);
    assert.equal(r.err.trim().split('\n').length, 1, name);
  }
});
