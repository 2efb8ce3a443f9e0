/**
 * SGD, Adam, AdamW: PyTorch's update rules replayed by hand in float64 on
 * small problems, hyperparameter checks, parameter groups, `lr` changes,
 * zeroGrad semantics, and the registry used by the oracle and the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError, Tensor, ValueError, add, matmul, mean, manualSeed, optim, randn, square, sub, tensor } from '../../src/index.js';
import { assertClose } from '../helpers.js';

/** f(p) = sum(c * p^2): gradient 2 c p. */
const coeffs = [1, -0.5, 3];
function quadGrad(p: Tensor): void {
  p.grad = tensor(Array.from(p.data, (v, i) => 2 * coeffs[i]! * v));
}
const gradOf = (p: number[]) => p.map((v, i) => 2 * coeffs[i]! * v);

function run(opt: { step(): void; zeroGrad(): void }, p: Tensor, steps: number): void {
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    quadGrad(p);
    opt.step();
  }
}

test('SGD with momentum, dampening and weight decay follows PyTorch (buffer = first gradient)', () => {
  for (const cfg of [
    { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01, nesterov: false },
    { lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 0.1, nesterov: true },
  ]) {
    const p = tensor([1, 2, -1], { requiresGrad: true });
    const opt = new optim.SGD([p], cfg);
    let want = [1, 2, -1];
    let buf: number[] | null = null;
    for (let s = 0; s < 5; s++) {
      const d = gradOf(want).map((g, i) => g + cfg.weightDecay * want[i]!);
      let step = d;
      if (cfg.momentum !== 0) {
        buf = buf === null ? [...d] : buf.map((b, i) => cfg.momentum * b + (1 - cfg.dampening) * d[i]!);
        step = cfg.nesterov ? d.map((v, i) => v + cfg.momentum * buf![i]!) : buf;
      }
      want = want.map((v, i) => v - cfg.lr * step[i]!);
    }
    run(opt, p, 5);
    assertClose(p, want, 1e-6, 1e-5, JSON.stringify(cfg));
  }
});

/** Adam / AdamW replayed in float64. */
function adamReference(p0: number[], steps: number, o: { lr: number; b1: number; b2: number; eps: number; wd: number; amsgrad: boolean; decoupled: boolean }): number[] {
  let p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const vmax = p.map(() => 0);
  for (let t = 1; t <= steps; t++) {
    const g0 = gradOf(p);
    if (o.decoupled) p = p.map((x) => x * (1 - o.lr * o.wd));
    const g = o.decoupled ? g0 : g0.map((gi, i) => gi + o.wd * p[i]!);
    p = p.map((x, i) => {
      m[i] = o.b1 * m[i]! + (1 - o.b1) * g[i]!;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * g[i]! ** 2;
      vmax[i] = Math.max(vmax[i]!, v[i]!);
      const vi = o.amsgrad ? vmax[i]! : v[i]!;
      const denom = Math.sqrt(vi) / Math.sqrt(1 - o.b2 ** t) + o.eps;
      return x - (o.lr / (1 - o.b1 ** t)) * (m[i]! / denom);
    });
  }
  return p;
}

test('Adam (with L2 weight decay and amsgrad) follows the bias-corrected update', () => {
  for (const amsgrad of [false, true]) {
    const p = tensor([1, 2, -1], { requiresGrad: true });
    const opt = new optim.Adam([p], { lr: 0.1, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.05, amsgrad });
    run(opt, p, 6);
    assertClose(p, adamReference([1, 2, -1], 6, { lr: 0.1, b1: 0.8, b2: 0.95, eps: 1e-6, wd: 0.05, amsgrad, decoupled: false }), 1e-6, 1e-5);
  }
});

test('the first Adam step moves every coordinate by about lr, against the gradient sign', () => {
  const p = tensor([1, 2, -1], { requiresGrad: true });
  run(new optim.Adam([p], { lr: 0.01 }), p, 1);
  assertClose(p, [0.99, 2.01, -0.99], 1e-6);
});

test('AdamW decouples weight decay (default 0.01) from the gradient', () => {
  const p = tensor([1, 2, -1], { requiresGrad: true });
  const opt = new optim.AdamW([p], { lr: 0.05 });
  assert.equal(opt.paramGroups[0]!.weightDecay, 0.01);
  run(opt, p, 5);
  assertClose(p, adamReference([1, 2, -1], 5, { lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, amsgrad: false, decoupled: true }), 1e-6, 1e-5);
  // With a zero gradient only the decay acts: p *= 1 - lr * wd.
  const q = tensor([2], { requiresGrad: true });
  q.grad = tensor([0]);
  new optim.AdamW([q], { lr: 0.1, weightDecay: 0.5 }).step();
  assertClose(q, [2 * (1 - 0.05)], 1e-7);
});

test('updates are in place: parameters keep identity and storage', () => {
  const p = tensor([1, 2, -1], { requiresGrad: true });
  const storage = p.data;
  const opt = new optim.SGD([p], { lr: 0.1 });
  run(opt, p, 1);
  assert.equal(p.data, storage);
  assert.ok(p.isLeaf);
  assert.equal(p.gradNode, null);
});

