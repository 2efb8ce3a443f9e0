/**
 * The general JSON form: named inputs, module and functional nodes, several
 * outputs, a module called twice; bad graphs are SpecErrors naming the node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { SpecError } from '../../src/errors.js';
import { GraphModule } from '../../src/graph/graph_module.js';
import { fromSpec, toSpec } from '../../src/spec/spec.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { optim } from '../../src/index.js';
import '../../src/ops/methods.js';

const conv = (i: number, o: number, k: number, s = 1, p = 0) => ({ in_channels: i, out_channels: o, kernel_size: k, stride: s, padding: p });

/** A projection-shortcut block with a label input and two outputs. */
const spec = {
  inputs: { x: [2, 3, 8, 8], c: [2, 4] },
  nodes: [
    { name: 'main', module: 'Sequential', layers: [{ module: 'Conv2d', args: conv(3, 4, 3, 2, 1) }, { module: 'InstanceNorm2d', args: { num_features: 4 } }], inputs: ['x'] },
    { name: 'shortcut', module: 'Conv2d', args: conv(3, 4, 1, 2), inputs: ['x'] },
    { name: 'sum', op: 'add', inputs: ['main', 'shortcut'] },
    { name: 'act', module: 'ReLU', inputs: ['sum'] },
    { name: 'act2', call: 'act', inputs: ['act'] },
    { name: 'pooled', op: 'mean', args: { dim: [2, 3] }, inputs: ['act2'] },
    { name: 'cond', module: 'Linear', args: { in_features: 4, out_features: 4 }, inputs: ['c'] },
    { name: 'mix', op: 'add', inputs: ['pooled', 'cond'] },
    { name: 'split', op: 'chunk', args: { chunks: 2, dim: 1 }, inputs: ['mix'], outputs: ['mu', 'logvar'] },
  ],
  outputs: ['mu', 'logvar'],
};

test('a general-form model runs, trains and names its parameters as PyTorch does', () => {
  manualSeed(1);
  const m = fromSpec(spec) as GraphModule;
  assert.ok(m instanceof GraphModule);
  assert.deepEqual([...m.stateDict().keys()], ['main.0.weight', 'main.0.bias', 'shortcut.weight', 'shortcut.bias', 'cond.weight', 'cond.bias']);
  const x = randn([2, 3, 8, 8]);
  const c = randn([2, 4]);
  const [mu, logvar] = m.callAll(x, c);
  assert.deepEqual([mu!.shape, logvar!.shape], [[2, 2], [2, 2]]);
  const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
  const loss = () => m.callAll(x, c).map((t) => t.square().mean()).reduce((a, b) => a.add(b));
  const before = loss().item();
  for (let i = 0; i < 5; i++) {
    opt.zeroGrad();
    const l = loss();
    l.backward();
    opt.step();
  }
  assert.ok(loss().item() < before, 'training lowers the loss');
});

test('toSpec writes a general-form model back; the rebuilt model computes the same outputs', () => {
  manualSeed(2);
  const m = fromSpec(spec) as GraphModule;
  const again = fromSpec(toSpec(m)) as GraphModule;
  again.loadStateDict(m.stateDict());
  const x = randn([2, 3, 8, 8]);
  const c = randn([2, 4]);
  assert.deepEqual(again.callAll(x, c).map((t) => [...t.data]), m.callAll(x, c).map((t) => [...t.data]));
});

test('analysis of a general-form model: named input shapes, every output shape, the failing node by path', () => {
  const m = fromSpec(spec);
  const ok = analyze(m, { x: [2, 3, 8, 8], c: [2, 4] });
  assert.equal(ok.runs, true);
  assert.deepEqual(ok.outputShapes, [[2, 2], [2, 2]]);
  assert.deepEqual(ok.modules.filter((r) => r.kind === 'function').map((r) => r.node), ['sum', 'pooled', 'mix', 'split']);
  assert.deepEqual(ok.modules.filter((r) => r.node === 'act2').map((r) => [r.path, r.type]), [['act', 'ReLU']]); // the module called again
  const bad = analyze(m, { x: [2, 3, 2, 2], c: [2, 4] });
  assert.equal(bad.failure?.path, 'main.1');
  assert.equal(bad.failure?.error.message, 'Expected more than 1 spatial element when training, got input size [2, 4, 1, 1]');
  assert.deepEqual(bad.failure?.chain.map((s) => s.path), ['main.0']);
  const mismatch = analyze(m, { x: [2, 3, 8, 8], c: [2, 3] });
  assert.equal(mismatch.failure?.path, 'cond');
  assert.equal(mismatch.failure?.kind, 'channels');
  assert.throws(() => analyze(m, [2, 3, 8, 8]), /takes 2 inputs \(x, c\)/);
  assert.throws(() => analyze(m, { x: [2, 3, 8, 8] }), /no shape given for input 'c'/);
});

