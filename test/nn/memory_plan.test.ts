/**
 * The memory planner (tensor/plan.ts): under noGrad, Sequential, Residual,
 * Concat and runGraph dispose each intermediate after its last consumer.
 * Values must be bit-identical with and without planning, on random
 * Sequentials and random graphs (views, outputs aliased to intermediates,
 * modules returning their input, custom modules and hooks holding tensors);
 * a retained output must stay valid after further forwards; a model's forward
 * must stop allocating after its first call; training must be unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { nn, fromSpec, lowerModule, runGraph, interpret, GraphModule, randn, manualSeed, noGrad, Tensor } from '../../src/index.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Graph } from '../../src/graph/graph.js';
import { setMemoryPlanning } from '../../src/tensor/plan.js';
import { emptyStorageCache, storageInfo } from '../../src/tensor/storage.js';
import { add, mul } from '../../src/ops/elementwise.js';
import { mseLoss } from '../../src/ops/loss.js';

const C = 4;
// 16,384 elements: large enough to be recycled.
const SHAPE = [1, C, 64, 64];

function withoutPlanning<T>(fn: () => T): T {
  setMemoryPlanning(false);
  try {
    return fn();
  } finally {
    setMemoryPlanning(true);
  }
}

const same = (a: Float32Array, b: Float32Array, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: element ${i} is ${a[i]}, want ${b[i]}`);
};

/** Holds its input and output (and their values then): a custom forward the planner cannot see into. */
class Stash extends nn.Module {
  held: { t: Tensor; copy: Float32Array }[] = [];
  forward(x: Tensor): Tensor {
    const y = mul(x, 0.5);
    this.held = [x, y].map((t) => ({ t, copy: Float32Array.from(t.data) }));
    return y;
  }
}

type Block =
  | { k: 'conv1' | 'conv3' | 'pad3' | 'in' | 'bn' | 'relu' | 'tanh' | 'identity' | 'dropout' | 'stash' | 'hooked' }
  | { k: 'seq' | 'res'; body: Block[] }
  | { k: 'cat'; a: Block[]; b: Block[] };

const leafArb: fc.Arbitrary<Block> = fc.constantFrom(
  ...(['conv1', 'conv3', 'pad3', 'in', 'bn', 'relu', 'tanh', 'identity', 'dropout', 'stash', 'hooked'] as const).map((k) => ({ k })),
);

const blockArb: fc.Arbitrary<Block> = fc.letrec<{ block: Block }>((tie) => ({
  block: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.record({ k: fc.constantFrom('seq' as const, 'res' as const), body: fc.array(tie('block'), { minLength: 0, maxLength: 4 }) }),
    fc.record({ k: fc.constant('cat' as const), a: fc.array(tie('block'), { maxLength: 3 }), b: fc.array(tie('block'), { maxLength: 3 }) }),
  ),
})).block;

/** Modules with hooks or stashes to check after each forward. */
interface Watch {
  stashes: Stash[];
  hooked: { t: Tensor; copy: Float32Array }[];
}

function build(b: Block, w: Watch): nn.Module {
  switch (b.k) {
    case 'conv1':
      return new nn.Conv2d(C, C, 1);
    case 'conv3':
      return new nn.Conv2d(C, C, 3, { padding: 1 });
    case 'pad3':
      return new nn.Sequential(new nn.ReflectionPad2d(1), new nn.Conv2d(C, C, 3));
    case 'in':
      return new nn.InstanceNorm2d(C, { affine: true });
    case 'bn':
      return new nn.BatchNorm2d(C);
    case 'relu':
      return new nn.ReLU();
    case 'tanh':
      return new nn.Tanh();
    case 'identity':
      return new nn.Identity();
    case 'dropout':
      return new nn.Dropout(0.3);
    case 'stash': {
      const s = new Stash();
      w.stashes.push(s);
      return s;
    }
    case 'hooked': {
      const m = new nn.InstanceNorm2d(C);
      m.registerForwardHook((_m, inputs, out) => {
        for (const t of [...inputs, out]) w.hooked.push({ t, copy: Float32Array.from(t.data) });
      });
      return m;
    }
    case 'seq':
      return new nn.Sequential(b.body.map((c) => build(c, w)));
    case 'res':
      return new nn.Residual(new nn.Sequential(b.body.map((c) => build(c, w))));
    case 'cat':
      return new nn.Sequential(
        new nn.Concat([new nn.Sequential(b.a.map((c) => build(c, w))), new nn.Sequential(b.b.map((c) => build(c, w)))], 1),
        new nn.Conv2d(2 * C, C, 1),
      );
  }
}

