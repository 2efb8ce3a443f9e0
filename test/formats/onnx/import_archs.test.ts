/**
 * Real architectures (ResNet-18, MobileNetV2, pix2pix U-Nets with BatchNorm
 * and InstanceNorm, an EfficientNet-style net with squeeze-excitation, a
 * diffusion U-Net with GroupNorm, a time embedding and attention, ConvNeXt
 * and ViT blocks, ShuffleNet's channel shuffle, a YOLO-style SPPF head, a
 * DenseNet block with an Inception branch, fast-neural-style's
 * TransformerNet), narrowed, exported by torch 1.13 with dynamic batch
 * (test/fixtures/onnx-archs/gen_archs.py): opset 17 EVAL with constant
 * folding (torch dedups equal initializers through Identity nodes there) and
 * opset 13 PRESERVE (affine parameters come through Unsqueeze nodes). Each
 * imports, runs to PyTorch's output and onnxruntime's, writes back (toOnnx)
 * to a file onnxruntime runs to the same output, and the doctor's
 * outcome at each recorded size equals PyTorch's in train and eval mode
 * (train mode on the PRESERVE export: an EVAL export folds BatchNorm away).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../../src/analysis/analyze.js';
import { importOnnx, toOnnx } from '../../../src/formats/onnx/index.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { loadNpy } from '../../../src/io/npy.js';
import { noGrad } from '../../../src/tensor/grad_mode.js';
import { withMetaParameters } from '../../../src/tensor/meta_mode.js';
import { loadOrt } from '../../optional_peers.js';
import { ROOT } from './corpus.js';

const ortOrNull = await loadOrt();
const NO_ORT = ortOrNull === null ? 'onnxruntime-node is not installed (npm run setup:full)' : false;
const DIR = join(ROOT, 'test', 'fixtures', 'onnx-archs');
const read = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));

type Outcome = { outcome: 'ok'; output_shape: number[] } | { outcome: 'raises'; type: string; message: string };
interface Expect {
  model: string;
  sizes: { size: string; input_shapes: number[][]; train: Outcome; eval: Outcome }[];
}

const names = readdirSync(DIR).filter((f) => f.endsWith('.expect.json')).map((f) => f.replace(/\.expect\.json$/, '')).sort();

test('the architecture fixtures are all there', () => {
  assert.equal(names.length, 22);
});

for (const name of names) {
  const expect = JSON.parse(readFileSync(join(DIR, `${name}.expect.json`), 'utf8')) as Expect;
  const xs = readdirSync(DIR).filter((f) => f.startsWith(`${name}.x`)).sort().map((f) => loadNpy(read(f)));
  const y = loadNpy(read(`${name}.y.npy`));
  const scale = y.data.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  for (const file of [`${name}.op17.eval.onnx`, `${name}.op13.preserve.onnx`]) {
    const bytes = read(file);
    test(`${file}: imported, it gives PyTorch's eval-mode output`, () => {
      const { graph } = importOnnx(bytes);
      const out = noGrad(() => runGraph(graph, xs, { training: false }))[0]!;
      assert.deepEqual(out.shape, y.shape);
      const err = y.data.reduce((m, v, i) => Math.max(m, Math.abs(v - out.data[i]!)), 0);
      assert.ok(err <= 2e-5 * scale, `${file}: max error ${err} (output scale ${scale})`);
    });

    test(`${file}: onnxruntime agrees with PyTorch`, { skip: NO_ORT }, async () => {
      const ort = ortOrNull!;
      const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
      try {
        const feeds = Object.fromEntries(s.inputNames.map((n, i) => [n, new ort.Tensor('float32', xs[i]!.data, xs[i]!.shape)]));
        const got = (await s.run(feeds))[s.outputNames[0]!]!.data as ArrayLike<number>;
        const err = y.data.reduce((m, v, i) => Math.max(m, Math.abs(v - Number(got[i]))), 0);
        assert.ok(err <= 2e-5 * scale, `${file}: onnxruntime's max error ${err}`);
      } finally {
        await s.release();
      }
    });

    test(`${file}: written back by toOnnx, it runs in onnxruntime to PyTorch's output`, { skip: NO_ORT }, async () => {
      const ort = ortOrNull!;
      const { graph } = importOnnx(bytes);
      const s = await ort.InferenceSession.create(toOnnx(graph, { inputs: Object.fromEntries(graph.inputs.map((gi, i) => [gi.name, xs[i]!.shape])) }), { intraOpNumThreads: 1 });
      try {
        const feeds = Object.fromEntries(s.inputNames.map((n, i) => [n, new ort.Tensor('float32', xs[i]!.data, xs[i]!.shape)]));
        const got = (await s.run(feeds))[s.outputNames[0]!]!.data as ArrayLike<number>;
        const err = y.data.reduce((m, v, i) => Math.max(m, Math.abs(v - Number(got[i]))), 0);
        assert.ok(err <= 2e-5 * scale, `${file} written back: onnxruntime's max error ${err}`);
      } finally {
        await s.release();
      }
    });

    const modes = file.includes('.preserve.') ? (['train', 'eval'] as const) : (['eval'] as const);
    for (const mode of modes) {
      test(`${file}: the doctor's outcome at each size equals PyTorch's (${mode})`, () => {
        const { graph } = withMetaParameters(() => importOnnx(bytes));
        for (const e of expect.sizes) {
          const want = e[mode];
          const a = analyze(graph, Object.fromEntries(graph.inputs.map((gi, i) => [gi.name, e.input_shapes[i]!])), { mode });
          const at = `${file} ${mode} at ${e.size}`;
          if (want.outcome === 'ok') {
            assert.equal(a.failure, null, `${at}: ${a.failure?.error.message} at ${a.failure?.path}`);
            assert.deepEqual(a.outputShapes?.[0], want.output_shape, at);
          } else {
            assert.ok(a.failure, `${at}: runs, PyTorch raised ${want.message}`);
            assert.equal(a.failure.error.type, want.type, at);
            assert.equal(a.failure.error.message, want.message, at);
          }
        }
      });
    }
  }
}
