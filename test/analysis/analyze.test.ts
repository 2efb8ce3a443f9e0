/**
 * analyze(): shape-only execution through the model's own forward — module
 * records, norm verdicts, the failure with its cause chain — with no data
 * computed and the model left as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { traceGraph } from '../../src/analysis/trace.js';
import { lowerModule } from '../../src/graph/lower.js';
import { Sequential } from '../../src/nn/container.js';
import { InstanceNorm2d } from '../../src/nn/instancenorm.js';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { Upsample } from '../../src/nn/upsample.js';
import { reshape } from '../../src/ops/shape_ops.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fromSpec } from '../../src/spec/spec.js';
import '../../src/tensor/methods.js';

const L = (module: string, args?: Record<string, unknown>) => (args ? { module, args } : { module });
const Seq = (...layers: unknown[]) => ({ module: 'Sequential', layers });
const conv = (i: number, o: number, k: number, s = 1, p = 0) => L('Conv2d', { in_channels: i, out_channels: o, kernel_size: k, stride: s, padding: p });

/** The zoo's collapsing encoder shape: four stride-2 convs, each followed by InstanceNorm2d. */
function encoder(): Module {
  const layers: unknown[] = [];
  const ch = [3, 8, 16, 32, 32];
  for (let i = 0; i < 4; i++) layers.push(conv(ch[i]!, ch[i + 1]!, 3, 2, 1), L('InstanceNorm2d', { num_features: ch[i + 1] }), L('ReLU'));
  layers.push(L('AdaptiveAvgPool2d', { output_size: 1 }), L('Flatten'), L('Linear', { in_features: 32, out_features: 10 }));
  return fromSpec(Seq(...layers));
}

test('no kernel runs: every tensor the trace sees is a meta tensor without data', () => {
  const m = encoder();
  const t = traceGraph(lowerModule(m), [2, 3, 32, 32], 'train');
  assert.equal(t.error, null);
  assert.equal(t.entries.length, 16);
  for (const e of t.entries) {
    for (const x of [...(e.inputs ?? []), e.output!]) {
      assert.ok(x.isMeta, `${e.path} saw a tensor with data`);
      assert.throws(() => x.data, /meta tensor has no data/);
    }
  }
});

test('analysis leaves the model as it was: train/eval flags, running statistics, batch counter', () => {
  const m = fromSpec(Seq(conv(3, 4, 3, 1, 1), L('BatchNorm2d', { num_features: 4 }), L('InstanceNorm2d', { num_features: 4 })));
  m.eval();
  const before = [...m.stateDict()].map(([k, v]) => [k, [...v.data]]);
  analyze(m, [2, 3, 8, 8], { mode: 'train' });
  analyze(m, [1, 3, 1, 1], { mode: 'train' }); // raises inside, in shape-only execution
  assert.deepEqual([...m.stateDict()].map(([k, v]) => [k, [...v.data]]), before);
  assert.ok(m.modules().every((x) => !x.training));
});

test('collapsing encoder at 16x16: InstanceNorm2d at 10 raises, after four stride-2 convs', () => {
  const a = analyze(encoder(), [2, 3, 16, 16], { mode: 'train' });
  assert.equal(a.runs, false);
  const f = a.failure!;
  assert.equal(f.path, '10');
  assert.equal(f.type, 'InstanceNorm2d');
  assert.deepEqual(f.error, { type: 'ValueError', message: 'Expected more than 1 spatial element when training, got input size [2, 32, 1, 1]' });
  assert.equal(f.kind, 'statistics');
  assert.deepEqual(f.inputShape, [2, 32, 1, 1]);
  assert.deepEqual(
    f.chain.map((c) => [c.path, c.before, c.after, c.change, c.because]),
    [
      ['0', [16, 16], [8, 8], 'shrank', ['stride 2']],
      ['3', [8, 8], [4, 4], 'shrank', ['stride 2']],
      ['6', [4, 4], [2, 2], 'shrank', ['stride 2']],
      ['9', [2, 2], [1, 1], 'shrank', ['stride 2']],
    ],
  );
  const norm = a.norms.find((n) => n.path === '10')!;
  assert.equal(norm.verdict, 'raises');
  assert.equal(norm.valuesPerStatistic, 1);
  assert.deepEqual(
    a.norms.filter((n) => n.path !== '10').map((n) => [n.path, n.verdict, n.valuesPerStatistic]),
    [['1', 'ok', 64], ['4', 'ok', 16], ['7', 'ok', 4]],
  );
  // The raising module and its unfinished parent are listed; nothing after it ran.
  assert.deepEqual(a.modules.map((r) => r.path).slice(0, 2), ['', '0']);
  assert.deepEqual(a.modules.at(-1), { ...a.modules.at(-1)!, path: '10', status: 'raised', outputShape: null });
  assert.equal(a.modules[0]!.status, 'unfinished');
});