/** What the hooks and custom modules were shown is still there, unchanged. */
function checkHeld(w: Watch): void {
  const held = [...w.stashes.flatMap((s) => s.held), ...w.hooked];
  for (const h of held) {
    assert.equal(h.t.isDisposed, false, 'a tensor a hook or custom module holds was disposed');
    same(h.t.data, h.copy, 'a held tensor');
  }
  w.hooked.length = 0;
}

/** Runs `forward` (planned) twice and checks both against the unplanned reference, and the first output after the second call. */
function checkPlanned(forward: () => Tensor[], w: Watch, x: Tensor): void {
  const xCopy = Float32Array.from(x.data);
  const want = withoutPlanning(() => noGrad(forward)).map((t) => Float32Array.from(t.data));
  w.hooked.length = 0;
  const first = noGrad(forward);
  checkHeld(w);
  const firstCopies = first.map((t) => Float32Array.from(t.data));
  first.forEach((t, k) => same(t.data, want[k]!, `output ${k}, planned`));
  const second = noGrad(forward);
  checkHeld(w);
  second.forEach((t, k) => same(t.data, want[k]!, `output ${k}, planned, second call`));
  // The first call's outputs were not recycled under the second.
  first.forEach((t, k) => same(t.data, firstCopies[k]!, `output ${k} of the first call, after the second`));
  same(x.data, xCopy, 'the input');
}

test('random Sequentials: the same values with and without planning, held tensors intact (property)', () => {
  fc.assert(
    fc.property(fc.array(blockArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 1 << 20 }), fc.boolean(), (blocks, seed, recycledInput) => {
      emptyStorageCache();
      manualSeed(seed);
      const w: Watch = { stashes: [], hooked: [] };
      const model = new nn.Sequential(blocks.map((b) => build(b, w))).eval();
      // The input may itself be recyclable storage (an earlier noGrad output): the planner must leave it alone.
      const x = recycledInput ? noGrad(() => add(randn(SHAPE), 0)) : randn(SHAPE);
      checkPlanned(() => [model.call(x)], w, x);
      // The same model as a graph (custom modules become opaque nodes).
      const g = lowerModule(model);
      checkPlanned(() => runGraph(g, [x], { training: false }), w, x);
    }),
    { numRuns: 60 },
  );
});

type GNode = { op: 'relu' | 'add' | 'mul' | 'view' | 'in' | 'identity' | 'conv'; a: number; b: number };

const gnodeArb: fc.Arbitrary<GNode> = fc.record({
  op: fc.constantFrom('relu', 'add', 'mul', 'view', 'in', 'identity', 'conv'),
  a: fc.nat(),
  b: fc.nat(),
});

/** A random DAG over values of SHAPE: each node reads one or two earlier values (the input included). */
function randomGraph(nodes: GNode[], outs: number[]): Graph {
  const b = new GraphBuilder();
  const vals = [b.input('x')];
  nodes.forEach((n, i) => {
    const a = vals[n.a % vals.length]!;
    const c = vals[n.b % vals.length]!;
    const scope = `n${i}`;
    let o: string[];
    switch (n.op) {
      case 'relu':
        o = b.node('relu', [a], { scope });
        break;
      case 'add':
      case 'mul':
        o = b.node(n.op, [a, c], { scope });
        break;
      case 'view': {
        // Two reshapes: a view of a view of `a`.
        const flat = b.node('reshape', [a], { scope, attrs: { shape: [-1] } });
        o = b.node('reshape', flat, { scope, attrs: { shape: SHAPE } });
        break;
      }
      case 'in':
        o = b.node('InstanceNorm2d', [a], { scope, module: new nn.InstanceNorm2d(C, { affine: true }), attrs: {} });
        break;
      case 'identity':
        o = b.node('Identity', [a], { scope, module: new nn.Identity(), attrs: {} });
        break;
      case 'conv':
        o = b.node('Conv2d', [a], { scope, module: new nn.Conv2d(C, C, 3, { padding: 1 }), attrs: {} });
        break;
    }
    vals.push(o[0]!);
  });
  // The last value, and some earlier ones (the input included): outputs aliased to intermediates.
  b.outputs([vals[vals.length - 1]!, ...outs.map((k) => vals[k % vals.length]!)]);
  return b.graph;
}

