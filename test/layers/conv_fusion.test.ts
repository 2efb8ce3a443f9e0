/**
 * Inference fusion (nn/fusion.ts, ops/conv_fused.ts) and Winograd's shared
 * weight transform (kernels/winograd_weights.ts): a reflection padding
 * applied by the convolution kernels as they copy the image, and an
 * activation in their output pass (ReLU in their loops, the others by their
 * SIMD kernel in the kernels' memory), must give pad -> conv -> the
 * activation's values bit for bit on every forward path, on one and two
 * threads; Sequential fuses only under
 * noGrad and only modules without hooks of exactly normkit's classes; the
 * cached weight transform follows in-place changes of the weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/ops/methods.js';
import { nn, noGrad, randn, manualSeed, Tensor } from '../../src/index.js';
import { conv2d } from '../../src/ops/conv.js';
import { conv2dFused, type FusedAct } from '../../src/ops/conv_fused.js';
import { fusedActOf } from '../../src/nn/fusion.js';
import { pad } from '../../src/ops/pad.js';
import { relu } from '../../src/ops/activation.js';
import { setConvPath, type ConvPathName } from '../../src/kernels/conv_fwd.js';
import { setConvThreadMinFlops } from '../../src/kernels/conv_threads.js';
import { setNumThreads, warmNormThreads } from '../../src/kernels/backend.js';
import { winogradWeights } from '../../src/kernels/winograd_weights.js';
import { ThreadChoice } from '../../src/kernels/thread_choice.js';
import { tensorCount } from '../../src/tensor/tensor.js';
import { setMemoryPlanning } from '../../src/tensor/plan.js';

const PATHS: Exclude<ConvPathName, 'auto'>[] = ['js', 'wasm', 'winograd', 'direct'];

function withPath<T>(p: ConvPathName, f: () => T): T {
  setConvPath(p);
  try {
    return f();
  } finally {
    setConvPath('auto');
  }
}

const LAYERS: { x: number[]; cout: number; k: number; reflect: number[]; opts: { stride?: number; dilation?: number; groups?: number } }[] = [
  // The generator's residual layer in small: Winograd under auto.
  { x: [1, 16, 12, 12], cout: 16, k: 3, reflect: [1, 1, 1, 1], opts: {} },
  // Asymmetric pads, rows not a multiple of 4, two images.
  { x: [2, 16, 9, 11], cout: 8, k: 3, reflect: [2, 0, 1, 3], opts: {} },
  { x: [1, 3, 14, 13], cout: 8, k: 7, reflect: [3, 3, 3, 3], opts: {} },
  { x: [2, 8, 10, 10], cout: 8, k: 3, reflect: [1, 1, 1, 1], opts: { stride: 2, groups: 2 } },
  { x: [1, 6, 9, 9], cout: 5, k: 3, reflect: [2, 2, 2, 2], opts: { dilation: 2 } },
];

function unfused(x: Tensor, w: Tensor, b: Tensor, l: (typeof LAYERS)[number], act: FusedAct | null): Float32Array {
  const y = conv2d(pad(x, l.reflect, 'reflect'), w, b, l.opts);
  return (act ? act.op(y) : y).data;
}

/** Every activation module the convolution fuses (nn/fusion.ts), by name. */
const ACTS: [string, nn.Module][] = [
  ['relu', new nn.ReLU()],
  ['relu6', new nn.ReLU6()],
  ['leaky', new nn.LeakyReLU(0.1)],
  ['elu', new nn.ELU(0.5)],
  ['selu', new nn.SELU()],
  ['sigmoid', new nn.Sigmoid()],
  ['silu', new nn.SiLU()],
  ['hardswish', new nn.Hardswish()],
  ['gelu', new nn.GELU()],
];
const actOf = (m: nn.Module): FusedAct => {
  const a = fusedActOf(m);
  assert.ok(a, `${m.constructor.name} fuses`);
  return a;
};
const RELU = actOf(new nn.ReLU());

