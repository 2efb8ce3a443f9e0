/**
 * The importer's refusals and PyTorch's: unsupported ops reported all at
 * once, dangling inputs, cycles, external data and unsupported opsets as
 * OnnxErrors (never another exception, also on damaged files); where
 * onnxruntime computes what PyTorch refuses (InstanceNormalization on one
 * spatial element, a pooling window larger than the map), the imported graph
 * raises PyTorch's error and the import info says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrt } from '../../optional_peers.js';
import { analyze, suggestFixes, sweep } from '../../../src/analysis/index.js';
import { NormkitError } from '../../../src/errors.js';
import { DataType, encodeModel, makeTensor, OnnxError, importOnnx, type DeepPartial, type GraphProto, type ModelProto } from '../../../src/formats/onnx/index.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { withMetaParameters } from '../../../src/tensor/meta_mode.js';
import { FIXTURES, ROOT } from './corpus.js';

const ortOrNull = await loadOrt();
const ort = ortOrNull!;
const NO_ORT = ortOrNull === null ? 'onnxruntime-node is not installed (npm run setup:full)' : false;

const f32 = (name: string, dims: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

function model(g: DeepPartial<GraphProto>, opset = 13, m: DeepPartial<ModelProto> = {}): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: 'test',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'g', input: [f32('X', [1, 2, 4, 4])], output: [f32('Y', [1, 2, 4, 4])], ...g },
    ...m,
  });
}

function rejects(fn: () => unknown, re: RegExp): OnnxError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof OnnxError, `expected an OnnxError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  assert.match(err.message, re);
  return err;
}

test('unsupported ops: one OnnxError naming every unsupported op type with its nodes', () => {
  const bytes = model({
    node: [
      { name: 'a', opType: 'Foo', input: ['X'], output: ['A'] },
      { name: 'b', opType: 'Relu', input: ['A'], output: ['B'] },
      { name: 'c', opType: 'Bar', input: ['B'], output: ['C'] },
      { name: 'd', opType: 'Foo', input: ['C'], output: ['Y'] },
    ],
  });
  const e = rejects(() => importOnnx(bytes), /unsupported ONNX ops: /);
  assert.match(e.message, /Foo \(a, d\)/);
  assert.match(e.message, /Bar \(c\)/);
  assert.doesNotMatch(e.message, /Relu/);
  // Unsupported variants of supported ops are collected the same way.
  const v = model({
    node: [
      { name: 'p', opType: 'MaxPool', input: ['X'], output: ['A'], attribute: [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'storage_order', type: 2, i: 1 }] },
      { name: 'q', opType: 'Resize', input: ['A', '', 'S'], output: ['Y'], attribute: [{ name: 'coordinate_transformation_mode', type: 3, s: new TextEncoder().encode('tf_crop_and_resize') }] },
    ],
    initializer: [makeTensor('S', 'float32', [4], [1, 1, 2, 2])],
  });
  const ev = rejects(() => importOnnx(v), /unsupported ONNX nodes: /);
  assert.match(ev.message, /MaxPool: storage_order=1 \(p\)/);
  assert.match(ev.message, /Resize: tf_crop_and_resize \(q\)/);
});

test('a dangling input, a cycle, external data, unsupported opsets, a missing output: OnnxErrors with clear messages', () => {
  rejects(() => importOnnx(model({ node: [{ name: 'r', opType: 'Relu', input: ['Q'], output: ['Y'] }] })), /r: input 'Q' is not a graph input, an initializer or any node's output/);
  rejects(
    () =>
      importOnnx(
        model({
          node: [
            { name: 'n1', opType: 'Relu', input: ['Y'], output: ['A'] },
            { name: 'n2', opType: 'Relu', input: ['A'], output: ['Y'] },
          ],
        }),
      ),
    /cycle/,
  );
  const ext = { ...makeTensor('W', 'float32', [2], [0, 0]), rawData: new Uint8Array(0), dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] };
  rejects(() => importOnnx(model({ node: [{ name: 'add', opType: 'Add', input: ['X', 'W'], output: ['Y'] }], initializer: [ext] })), /external data is not supported .*weights\.bin/);
  rejects(() => importOnnx(model({ node: [{ name: 'r', opType: 'Relu', input: ['X'], output: ['Y'] }] }, 23)), /opset 23 of the default domain is not supported/);
  rejects(() => importOnnx(model({ node: [{ name: 'b', opType: 'Flatten', input: ['X'], output: ['Y'] }] }, 5)), /opset 5 of the default domain is not supported/);
  rejects(() => importOnnx(model({ node: [{ name: 'l', opType: 'LRN', input: ['X'], output: ['Y'] }] }, 8)), /opset 8 of the default domain is not supported/);
  rejects(() => importOnnx(model({ node: [{ name: 'r', opType: 'Relu', input: ['X'], output: ['Z'] }] })), /output 'Y' is not computed by any node/);
  rejects(() => importOnnx(encodeModel({ irVersion: 8, opsetImport: [{ domain: 'x', version: 1 }], graph: { name: 'g' } })), /no default-domain/);
});

test('damaged fixtures: importOnnx gives a graph or an OnnxError, never another exception (seeded)', () => {
  const files = readdirSync(FIXTURES).filter((f) => /healthy-classifier.op17.(functions|preserve)|style_net.op13.eval|pooled-head.op13.training/.test(f) && f.endsWith('.onnx'));
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let errors = 0;
  let graphs = 0;
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, f)));
    for (let k = 0; k < 60; k++) {
      const b = bytes.slice(0, k % 3 === 0 ? Math.floor(rand() * bytes.length) : bytes.length);
      for (let j = 0; j < 4; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      try {
        importOnnx(b);
        graphs++;
      } catch (e) {
        if (!(e instanceof OnnxError)) throw new Error(`${f} #${k}: not an OnnxError: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
        errors++;
      }
    }
  }
  assert.ok(errors > 0 && errors + graphs === files.length * 60);
});

/** InstanceNormalization on a 1x1 map: onnxruntime returns the bias, PyTorch (and normkit) refuse. */
test('InstanceNormalization on one spatial element: onnxruntime returns the bias; the imported graph raises PyTorch\'s ValueError, and says so', { skip: NO_ORT }, async () => {
  const bytes = model({
    input: [f32('X', ['batch', 2, 'height', 'width'])],
    output: [f32('Y', ['batch', 2, 'height', 'width'])],
    node: [{ name: '/0/InstanceNormalization', opType: 'InstanceNormalization', input: ['X', 'S', 'B'], output: ['Y'] }],
    initializer: [makeTensor('S', 'float32', [2], [1.5, 2]), makeTensor('B', 'float32', [2], [0.25, -1])],
  });
  const { graph, info } = importOnnx(bytes);
  assert.deepEqual(graph.inputs[0]!.shape, ['batch', 2, 'height', 'width']);
  assert.equal(graph.nodes[0]!.op, 'InstanceNorm2d');
  assert.equal(graph.nodes[0]!.scope, '0');
  assert.deepEqual(graph.nodes[0]!.attrs, { num_features: 2, eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: false });
  assert.match(info.nodeNotes.find((n) => n.scope === '0')!.note, /onnxruntime returns the bias on a map of one spatial element/);
  const s = await ort.InferenceSession.create(bytes);
  try {
    const r = (await s.run({ X: new ort.Tensor('float32', Float32Array.of(3, 7), [1, 2, 1, 1]) }))['Y']!;
    assert.deepEqual(Array.from(r.data as Float32Array), [0.25, -1]);
  } finally {
    await s.release();
  }
  for (const training of [true, false]) {
    assert.throws(
      () => runGraph(graph, { X: new Tensor(Float32Array.of(3, 7), [1, 2, 1, 1]) }, { training }),
      (e: unknown) => e instanceof NormkitError && e.type === 'ValueError' && e.message === 'Expected more than 1 spatial element when training, got input size [1, 2, 1, 1]' && e.modulePath === '0',
    );
  }
  const a = analyze(withMetaParameters(() => importOnnx(bytes)).graph, { X: [1, 2, 1, 1] }, { mode: 'eval' });
  assert.equal(a.failure?.path, '0');
  assert.equal(a.failure?.type, 'InstanceNorm2d');
});