test('random graphs: the same values with and without planning (property)', () => {
  fc.assert(
    fc.property(fc.array(gnodeArb, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 2 }), fc.integer({ min: 0, max: 1 << 20 }), (nodes, outs, seed) => {
      emptyStorageCache();
      manualSeed(seed);
      const g = randomGraph(nodes, outs);
      const x = randn(SHAPE);
      checkPlanned(() => runGraph(g, [x], { training: false }), { stashes: [], hooked: [] }, x);
      // interpret leaves everything alive unless asked.
      const r = noGrad(() => interpret(g, [x], { training: false }));
      for (const t of r.values.values()) assert.equal(t.isDisposed, false);
    }),
    { numRuns: 80 },
  );
});

test('resnet-generator at 64x64 under noGrad: no fresh allocation after the first call, outputs kept valid', () => {
  const spec = JSON.parse(readFileSync(new URL('../../../examples/resnet-generator.json', import.meta.url), 'utf8')) as { model: unknown };
  manualSeed(0);
  const model = fromSpec(spec.model).eval();
  const graph = new GraphModule(lowerModule(model)).eval();
  const x = randn([1, 3, 64, 64]);
  const want = withoutPlanning(() => noGrad(() => model.call(x))).data.slice();
  for (const m of [model, graph]) {
    emptyStorageCache();
    const fresh: number[] = [];
    const outs: Tensor[] = [];
    for (let i = 0; i < 4; i++) {
      const before = storageInfo().allocated;
      outs.push(noGrad(() => m.call(x)));
      fresh.push(storageInfo().allocated - before);
    }
    // The first call fills the cache (one array per size live at once); later calls take from it.
    assert.ok(fresh[0]! > 0, `first call allocated ${fresh[0]}`);
    assert.deepEqual(fresh.slice(1), [0, 0, 0], `fresh allocations per call: ${fresh.join(', ')}`);
    for (const o of outs) same(o.data, want, 'a retained output');
  }
});

test('a larger output kept by the caller stays valid while later forwards recycle around it', () => {
  // The output is recyclable storage: only the caller's dispose() can give it back.
  manualSeed(3);
  const model = new nn.Sequential(new nn.Conv2d(C, C, 3, { padding: 1 }), new nn.InstanceNorm2d(C), new nn.ReLU(), new nn.Conv2d(C, C, 1)).eval();
  const x = randn(SHAPE);
  emptyStorageCache();
  const kept = noGrad(() => model.call(x));
  const copy = Float32Array.from(kept.data);
  for (let i = 0; i < 3; i++) noGrad(() => model.call(x)).dispose();
  same(kept.data, copy, 'the kept output');
  assert.equal(kept.isDisposed, false);
});

test('training is unchanged: gradients identical with planning on and off, and after planned inference', () => {
  const step = () => {
    manualSeed(7);
    const model = new nn.Sequential(
      new nn.Conv2d(C, C, 3, { padding: 1 }),
      new nn.InstanceNorm2d(C, { affine: true }),
      new nn.ReLU(),
      new nn.Residual(new nn.Sequential(new nn.Conv2d(C, C, 1), new nn.BatchNorm2d(C), new nn.Tanh())),
      new nn.Concat([new nn.Identity(), new nn.ReLU()], 1),
      new nn.Conv2d(2 * C, C, 1),
    );
    const x = randn(SHAPE);
    const target = randn(SHAPE);
    // Planned inference first, so that training runs on recycled memory.
    noGrad(() => model.eval().call(x)).dispose();
    model.train();
    mseLoss(model.call(x), target).backward();
    const grads = model.parameters().map((p) => Float32Array.from(p.grad!.data));
    // And the graph form of the same model.
    const g = new GraphModule(lowerModule(model));
    model.zeroGrad();
    mseLoss(g.call(x), target).backward();
    return [...grads, ...model.parameters().map((p) => Float32Array.from(p.grad!.data))];
  };
  const want = withoutPlanning(step);
  const got = step();
  got.forEach((a, k) => same(a, want[k]!, `gradient ${k}`));
});