test('a reflection padding fused into the convolution (and a fused ReLU) equals pad -> conv2d -> relu bit for bit on every path', () => {
  for (const l of LAYERS) {
    manualSeed(21);
    const x = randn(l.x);
    const w = randn([l.cout, l.x[1]! / (l.opts.groups ?? 1), l.k, l.k]).mul(0.2);
    const b = randn([l.cout]);
    for (const p of PATHS) {
      for (const [name, m] of [['none', null] as const, ...ACTS]) {
        const act = m && actOf(m);
        withPath(p, () =>
          noGrad(() => {
            const want = unfused(x, w, b, l, act);
            assert.deepEqual(conv2dFused(x, w, b, l.opts, l.reflect, act).data, want, `${p} ${name} ${JSON.stringify(l)}`);
          }),
        );
      }
    }
  }
});

test('the fused convolution on two threads (rows split between the workers) equals one thread', async () => {
  setNumThreads(2);
  setConvThreadMinFlops(0, false);
  try {
    assert.ok(await warmNormThreads(), 'the worker pool starts');
    for (const l of [LAYERS[0]!, LAYERS[1]!, LAYERS[2]!]) {
      manualSeed(22);
      const x = randn(l.x);
      const w = randn([l.cout, l.x[1]!, l.k, l.k]).mul(0.2);
      const b = randn([l.cout]);
      for (const p of ['winograd', 'direct', 'wasm'] as const) {
        for (const act of [RELU, actOf(new nn.SiLU())]) {
          withPath(p, () => {
            const two = noGrad(() => conv2dFused(x, w, b, l.opts, l.reflect, act)).data;
            setNumThreads(1);
            const one = noGrad(() => unfused(x, w, b, l, act));
            setNumThreads(2);
            assert.deepEqual(two, one, `${p} ${act.code === 'relu' ? 'relu' : 'silu'} ${JSON.stringify(l)}`);
          });
        }
      }
    }
  } finally {
    setConvThreadMinFlops(4e7, true);
    setNumThreads(1);
  }
});

test('fusion falls back to the separate ops where it cannot apply (padding as large as the image raises pad\'s error)', () => {
  manualSeed(23);
  const x = randn([1, 4, 3, 3]);
  const w = randn([4, 4, 3, 3]);
  assert.throws(() => noGrad(() => conv2dFused(x, w, null, {}, [3, 3, 3, 3], null)), /Padding size should be less than|pad/i);
  // A 3-D input (no batch) runs unfused, with the same values.
  const x3 = randn([4, 6, 6]);
  assert.deepEqual(noGrad(() => conv2dFused(x3, w, null, {}, [1, 1, 1, 1], RELU)).data, noGrad(() => relu(conv2d(pad(x3, [1, 1, 1, 1], 'reflect'), w, null))).data);
});

function block(): nn.Sequential {
  return new nn.Sequential(new nn.ReflectionPad2d(1), new nn.Conv2d(16, 16, 3), new nn.ReLU(), new nn.ReflectionPad2d([2, 0, 1, 1]), new nn.Conv2d(16, 8, 3, { stride: 2 }), new nn.InstanceNorm2d(8), new nn.ReLU());
}

/** The forward under noGrad, and how many tensors it made. */
function counted(m: nn.Module, x: Tensor): { y: Float32Array; made: number } {
  const c0 = tensorCount();
  const y = noGrad(() => m.call(x));
  return { y: Float32Array.from(y.data), made: tensorCount() - c0 };
}

/** counted() planned (fusing) and with the planner off (each module alone). */
function fusedAndPlain(m: nn.Module, x: Tensor): { fused: { y: Float32Array; made: number }; plain: { y: Float32Array; made: number } } {
  const fused = counted(m, x);
  setMemoryPlanning(false);
  try {
    return { fused, plain: counted(m, x) };
  } finally {
    setMemoryPlanning(true);
  }
}

test('Sequential fuses ReflectionPad2d -> Conv2d -> ReLU and InstanceNorm2d -> ReLU under noGrad: same values, fewer tensors', () => {
  manualSeed(24);
  const m = block();
  const x = randn([1, 16, 16, 16]);
  const { fused, plain } = fusedAndPlain(m, x);
  assert.deepEqual(fused.y, plain.y);
  // Unfused: 7 outputs; fused: pad+conv+relu, pad+conv, norm+relu.
  assert.equal(plain.made, 7);
  assert.equal(fused.made, 3);
  // With gradients on, the modules run one by one (same values).
  const graded = m.call(x);
  assert.deepEqual(graded.data, fused.y);
});