test('MaxPool whose window does not fit: PyTorch\'s error', () => {
  const bytes = model({
    input: [f32('X', ['batch', 1, 'height', 'width'])],
    output: [f32('Y', ['batch', 1, 'h', 'w'])],
    node: [{ name: '/pool/MaxPool', opType: 'MaxPool', input: ['X'], output: ['Y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [3, 3] }, { name: 'strides', type: 7, ints: [1, 1] }] }],
  });
  const { graph, info } = importOnnx(bytes);
  assert.equal(graph.nodes[0]!.op, 'MaxPool2d');
  assert.ok(info.nodeNotes.some((n) => n.scope === 'pool'));
  assert.throws(() => runGraph(graph, { X: new Tensor(new Float32Array(4), [1, 1, 2, 2]) }), /Output size is too small/);
});

test('shape arithmetic in analysis: F.interpolate(size=x.shape[2:]) follows the input size (sizes known from meta shapes)', () => {
  const bytes = new Uint8Array(readFileSync(join(ROOT, 'test/fixtures/onnx-patterns/interpolate-size.op13.onnx')));
  const { graph } = withMetaParameters(() => importOnnx(bytes));
  assert.ok(graph.nodes.some((n) => n.op === 'onnx_resize'));
  for (const s of [5, 8, 13]) {
    const a = analyze(graph, { input: [1, 3, s, s] }, { mode: 'eval' });
    assert.equal(a.failure, null);
    assert.deepEqual(a.outputShape, [1, 3, s, s]);
  }
  const a = analyze(graph, { input: [1, 3, 2, 2] }, { mode: 'train' });
  assert.equal(a.failure?.path, 'n');
  assert.equal(a.failure?.error.message, 'Expected more than 1 spatial element when training, got input size [1, 3, 1, 1]');
});

test('info: producer, IR and opset versions; the eval-mode fold as a note', () => {
  const eval_ = importOnnx(new Uint8Array(readFileSync(join(FIXTURES, 'pooled-head.op13.eval.onnx')))).info;
  assert.equal(eval_.producer, 'pytorch 1.13.0');
  assert.equal(eval_.irVersion, 7);
  assert.equal(eval_.opset, 13);
  assert.ok(eval_.foldedBatchNorm);
  assert.deepEqual(eval_.foldedConvs, ['0', '4']);
  assert.match(eval_.notes[0]!, /^exported in eval mode: a BatchNorm after a Conv was folded into it; its train-mode failure cannot be seen; re-export with training=torch.onnx.TrainingMode.PRESERVE/);
  const preserve = importOnnx(new Uint8Array(readFileSync(join(FIXTURES, 'pooled-head.op13.preserve.onnx')))).info;
  assert.equal(preserve.foldedBatchNorm, false);
  assert.deepEqual(preserve.notes, []);
});

test('the doctor on imported graphs: sweeps without a base shape (the declared channels), fixes that replace module nodes by scope, verified', () => {
  const { graph } = withMetaParameters(() => importOnnx(new Uint8Array(readFileSync(join(FIXTURES, 'style_net.op13.eval.onnx')))));
  const s = sweep(graph, 'square', [1, 4]);
  assert.deepEqual(s.points[0]!.inputShape, [2, 3, 1, 1]);
  const enc = withMetaParameters(() => importOnnx(new Uint8Array(readFileSync(join(FIXTURES, 'collapsing-encoder.op13.preserve.onnx'))))).graph;
  const a = analyze(enc, { input: [1, 3, 16, 16] }, { mode: 'train' });
  assert.equal(a.failure?.path, '10');
  const fixes = suggestFixes(enc, a);
  const gn = fixes.find((f) => f.kind === 'replace-norm' && f.changes[0]?.path === '10');
  assert.ok(gn, JSON.stringify(fixes.map((f) => f.title)));
  assert.equal(gn.verified?.runs, true);
});

test('shape-only import (withMetaParameters): weights are not decoded or allocated, the analysis is the same', () => {
  const w = makeTensor('W', 'float32', [64, 2, 3, 3], new Float32Array(64 * 2 * 9).fill(0.5));
  const bytes = model({
    input: [f32('X', ['batch', 2, 'height', 'width'])],
    output: [f32('Y', ['batch', 64, 'h', 'w'])],
    node: [
      { name: '/0/Conv', opType: 'Conv', input: ['X', 'W', 'B'], output: ['C'], attribute: [{ name: 'kernel_shape', type: 7, ints: [3, 3] }, { name: 'strides', type: 7, ints: [2, 2] }] },
      { name: '/1/InstanceNormalization', opType: 'InstanceNormalization', input: ['C', 'S', 'Z'], output: ['Y'] },
    ],
    initializer: [w, makeTensor('B', 'float32', [64], new Float32Array(64)), makeTensor('S', 'float32', [64], new Float32Array(64).fill(1)), makeTensor('Z', 'float32', [64], new Float32Array(64))],
  });
  const real = importOnnx(bytes).graph;
  const meta = withMetaParameters(() => importOnnx(bytes)).graph;
  assert.ok(meta.nodes.every((n) => !n.module || [...n.module.parameters()].every((p) => p.isMeta)));
  assert.ok([...meta.initializers.values()].every((t) => t.isMeta || t.numel() <= 1024));
  assert.deepEqual(meta.nodes.map((n) => [n.op, n.attrs]), real.nodes.map((n) => [n.op, n.attrs]));
  assert.equal(real.nodes[1]!.attrs['affine'], false, 'unit scale and zero bias: InstanceNorm2d without affine');
  for (const s of [3, 4, 5, 9]) {
    const a = analyze(meta, { X: [1, 2, s, s] }, { mode: 'train' });
    const b = analyze(real, { X: [1, 2, s, s] }, { mode: 'train' });
    assert.deepEqual(a.failure?.error ?? null, b.failure?.error ?? null);
  }
  assert.equal(analyze(meta, { X: [1, 2, 4, 4] }, { mode: 'train' }).failure?.error.message, 'Expected more than 1 spatial element when training, got input size [1, 64, 1, 1]');
});

test('local functions that are not torch module calls are inlined (attribute references resolved, scope of the calling node)', () => {
  const bytes = model(
    {
      input: [f32('X', ['batch', 2, 'height', 'width'])],
      output: [f32('Y', ['batch', 2, 'height', 'width'])],
      node: [
        { name: '/block/MyBlock', opType: 'MyBlock', domain: 'custom', input: ['X'], output: ['Y'], attribute: [{ name: 'slope', type: 1, f: 0.25 }] },
      ],
    },
    13,
    {
      opsetImport: [{ domain: '', version: 13 }, { domain: 'custom', version: 1 }],
      functions: [
        {
          name: 'MyBlock',
          domain: 'custom',
          input: ['a'],
          output: ['b'],
          attribute: ['slope'],
          opsetImport: [{ domain: '', version: 13 }],
          node: [
            { name: 'lrelu', opType: 'LeakyRelu', input: ['a'], output: ['t'], attribute: [{ name: 'alpha', type: 1, refAttrName: 'slope' }] },
            { name: 'neg', opType: 'Neg', input: ['t'], output: ['b'] },
          ],
        },
      ],
    },
  );
  const { graph } = importOnnx(bytes);
  assert.deepEqual(graph.nodes.map((n) => [n.op, n.scope]), [['LeakyReLU', 'block'], ['onnx_unary', 'block']]);
  assert.deepEqual(graph.nodes[0]!.attrs, { negative_slope: 0.25 });
  const [y] = runGraph(graph, { X: new Tensor(Float32Array.of(-4, 2, 1, -1), [1, 2, 1, 2]) });
  assert.deepEqual(Array.from(y!.data), [1, -2, -1, 0.25]);
});

test('shape arithmetic stays exact past float32\'s 2^24: x.view(N, C*H*W) at 3x4097x4097 (shape-only)', () => {
  const i64 = (name: string, v: number[]) => makeTensor(name, 'int64', [v.length], v);
  const bytes = model({
    input: [f32('X', ['batch', 3, 'height', 'width'])],
    output: [f32('Y', ['batch', 'features'])],
    node: [
      { name: '/Shape', opType: 'Shape', input: ['X'], output: ['s'] },
      { name: '/Gather', opType: 'Gather', input: ['s', 'i0'], output: ['n'] },
      { name: '/Gather_1', opType: 'Gather', input: ['s', 'i1'], output: ['c'] },
      { name: '/Gather_2', opType: 'Gather', input: ['s', 'i2'], output: ['h'] },
      { name: '/Gather_3', opType: 'Gather', input: ['s', 'i3'], output: ['w'] },
      { name: '/Mul', opType: 'Mul', input: ['c', 'h'], output: ['ch'] },
      { name: '/Mul_1', opType: 'Mul', input: ['ch', 'w'], output: ['chw'] },
      { name: '/Concat', opType: 'Concat', input: ['n', 'chw'], output: ['shape'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
      { name: '/Reshape', opType: 'Reshape', input: ['X', 'shape'], output: ['Y'] },
    ],
    initializer: [i64('i0', [0]), i64('i1', [1]), i64('i2', [2]), i64('i3', [3])],
  });
  const { graph } = withMetaParameters(() => importOnnx(bytes));
  const a = analyze(graph, { X: [2, 3, 4097, 4097] }, { mode: 'eval' });
  assert.equal(a.failure, null, a.failure?.error.message);
  assert.deepEqual(a.outputShape, [2, 3 * 4097 * 4097]);
  assert.ok(3 * 4097 * 4097 !== Math.fround(3 * 4097 * 4097), 'the product is not a float32');
});

test("scopes from torch 2.x's per-node metadata pkg.torch.onnx.name_scopes, before the node name", () => {
  const bytes = model(
    {
      input: [f32('X', ['batch', 2, 'height', 'width'])],
      output: [f32('Y', ['batch', 2, 'height', 'width'])],
      node: [
        { name: 'node_relu', opType: 'Relu', input: ['X'], output: ['A'], metadataProps: [{ key: 'pkg.torch.onnx.name_scopes', value: "['', 'layer1', 'layer1.0', 'layer1.0.act']" }] },
        { name: 'node_tanh', opType: 'Tanh', input: ['A'], output: ['B'], metadataProps: [{ key: 'pkg.torch.onnx.name_scopes', value: '["head", "0"]' }] },
        { name: '/2/Sigmoid', opType: 'Sigmoid', input: ['B'], output: ['Y'] },
      ],
    },
    18,
    { irVersion: 10 },
  );
  assert.deepEqual(importOnnx(bytes).graph.nodes.map((n) => n.scope), ['layer1.0.act', 'head.0', '2']);
});