test('module records come in entry order, containers before their children', () => {
  const m = fromSpec(Seq(conv(3, 4, 3, 1, 1), { module: 'Concat', dim: 1, branches: [L('Identity'), Seq(L('MaxPool2d', { kernel_size: 2 }), L('Upsample', { scale_factor: 2 }))] }, { module: 'Residual', body: Seq(L('ReLU')) }));
  const a = analyze(m, [1, 3, 8, 8]);
  assert.deepEqual(
    a.modules.map((r) => [r.path, r.outputShape]),
    [
      ['', [1, 8, 8, 8]],
      ['0', [1, 4, 8, 8]],
      ['1', [1, 8, 8, 8]],
      ['1.branches.0', [1, 4, 8, 8]],
      ['1.branches.1', [1, 4, 8, 8]],
      ['1.branches.1.0', [1, 4, 4, 4]],
      ['1.branches.1.1', [1, 4, 8, 8]],
      ['2', [1, 8, 8, 8]],
      ['2.body', [1, 8, 8, 8]],
      ['2.body.0', [1, 8, 8, 8]],
    ],
  );
});

test('a failing Concat: the mismatch, and the down/up path of the branch as cause chain', () => {
  const m = fromSpec(Seq({ module: 'Concat', dim: 1, branches: [L('Identity'), Seq(L('MaxPool2d', { kernel_size: 2 }), L('Upsample', { scale_factor: 2 }))] }));
  const a = analyze(m, [1, 2, 7, 7]);
  assert.equal(a.failure!.path, '0');
  assert.equal(a.failure!.kind, 'mismatch');
  assert.equal(a.failure!.error.message, 'Sizes of tensors must match except in dimension 1. Expected size 7 but got size 6 for tensor number 1 in the list.');
  assert.deepEqual(
    a.failure!.chain.map((c) => [c.path, c.before, c.after, c.change]),
    [['0.branches.1.0', [7, 7], [3, 3], 'shrank'], ['0.branches.1.1', [3, 3], [6, 6], 'grew']],
  );
  // The unfinished Concat comes before its finished branches.
  assert.deepEqual(a.modules.map((r) => [r.path, r.status]).slice(0, 3), [['', 'unfinished'], ['0', 'raised'], ['0.branches.0', 'ok']]);
});

test('the kernel explains the shrink only where the stride alone does not', () => {
  const a = analyze(fromSpec(Seq(L('Conv2d', { in_channels: 1, out_channels: 1, kernel_size: 4, stride: 2, padding: 1 }), L('Conv2d', { in_channels: 1, out_channels: 1, kernel_size: 4, stride: 1, padding: 1 }), L('InstanceNorm2d', { num_features: 1 }))), [1, 1, 4, 4]);
  assert.deepEqual(a.failure!.chain.map((c) => c.because), [['stride 2'], ['kernel 4 with padding 1 (-1)']]);
});

test('BatchNorm: batch of 1 after global pooling raises in training, uses running statistics in eval', () => {
  const m = fromSpec(Seq(conv(3, 4, 3, 1, 1), L('AdaptiveAvgPool2d', { output_size: 1 }), L('BatchNorm2d', { num_features: 4 })));
  const train = analyze(m, [1, 3, 8, 8], { mode: 'train' });
  assert.deepEqual(train.failure!.error, { type: 'ValueError', message: 'Expected more than 1 value per channel when training, got input size [1, 4, 1, 1]' });
  assert.deepEqual(train.failure!.chain.map((c) => [c.path, c.because]), [['1', ['adaptive pool to 1']]]);
  const evalA = analyze(m, [1, 3, 8, 8], { mode: 'eval' });
  assert.equal(evalA.runs, true);
  assert.deepEqual(evalA.norms.map((n) => [n.verdict, n.usesInputStats, n.valuesPerStatistic]), [['ok', false, null]]);
  assert.equal(analyze(m, [2, 3, 8, 8], { mode: 'train' }).norms[0]!.verdict, 'ok');
});