test('Sequential fuses a convolution with each activation (MobileNet and EfficientNet blocks: 1x1, depthwise, a 3x3 stem, an output under 64 values): same values, fewer tensors', () => {
  manualSeed(31);
  for (const [name, act] of ACTS) {
    for (const [shape, layers] of [
      [[2, 8, 11, 9], () => [new nn.Conv2d(8, 24, 1), act, new nn.Conv2d(24, 24, 3, { padding: 1, groups: 24 }), act, new nn.Conv2d(24, 8, 1)]],
      [[1, 3, 20, 20], () => [new nn.Conv2d(3, 16, 3, { stride: 2, padding: 1 }), act, new nn.Conv2d(16, 16, 3, { stride: 2, padding: 1, groups: 16 }), act]],
      [[1, 4, 3, 3], () => [new nn.Conv2d(4, 2, 3, { padding: 1 }), act]],
    ] as const) {
      const m = new nn.Sequential(...layers());
      const x = randn([...shape]);
      const { fused, plain } = fusedAndPlain(m, x);
      assert.deepEqual(fused.y, plain.y, `${name} ${JSON.stringify(shape)}`);
      assert.equal(fused.made, plain.made - Math.floor(m.length / 2), `${name}: each activation runs in its convolution`);
    }
  }
});

test('Sequential fuses Linear with each activation (ConvNeXt\'s and transformers\' MLPs; no bias; an output under 64 values): same values, fewer tensors', () => {
  manualSeed(32);
  for (const [name, act] of ACTS) {
    for (const [shape, layers] of [
      [[1, 7, 9, 32], () => [new nn.Linear(32, 96), act, new nn.Linear(96, 32)]],
      [[5, 24], () => [new nn.Linear(24, 40, { bias: false }), act]],
      [[2, 3], () => [new nn.Linear(3, 4), act]],
    ] as const) {
      const m = new nn.Sequential(...layers());
      const x = randn([...shape]);
      const { fused, plain } = fusedAndPlain(m, x);
      assert.deepEqual(fused.y, plain.y, `${name} ${JSON.stringify(shape)}`);
      // under 64 values the activation op would run its TypeScript loop: so does the fused run, after the layer
      const small = shape[0] === 2;
      assert.equal(fused.made, plain.made - (small ? 0 : 1), `${name}: the activation runs in the linear layer`);
      // with gradients on, the modules one by one: the same values
      assert.deepEqual(Float32Array.from(m.call(x).data), fused.y);
    }
  }
});

test('fusion never skips a module with hooks or of a class normkit does not know', () => {
  manualSeed(25);
  const x = randn([1, 16, 16, 16]);
  const m = block();
  const want = counted(m, x).y;
  let seen = 0;
  const off = (m.at(2) as nn.Module).registerForwardHook(() => void seen++);
  const hooked = counted(m, x);
  assert.equal(seen, 1, 'the ReLU hook ran');
  assert.deepEqual(hooked.y, want);
  assert.equal(hooked.made, 4, 'the first pad and conv still fuse; the hooked ReLU runs alone');
  off();
  const off2 = (m.at(0) as nn.Module).registerForwardPreHook(() => void seen++);
  assert.equal(counted(m, x).made, 4, 'a pre-hook on the pad keeps it (the conv still takes the ReLU)');
  off2();
  class MyConv extends nn.Conv2d {}
  const custom = new nn.Sequential(new nn.ReflectionPad2d(1), new MyConv(16, 16, 3), new nn.ReLU());
  custom.loadStateDict({ '1.weight': m.at(1).getParameter('weight')!, '1.bias': m.at(1).getParameter('bias')! });
  const c = counted(custom, x);
  assert.equal(c.made, 3);
});

test("Conv2d with padding_mode='reflect' pads in the kernels under noGrad, with the padded conv's values", () => {
  manualSeed(26);
  const conv = new nn.Conv2d(16, 8, 3, { padding: 2, paddingMode: 'reflect', dilation: 2 });
  const x = randn([2, 16, 11, 9]);
  const want = conv.call(x).data;
  const got = counted(conv, x);
  assert.deepEqual(got.y, want);
  assert.equal(got.made, 1);
});

