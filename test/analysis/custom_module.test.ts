/**
 * A module with a forward of its own (not a torch.nn class normkit knows) is
 * one opaque node of the graph; forward hooks still record its submodule
 * calls, so norms inside it get verdicts, failures inside it their cause
 * chain, and a LayerNorm over channels is not called degenerate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { lowerModule } from '../../src/graph/lower.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2d } from '../../src/nn/conv.js';
import { InstanceNorm2d } from '../../src/nn/instancenorm.js';
import { LayerNorm } from '../../src/nn/layernorm.js';
import { Module } from '../../src/nn/module.js';
import { AdaptiveAvgPool2d } from '../../src/nn/pooling.js';
import { ReLU } from '../../src/nn/activation.js';
import { Upsample } from '../../src/nn/upsample.js';
import { add } from '../../src/ops/elementwise.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import '../../src/tensor/methods.js';

class Block extends Module {
  constructor(c: number) {
    super();
    this.registerModule('conv', new Conv2d(c, c, 3, { stride: 2, padding: 1 }));
    this.registerModule('norm', new InstanceNorm2d(c));
  }
  forward(x: Tensor): Tensor {
    const h = this.callChild('norm', this.callChild('conv', x));
    return add(h, h);
  }
}

class Bottleneck extends Module {
  constructor(c: number) {
    super();
    this.registerModule('pool', new AdaptiveAvgPool2d(1));
    this.registerModule('up', new Upsample({ scaleFactor: 2 }));
    this.registerModule('ln', new LayerNorm([c, 2, 2]));
    this.registerModule('inorm', new InstanceNorm2d(c));
  }
  forward(x: Tensor): Tensor {
    const u = this.callChild('up', this.callChild('pool', x));
    return this.callChild('inorm', this.callChild('ln', u));
  }
}

test('a custom module is one opaque node; its submodules still appear, by path', () => {
  const m = new Sequential(new Conv2d(3, 4, 1), new Block(4), new ReLU());
  assert.deepEqual(lowerModule(m).nodes.map((n) => [n.op, n.scope]), [['Conv2d', '0'], ['module', '1'], ['ReLU', '2']]);
  const a = analyze(m, [2, 3, 8, 8]);
  assert.equal(a.runs, true);
  assert.deepEqual(a.modules.map((r) => `${r.path}:${r.type}:${r.kind}`), [':Sequential:container', '0:Conv2d:module', '1:Block:container', '1.conv:Conv2d:module', '1.norm:InstanceNorm2d:module', '2:ReLU:module']);
  assert.deepEqual(a.norms.map((n) => [n.path, n.verdict, n.valuesPerStatistic]), [['1.norm', 'ok', 16]]);
});

test('a failure inside a custom module: the raising submodule, PyTorch\'s error, the chain inside it', () => {
  const m = new Sequential(new Conv2d(3, 4, 3, { stride: 2, padding: 1 }), new Block(4));
  const a = analyze(m, [2, 3, 4, 4]);
  assert.equal(a.failure?.path, '1.norm');
  assert.equal(a.failure?.type, 'InstanceNorm2d');
  assert.equal(a.failure?.error.message, 'Expected more than 1 spatial element when training, got input size [2, 4, 1, 1]');
  assert.deepEqual(a.failure?.chain.map((s) => [s.path, s.because.join()]), [['0', 'stride 2'], ['1.conv', 'stride 2']]);
  assert.deepEqual(a.norms.map((n) => [n.path, n.verdict]), [['1.norm', 'raises']]);
});

test('inside a custom module, a LayerNorm over channels is not degenerate on constant planes; an InstanceNorm is', () => {
  const a = analyze(new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new Bottleneck(4)), [2, 3, 8, 8]);
  const v = Object.fromEntries(a.norms.map((n) => [n.path, n.verdict]));
  assert.equal(v['1.ln'], 'ok');
  // LayerNorm's per-position affine makes the planes differ again, so the InstanceNorm after it is fine too.
  assert.equal(v['1.inorm'], 'ok');
  const noAffine = new Bottleneck(4);
  noAffine.registerModule('ln', new LayerNorm([4, 2, 2], { elementwiseAffine: false }));
  const b = analyze(new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), noAffine), [2, 3, 8, 8]);
  const w = Object.fromEntries(b.norms.map((n) => [n.path, n.verdict]));
  assert.equal(w['1.ln'], 'ok');
  assert.equal(w['1.inorm'], 'degenerate');
  assert.equal(b.degenerate, true);
});