test('lr can change between steps; parameter groups keep their own hyperparameters', () => {
  const a = tensor([1], { requiresGrad: true });
  const b = tensor([1], { requiresGrad: true });
  const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
  a.grad = tensor([1]);
  b.grad = tensor([1]);
  opt.step();
  assertClose(a, [0.9], 1e-7);
  assertClose(b, [0.5], 1e-7);
  opt.lr = 0.01;
  assert.equal(opt.paramGroups[1]!.lr, 0.01);
  opt.step();
  assertClose(a, [0.89], 1e-7);
  assertClose(b, [0.49], 1e-7);
  assert.throws(() => (opt.lr = -1), ValueError);
});

test('zeroGrad zeroes in place by default (PyTorch 1.13), or drops gradients; params without grad are skipped', () => {
  const p = tensor([1, 2], { requiresGrad: true });
  const q = tensor([5], { requiresGrad: true });
  const opt = new optim.SGD([p, q], { lr: 0.1, weightDecay: 0.5 });
  p.grad = tensor([1, 1]);
  const g = p.grad;
  opt.zeroGrad();
  assert.equal(p.grad, g);
  assert.deepEqual([...g.data], [0, 0]);
  opt.step();
  // p still decays with a zero gradient; q has no gradient and is not touched.
  assertClose(p, [1 - 0.1 * 0.5, 2 - 0.1 * 1], 1e-7);
  assertClose(q, [5]);
  opt.zeroGrad(true);
  assert.equal(p.grad, null);
});

test('hyperparameter and parameter checks raise ValueError with PyTorch messages', () => {
  const p = tensor([1], { requiresGrad: true });
  const msg = (re: RegExp) => (e: Error) => e instanceof ValueError && re.test(e.message);
  assert.throws(() => new optim.SGD([p], { lr: -0.1 }), msg(/^Invalid learning rate: -0.1$/));
  assert.throws(() => new optim.SGD([p], { lr: 0.1, momentum: -1 }), msg(/^Invalid momentum value: -1.0$/));
  assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), msg(/Nesterov momentum requires a momentum and zero dampening/));
  assert.throws(() => new optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), ValueError);
  assert.throws(() => new optim.Adam([p], { betas: [1, 0.9] }), msg(/^Invalid beta parameter at index 0: 1.0$/));
  assert.throws(() => new optim.Adam([p], { eps: -1 }), msg(/^Invalid epsilon value/));
  assert.throws(() => new optim.AdamW([p], { weightDecay: -1 }), msg(/^Invalid weight_decay value/));
  assert.throws(() => new optim.SGD([], { lr: 0.1 }), msg(/empty parameter list/));
  assert.throws(() => new optim.SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), msg(/more than one parameter group/));
  assert.throws(() => new optim.SGD([p.mul(2)], { lr: 0.1 }), msg(/non-leaf/));
});

test('Adam fits a linear regression (loss falls by orders of magnitude)', () => {
  manualSeed(7);
  const X = randn([32, 3]);
  const wTrue = tensor([[1.5], [-2], [0.5]]);
  const Y = add(matmul(X, wTrue), 0.3);
  const w = randn([3, 1], { requiresGrad: true });
  const b = tensor([0], { requiresGrad: true });
  const opt = new optim.Adam([w, b], { lr: 0.1 });
  const lossOf = () => mean(square(sub(add(matmul(X, w), b), Y)));
  const first = lossOf().item();
  for (let i = 0; i < 200; i++) {
    opt.zeroGrad();
    const loss = lossOf();
    loss.backward();
    opt.step();
  }
  assert.ok(lossOf().item() < first * 1e-3, `loss ${lossOf().item()} vs start ${first}`);
  assertClose(w, [1.5, -2, 0.5], 2e-2);
});

test('optimizerFromArgs reads PyTorch kwargs and refuses unknown or mistyped ones', () => {
  const p = tensor([1, 2, -1], { requiresGrad: true });
  const opt = optim.optimizerFromArgs('Adam', [p], { lr: 0.01, betas: [0.8, 0.99], weight_decay: 0.1, amsgrad: true }) as optim.Adam;
  assert.deepEqual(opt.paramGroups[0]!.betas, [0.8, 0.99]);
  assert.equal(opt.paramGroups[0]!.amsgrad, true);
  const sgd = optim.optimizerFromArgs('SGD', [p], { lr: 0.1, momentum: 0.9, nesterov: true }) as optim.SGD;
  assert.equal(sgd.paramGroups[0]!.nesterov, true);
  assert.equal((optim.optimizerFromArgs('AdamW', [p], {}) as optim.AdamW).paramGroups[0]!.weightDecay, 0.01);
  assert.equal(optim.optimizerFromArgs('RMSprop', [p], { lr: 0.1 }), undefined);
  assert.throws(() => optim.optimizerFromArgs('SGD', [p], { lr: 0.1, momentun: 0.9 }), (e: Error) => e instanceof SpecError && /momentun/.test(e.message));
  assert.throws(() => optim.optimizerFromArgs('SGD', [p], {}), (e: Error) => e instanceof SpecError && /'lr' is required/.test(e.message));
  assert.throws(() => optim.optimizerFromArgs('Adam', [p], { betas: [0.9] }), SpecError);
  assert.throws(() => optim.optimizerFromArgs('Adam', [p], { amsgrad: 'yes' }), SpecError);
  assert.throws(() => optim.optimizerFromArgs('SGD', [p], { lr: -1 }), ValueError);
});