test('the Winograd weight transform is made once per value of the weights and follows in-place changes', () => {
  manualSeed(27);
  const x = randn([1, 16, 12, 12]);
  const w = randn([16, 16, 3, 3]).mul(0.2);
  const b = randn([16]);
  withPath('winograd', () =>
    noGrad(() => {
      assert.equal(winogradWeights(w.data, 16, 16, false), null, 'one thread, values seen for the first time: transformed in place');
      const u0 = winogradWeights(w.data, 16, 16, false)!;
      assert.ok(u0 !== null, 'the second time: cached');
      assert.equal(winogradWeights(w.data, 16, 16), u0, 'cached while unchanged');
      assert.ok(u0.buffer instanceof SharedArrayBuffer);
      const before = Float32Array.from(u0);
      const y0 = conv2d(x, w, b, { padding: 1 }).data;
      w.data[5] = w.data[5]! + 1;
      const y1 = conv2d(x, w, b, { padding: 1 }).data;
      const y2 = conv2d(x, w, b, { padding: 1 }).data;
      assert.notDeepEqual(Float32Array.from(winogradWeights(w.data, 16, 16)!), before, 'remade after a change');
      const fresh = conv2d(x, w.clone(), b, { padding: 1 }).data;
      assert.deepEqual(y1, fresh);
      assert.deepEqual(y2, fresh);
      assert.notDeepEqual(y1, y0);
    }),
  );
});

test('the thread choice skips each path\'s first two (warm-up) calls, then takes the pool only where it measured 10% faster', () => {
  const c = new ThreadChoice();
  assert.equal(c.choose('k'), false, 'one thread first');
  c.observe('k', false, 1); // warm-up, not counted
  assert.equal(c.choose('k'), false);
  c.observe('k', false, 2); // warm-up, not counted
  assert.equal(c.choose('k'), false);
  c.observe('k', false, 100);
  assert.equal(c.choose('k'), true, 'then the pool');
  c.observe('k', true, 1); // the pool's warm-ups (cold copies of what the workers keep), not counted
  c.observe('k', true, 3);
  assert.equal(c.choose('k'), true);
  assert.deepEqual(c.speeds()['k'], { single: 100, pool: false, singleRuns: 3, threadedRuns: 2 });
  c.observe('k', true, 105);
  assert.equal(c.choose('k'), false, 'not 10% faster');
  c.observe('k', true, 400);
  assert.equal(c.speeds()['k']!.pool, true);
  let pooled = 0;
  for (let i = 0; i < 32; i++) pooled += c.choose('k') ? 1 : 0;
  assert.ok(pooled >= 30, `the pool nearly always, with a probe of one thread now and then (${pooled}/32)`);
  c.reset();
  assert.deepEqual(c.speeds(), {});
});

test('InstanceNorm / BatchNorm -> ReLU fuse under noGrad with the unfused values, on both norm backends and the pool', async () => {
  const { setNormBackend, setNormThreads, getNormBackend } = await import('../../src/kernels/backend.js');
  const make = (): nn.Module[] => {
    const bn = new nn.BatchNorm2d(6);
    bn.eval();
    bn.runningMean!.data.set([0.1, -0.2, 0.3, 0, 0.5, -1]);
    bn.runningVar!.data.set([1, 2, 0.5, 1.5, 1, 0.25]);
    return [new nn.InstanceNorm2d(6, { affine: true }), new nn.InstanceNorm2d(6), bn, new nn.BatchNorm2d(6), new nn.InstanceNorm1d(6)];
  };
  const before = getNormBackend();
  try {
    for (const backend of ['wasm', 'js'] as const) {
      setNormBackend(backend);
      for (const pool of [false, true]) {
        if (pool) {
          setNormThreads(2, { minElements: 0 });
          assert.ok(await warmNormThreads());
        }
        manualSeed(28);
        for (const norm of make()) {
          const x = norm instanceof nn.InstanceNorm1d ? randn([3, 6, 40]) : randn([3, 6, 9, 7]);
          if (norm.getParameter('weight')) norm.getParameter('weight')!.data.set([1, -1, 0.5, 2, -0.3, 1]);
          const m = new nn.Sequential(norm, new nn.ReLU());
          const fused = counted(m, x);
          setMemoryPlanning(false);
          try {
            // Batch norm in training mode updates its running statistics on each call: compare from the same state.
            const plain = counted(m, x);
            assert.deepEqual(fused.y, plain.y, `${backend} pool=${pool} ${norm.toString()}`);
            assert.equal(plain.made, 2);
          } finally {
            setMemoryPlanning(true);
          }
          assert.equal(fused.made, 1, `${norm.toString()} fused`);
          assert.ok(fused.y.some((v) => v === 0) && fused.y.some((v) => v > 0));
        }
        if (pool) setNormThreads(1, { minElements: 1 << 23 });
      }
    }
  } finally {
    setNormBackend(before);
    setNormThreads(1);
  }
});