test('a training step frees spent gradients for the next arrays of their size', () => {
  const steps = (planned: boolean) => {
    manualSeed(8);
    const model = new nn.Sequential(
      new nn.Conv2d(C, C, 3, { padding: 1 }),
      new nn.InstanceNorm2d(C, { affine: true }),
      new nn.ReLU(),
      new nn.Residual(new nn.Sequential(new nn.Conv2d(C, C, 3, { padding: 1 }), new nn.InstanceNorm2d(C), new nn.ReLU())),
      new nn.Conv2d(C, C, 1),
    );
    const x = randn(SHAPE);
    const target = randn(SHAPE);
    emptyStorageCache();
    const backward: number[] = [];
    const step: number[] = [];
    const grads: Float32Array[] = [];
    for (let i = 0; i < 3; i++) {
      model.zeroGrad();
      const s0 = storageInfo().allocated;
      const loss = mseLoss(model.call(x), target);
      const b0 = storageInfo().allocated;
      if (planned) loss.backward();
      else withoutPlanning(() => loss.backward());
      backward.push(storageInfo().allocated - b0);
      step.push(storageInfo().allocated - s0);
      grads.push(...model.parameters().map((p) => Float32Array.from(p.grad!.data)));
    }
    return { backward, step, grads };
  };
  const off = steps(false);
  const on = steps(true);
  on.grads.forEach((g, k) => same(g, off.grads[k]!, `gradient ${k}`));
  // A pass reuses its own spent gradients; the next step's forward takes what is left over
  // (its activations are recorded, so they are never freed: see tensor/plan.ts).
  const msg = `fresh arrays per backward ${on.backward.join(', ')} (not planned ${off.backward.join(', ')}), per step ${on.step.join(', ')} (${off.step.join(', ')})`;
  for (let i = 0; i < 3; i++) assert.ok(on.backward[i]! < off.backward[i]! && on.step[i]! < off.step[i]!, msg);
});

test('stopAfter: the run is not planned (the callback sees every value)', () => {
  manualSeed(5);
  const model = new nn.Sequential(new nn.Conv2d(C, C, 1), new nn.ReLU(), new nn.Conv2d(C, C, 1), new nn.Tanh()).eval();
  const g = lowerModule(model);
  const x = randn(SHAPE);
  const seen: Tensor[] = [];
  const r = noGrad(() => interpret(g, [x], { training: false, freeIntermediates: true, stopAfter: (run) => (seen.push(...run.outputs!), false) }));
  assert.equal(r.outputs!.length, 1);
  assert.equal(seen.length, 4);
  for (const t of seen) assert.equal(t.isDisposed, false);
  const stopped = noGrad(() => interpret(g, [x], { training: false, freeIntermediates: true, stopAfter: (run) => run.node === g.nodes[2] }));
  assert.equal(stopped.stopped, true);
  for (const t of stopped.values.values()) assert.equal(t.isDisposed, false);
  // Without stopAfter the same request frees what is not an output.
  const planned = noGrad(() => interpret(g, [x], { training: false, freeIntermediates: true }));
  const inner = [...planned.values.entries()].filter(([name]) => name !== 'input' && !g.outputs.includes(name));
  assert.ok(inner.length > 0 && inner.every(([, t]) => t.isDisposed));
  assert.equal(planned.outputs![0]!.isDisposed, false);
});

test('with gradients on, nothing is planned', () => {
  manualSeed(6);
  const model = new nn.Sequential(new nn.Conv2d(C, C, 1), new nn.ReLU(), new nn.Conv2d(C, C, 1));
  const x = randn(SHAPE);
  const seen: Tensor[] = [];
  model.at(1).registerForwardPreHook((_m, inputs) => void seen.push(...inputs));
  const y = model.call(x);
  assert.equal(seen[0]!.isDisposed, false);
  assert.ok(y.requiresGrad);
  // An unhooked model under grad mode: the intermediate is the next layer's saved input.
  const plain = new nn.Sequential(new nn.Conv2d(C, C, 1), new nn.ReLU());
  const out = plain.call(x);
  assert.equal(out.gradNode!.inputs[0]!.isDisposed, false);
});