test('a branch sum whose channels differ is explained as a channel mismatch, not a map-size one', () => {
  const m = fromSpec({
    inputs: { x: [1, 3, 8, 8] },
    nodes: [
      { name: 'a', module: 'Conv2d', args: conv(3, 4, 3, 1, 1), inputs: ['x'] },
      { name: 'sum', op: 'add', inputs: ['a', 'x'] },
    ],
  });
  const f = analyze(m, { x: [1, 3, 8, 8] }).failure!;
  assert.equal(f.kind, 'mismatch');
  assert.equal(f.node, 'sum');
  assert.match(f.explanation, /^add 'sum' \(in the forward of GraphModule\) at the root combines tensors whose sizes differ \(\[1, 4, 8, 8\] and \[1, 3, 8, 8\]\): their channel or batch sizes differ, not the map size/);
});

const bad = (nodes: unknown[], more: Record<string, unknown> = {}) => () => fromSpec({ inputs: { x: [1, 3, 4, 4] }, nodes, ...more });
const relu = (name: string, inputs: string[]) => ({ name, module: 'ReLU', inputs });

test('bad graphs are SpecErrors that name the node', () => {
  const cases: [() => unknown, RegExp][] = [
    [bad([{ name: 'n', op: 'frobnicate', inputs: ['x'] }]), /at n: unknown op "frobnicate" \(functions: add, .*cat/],
    [bad([relu('a', ['y'])]), /at a: input 'y' is not defined/],
    [bad([relu('a', ['b']), relu('b', ['a'])]), /at a: the nodes a, b form a cycle/],
    [bad([{ name: 's', op: 'add', inputs: ['x', 'x', 'x'] }]), /at s: add takes 1 to 2 inputs, got 3/],
    [bad([{ name: 's', op: 'add', inputs: ['x'] }]), /at s: add: with one input, argument 'other'/],
    [bad([relu('a', ['x']), relu('a', ['x'])]), /node name 'a' is used twice/],
    [bad([relu('a', ['x']), { name: 'b', module: 'ReLU', inputs: ['x'], outputs: ['a'] }]), /value 'a' is defined twice/],
    [bad([{ name: 'c', module: 'Conv2d', args: { in_channels: 3 }, inputs: ['x'] }]), /at c: Conv2d: argument 'out_channels' is required/],
    [bad([{ name: 'c', op: 'cat', args: { dimm: 1 }, inputs: ['x'] }]), /at c: cat: unknown argument 'dimm'/],
    [bad([{ name: 'c', op: 'add', module: 'ReLU', inputs: ['x'] }]), /exactly one of 'op'/],
    [bad([{ name: 'c', call: 'nope', inputs: ['x'] }]), /'call' names no earlier module node/],
    [bad([{ name: 'c', module: 'ReLU', inputs: ['x', 'x'] }]), /at c: ReLU takes 1 input, got 2/],
    [bad([{ name: 'c', module: 'AdaIN', inputs: ['x'] }]), /at c: AdaIN takes 2 inputs, got 1/],
    [bad([relu('a', ['x'])], { outputs: ['zz'] }), /output 'zz' is not defined/],
    [bad([{ name: 'h', op: 'chunk', args: { chunks: 2 }, inputs: ['x'], outputs: ['a'] }]), /chunk gives 2 outputs, the node names 1/],
    [() => fromSpec({ inputs: {}, nodes: [relu('a', ['x'])] }), /at least one input/],
    [() => fromSpec({ inputs: { x: [1, -3] }, nodes: [relu('a', ['x'])] }), /a shape is a list of positive integers/],
  ];
  for (const [f, re] of cases) assert.throws(f, (e: Error) => e instanceof SpecError && re.test(e.message), String(re));
});

test('a graph is ordered by its data flow, not by the order nodes are written in', () => {
  const m = fromSpec({ inputs: { x: [1, 3, 4, 4] }, nodes: [relu('b', ['a']), relu('a', ['x'])], outputs: ['b'] }) as GraphModule;
  assert.deepEqual(m.graph.nodes.map((n) => n.name), ['a', 'b']);
});

test('the pad function takes every mode (a value only in constant mode, as F.pad)', () => {
  for (const mode of ['constant', 'reflect', 'replicate']) {
    const m = fromSpec({ inputs: { x: [1, 2, 4, 4] }, nodes: [{ name: 'p', op: 'pad', args: { pad: [1, 1, 1, 1], mode }, inputs: ['x'] }] });
    assert.deepEqual(m.call(randn([1, 2, 4, 4])).shape, [1, 2, 6, 6], mode);
  }
});