test('FlexibleInstanceNorm (a forward of its own) is never fused', () => {
  const m = new nn.Sequential(new nn.FlexibleInstanceNorm(4), new nn.ReLU());
  const x = randn([1, 4, 1, 1]);
  const r = counted(m, x);
  assert.equal((m.at(0) as nn.FlexibleInstanceNorm).fallbackCount, 1);
  assert.deepEqual(r.y, relu(x).data);
});

test('a fused forward called with gradients on records the ops one by one (same values and gradients)', () => {
  manualSeed(29);
  const conv = new nn.Conv2d(16, 8, 3);
  const norm = new nn.InstanceNorm2d(8, { affine: true });
  const x = randn([1, 16, 10, 10]);
  const grads = (fused: boolean): Float32Array[] => {
    const xs = x.clone().requiresGrad_();
    for (const p of [...conv.parameters(), ...norm.parameters()]) p.grad = null;
    const y = fused ? norm.fusedForward(conv.fusedForward(xs, [1, 1, 1, 1], RELU), true) : relu(norm.call(relu(conv.call(pad(xs, [1, 1, 1, 1], 'reflect')))));
    y.backward(y.detach().mul(0).add(1));
    return [y.data, xs.grad!.data, conv.weight.grad!.data, norm.getParameter('weight')!.grad!.data].map((a) => Float32Array.from(a));
  };
  assert.deepEqual(grads(true), grads(false));
});

test('errors in fused runs name the module and path they name unfused', () => {
  const bn = new nn.BatchNorm2d(6);
  bn.eval();
  const cases: [nn.Module, Tensor][] = [
    [new nn.Sequential(new nn.Identity(), bn, new nn.ReLU()), randn([1, 5, 4, 4])],
    [new nn.Sequential(new nn.ReflectionPad2d(1), new nn.Conv2d(16, 8, 3), new nn.ReLU()), randn([1, 8, 6, 6])],
    [new nn.Sequential(new nn.ReflectionPad2d(6), new nn.Conv2d(8, 8, 3), new nn.ReLU()), randn([1, 8, 4, 4])],
  ];
  const caught = (f: () => unknown): { message: string; moduleType?: string; modulePath?: string } => {
    try {
      f();
    } catch (e) {
      const err = e as { message: string; moduleType?: string; modulePath?: string };
      return { message: err.message, moduleType: err.moduleType, modulePath: err.modulePath };
    }
    throw new Error('no error');
  };
  for (const [m, x] of cases) {
    const fused = caught(() => noGrad(() => m.call(x)));
    setMemoryPlanning(false);
    try {
      assert.deepEqual(fused, caught(() => noGrad(() => m.call(x))));
    } finally {
      setMemoryPlanning(true);
    }
    assert.ok(fused.moduleType && fused.modulePath !== undefined, JSON.stringify(fused));
  }
});

test('graph runs fuse chains of module nodes whose intermediates nothing else reads (runGraph), with interpret\'s values', async () => {
  const { lowerModule, runGraph, interpret } = await import('../../src/index.js');
  manualSeed(30);
  const m = block();
  const x = randn([1, 16, 16, 16]);
  const g = lowerModule(m);
  const want = noGrad(() => interpret(g, [x], { training: false }));
  assert.equal(want.error, null);
  const c0 = tensorCount();
  const got = noGrad(() => runGraph(g, [x], { training: false }));
  assert.equal(tensorCount() - c0, 3, 'pad+conv+relu, pad+conv, norm+relu');
  assert.deepEqual(got[0]!.data, want.outputs![0]!.data);
  // A graph output in the middle of a chain is made, and the chain is cut there.
  const g2 = { ...g, outputs: [...g.outputs, g.nodes[0]!.outputs[0]!] };
  const both = noGrad(() => runGraph(g2, [x], { training: false }));
  assert.deepEqual(both[0]!.data, want.outputs![0]!.data);
  assert.deepEqual(both[1]!.shape, [1, 16, 18, 18]);
});