test('InstanceNorm in eval: raises without running statistics, fine with them', () => {
  const spec = (track: boolean) => Seq(L('InstanceNorm2d', { num_features: 2, track_running_stats: track }));
  assert.equal(analyze(fromSpec(spec(false)), [1, 2, 1, 1], { mode: 'eval' }).failure!.error.message, 'Expected more than 1 spatial element when training, got input size [1, 2, 1, 1]');
  const ok = analyze(fromSpec(spec(true)), [1, 2, 1, 1], { mode: 'eval' });
  assert.equal(ok.runs, true);
  assert.equal(ok.norms[0]!.verdict, 'ok');
  assert.equal(ok.norms[0]!.reason, 'running statistics (eval mode, trackRunningStats)');
});

test('degenerate: nearest or bilinear upsampling of a 1x1 map, through pointwise layers', () => {
  for (const mode of ['nearest', 'bilinear']) {
    const m = fromSpec(Seq(conv(3, 4, 3, 2, 1), L('AdaptiveAvgPool2d', { output_size: 1 }), conv(4, 4, 1), L('ReLU'), L('Upsample', { scale_factor: 4, mode }), L('InstanceNorm2d', { num_features: 4 })));
    const a = analyze(m, [2, 3, 16, 16]);
    assert.equal(a.runs, true);
    assert.equal(a.degenerate, true);
    const n = a.norms[0]!;
    assert.equal(n.verdict, 'degenerate');
    assert.equal(n.constantSince, '1');
    assert.equal(n.valuesPerStatistic, 16);
    assert.match(n.reason, /every \(instance, channel\) plane is constant: each statistic sees 16 copies of one value \(constant since 1\)/);
  }
});

test('no false alarm where a layer creates structure: padded conv, transposed conv, zero padding, padded avg pool', () => {
  const up = [conv(3, 4, 3, 2, 1), L('AdaptiveAvgPool2d', { output_size: 1 }), L('Upsample', { scale_factor: 4 })];
  const after = [
    conv(4, 4, 3, 1, 1),
    L('ConvTranspose2d', { in_channels: 4, out_channels: 4, kernel_size: 3, stride: 2 }),
    L('ZeroPad2d', { padding: 1 }),
    L('AvgPool2d', { kernel_size: 3, stride: 1, padding: 1 }),
  ];
  for (const layer of after) {
    const a = analyze(fromSpec(Seq(...up, layer, L('InstanceNorm2d', { num_features: 4 }))), [2, 3, 16, 16]);
    assert.equal(a.norms[0]!.verdict, 'ok', JSON.stringify(layer));
  }
  // ...while reflection padding, an unpadded conv and max pooling keep the planes constant.
  for (const layer of [L('ReflectionPad2d', { padding: 1 }), conv(4, 4, 3), L('MaxPool2d', { kernel_size: 3, stride: 1, padding: 1 })]) {
    const a = analyze(fromSpec(Seq(...up, layer, L('InstanceNorm2d', { num_features: 4 }))), [2, 3, 16, 16]);
    assert.equal(a.norms[0]!.verdict, 'degenerate', JSON.stringify(layer));
  }
});

test('degenerate GroupNorm: one value per group; several channels per group are fine', () => {
  const gn = (g: number) => fromSpec(Seq(conv(3, 4, 3, 2, 1), L('AdaptiveAvgPool2d', { output_size: 1 }), L('GroupNorm', { num_groups: g, num_channels: 4 })));
  const one = analyze(gn(4), [2, 3, 8, 8]);
  assert.equal(one.norms[0]!.verdict, 'degenerate');
  assert.match(one.norms[0]!.reason, /one channel per group and 1 position/);
  assert.equal(analyze(gn(2), [2, 3, 8, 8]).norms[0]!.verdict, 'ok');
  // A batch of one with one value per group is what PyTorch itself rejects.
  assert.equal(analyze(gn(4), [1, 3, 8, 8]).failure!.error.message, 'Expected more than 1 value per channel when training, got input size [1, 4, 1, 1]');
});

test('BatchNorm over a constant map: degenerate only with a batch of one', () => {
  const m = fromSpec(Seq(L('AdaptiveAvgPool2d', { output_size: 1 }), L('Upsample', { scale_factor: 2 }), L('BatchNorm2d', { num_features: 3 })));
  assert.equal(analyze(m, [1, 3, 8, 8]).norms[0]!.verdict, 'degenerate');
  assert.equal(analyze(m, [2, 3, 8, 8]).norms[0]!.verdict, 'ok');
  assert.equal(analyze(m, [1, 3, 8, 8], { mode: 'eval' }).norms[0]!.verdict, 'ok');
});

test('LayerNorm with an affine over positions ends constancy; without affine it stays', () => {
  const base = [L('AdaptiveAvgPool2d', { output_size: 1 }), L('Upsample', { scale_factor: 2 })];
  const ln = (affine: boolean) => L('LayerNorm', { normalized_shape: [3, 2, 2], elementwise_affine: affine });
  const withAffine = analyze(fromSpec(Seq(...base, ln(true), L('InstanceNorm2d', { num_features: 3 }))), [2, 3, 8, 8]);
  assert.deepEqual(withAffine.norms.map((n) => n.verdict), ['ok', 'ok']);
  const without = analyze(fromSpec(Seq(...base, ln(false), L('InstanceNorm2d', { num_features: 3 }))), [2, 3, 8, 8]);
  assert.deepEqual(without.norms.map((n) => n.verdict), ['ok', 'degenerate']);
});

test('FlexibleInstanceNorm falling back is reported as such, not as a failure', () => {
  const a = analyze(fromSpec(Seq(conv(3, 4, 3, 2, 1), L('FlexibleInstanceNorm', { num_features: 4 }))), [2, 3, 2, 2]);
  assert.equal(a.runs, true);
  assert.equal(a.norms[0]!.verdict, 'fallback');
  assert.match(a.norms[0]!.reason, /passes its input through unnormalized \(1 spatial element, condition 'wouldRaise'\)/);
});

test('inconsistent channels name the raising node and the layer that fed it', () => {
  const m = fromSpec(Seq(conv(3, 8, 3), { module: 'Residual', body: Seq(conv(4, 8, 3, 1, 1)) }));
  const f = analyze(m, [2, 3, 16, 16]).failure!;
  assert.equal(f.path, '1.body.0');
  assert.equal(f.kind, 'channels');
  assert.equal(f.error.type, 'RuntimeError');
  assert.equal(f.explanation, 'Conv2d at 1.body.0 receives [2, 8, 14, 14] from Conv2d at 0, but it was built with in_channels=4.');
});

test('an impossible input shape is a ValueError before anything runs', () => {
  assert.throws(() => analyze(encoder(), [2, 3, 0, 4]), { name: 'ValueError', message: /positive integers/ });
  assert.throws(() => analyze(encoder(), [2, 3, 8, 8], { mode: 'test' as 'train' }), { name: 'ValueError' });
  assert.equal(analyze(encoder(), [2, 3]).failure!.kind, 'rank');
  assert.equal(analyze(encoder(), [2, 3, 8]).failure!.kind, 'channels'); // unbatched [C=2, H, W] into in_channels=3
});

test('Linear then reshape: constant only when the reshape makes a 1x1 map (then upsampled)', () => {
  class Unflatten extends Module {
    constructor(private readonly to: number[]) {
      super();
    }
    forward(x: Tensor): Tensor {
      return reshape(x, [x.shape[0]!, ...this.to]);
    }
  }
  const head = (to: number[]) => new Sequential(new Linear(6, 8), new Unflatten(to), new Upsample({ scaleFactor: 2 }), new InstanceNorm2d(to[0]!));
  const one = analyze(head([8, 1, 1]), [2, 6]);
  assert.equal(one.norms[0]!.verdict, 'degenerate');
  assert.equal(one.norms[0]!.constantSince, '1');
  assert.equal(analyze(head([2, 2, 2]), [2, 6]).norms[0]!.verdict, 'ok');
});
