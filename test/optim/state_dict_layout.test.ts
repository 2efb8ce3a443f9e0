/**
 * Optimizer stateDict() in PyTorch 1.13's layout, against a recording from
 * PyTorch (test/fixtures/gen_optim_state.py → optim_state.json): every
 * param_group's keys in PyTorch's order (foreach, capturable, differentiable,
 * fused where 1.13 has them; the keys schedulers add) with PyTorch's values,
 * and each parameter's state entries (Adam's `step` a float32 scalar tensor,
 * SGD's momentum_buffer None without momentum), before any step and after two.
 * loadStateDict takes this layout and the older one (step a number, no flags).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RuntimeError, Tensor, TypeError, optim, tensor } from '../../src/index.js';
import type { Optimizer } from '../../src/optim/optimizer.js';

type Entry = [string, unknown];
interface Recorded {
  param_groups: Entry[][];
  state: Record<string, Entry[]>;
}
interface Case {
  name: string;
  before: Recorded;
  after: Recorded;
}

const CASES = JSON.parse(readFileSync(new URL('../../../test/fixtures/optim_state.json', import.meta.url), 'utf8')) as Case[];

type Groups = { params: Tensor[]; lr?: number }[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOpt = Optimizer<any, any>;
const BUILD: Record<string, [(g: Groups) => AnyOpt, ((o: AnyOpt) => { step(): void }) | null]> = {
  SGD: [(g) => new optim.SGD(g, 0.1), null],
  'SGD momentum nesterov weightDecay': [(g) => new optim.SGD(g, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), null],
  Adam: [(g) => new optim.Adam(g, 0.01), null],
  'Adam amsgrad maximize': [(g) => new optim.Adam(g, { lr: 0.01, amsgrad: true, maximize: true }), null],
  'Adam foreach': [(g) => new optim.Adam(g, { lr: 0.01, foreach: true }), null],
  AdamW: [(g) => new optim.AdamW(g, 0.01), null],
  'AdamW amsgrad': [(g) => new optim.AdamW(g, { lr: 0.01, amsgrad: true, betas: [0.8, 0.99] }), null],
  'SGD with StepLR': [(g) => new optim.SGD(g, { lr: 0.1, momentum: 0.5 }), (o) => new optim.StepLR(o, { stepSize: 1, gamma: 0.5 })],
  'SGD with CosineAnnealingLR': [(g) => new optim.SGD(g, 0.1), (o) => new optim.CosineAnnealingLR(o, { tMax: 4 })],
  'SGD with OneCycleLR': [(g) => new optim.SGD(g, { lr: 0.1, momentum: 0.9 }), (o) => new optim.OneCycleLR(o, { maxLr: 0.5, totalSteps: 5 })],
  'Adam with OneCycleLR': [(g) => new optim.Adam(g, 0.1), (o) => new optim.OneCycleLR(o, { maxLr: [0.5, 0.2], totalSteps: 5 })],
};

/** A stateDict in the recording's form. */
function record(opt: AnyOpt): Recorded {
  const sd = opt.stateDict();
  const value = (v: unknown): unknown => {
    if (v instanceof Tensor) return { tensor: [...v.shape], dtype: 'float32', ...(v.ndim === 0 ? { value: v.item() } : {}) };
    return v;
  };
  return {
    param_groups: sd.param_groups.map((g) => Object.entries(g).map(([k, v]) => [k, value(v)] as Entry)),
    state: Object.fromEntries(Object.entries(sd.state).map(([i, st]) => [i, Object.entries(st).map(([k, v]) => [k, value(v)] as Entry)])),
  };
}

/** Equal, numbers to 1e-12 relative (float64 arithmetic in both). */
function same(got: unknown, want: unknown, at: string): void {
  if (typeof want === 'number' && typeof got === 'number') {
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${at}: ${got} vs PyTorch's ${want}`);
    return;
  }
  if (Array.isArray(want) && Array.isArray(got)) {
    assert.equal(got.length, want.length, at);
    want.forEach((w, i) => same(got[i], w, `${at}[${i}]`));
    return;
  }
  if (want !== null && typeof want === 'object' && got !== null && typeof got === 'object') {
    assert.deepEqual(Object.keys(got), Object.keys(want), at);
    for (const k of Object.keys(want)) same((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${at}.${k}`);
    return;
  }
  assert.deepEqual(got, want, at);
}

function params(): Tensor[] {
  return [tensor([1, -2]).requiresGrad_(), tensor([[0, 0.1, 0.2], [0.3, 0.4, 0.5]]).requiresGrad_()];
}

for (const c of CASES) {
  test(`${c.name}: stateDict() has PyTorch 1.13's keys, order and values, before a step and after two`, () => {
    const [make, sched] = BUILD[c.name]!;
    const [a, b] = params();
    const opt = make([{ params: [a!] }, { params: [b!], lr: 0.05 }]);
    const s = sched?.(opt);
    same(record(opt), c.before, 'before');
    for (let k = 0; k < 2; k++) {
      for (const p of [a!, b!]) p.grad = new Tensor(Float32Array.from(p.data, (v) => v + 0.5), p.shape);
      opt.step();
      s?.step();
    }
    same(record(opt), c.after, 'after');
    // and it loads back into a fresh optimizer: the same dict again
    const [a2, b2] = params();
    const fresh = make([{ params: [a2!] }, { params: [b2!], lr: 0.05 }]);
    fresh.loadStateDict(opt.stateDict());
    same(record(fresh), c.after, 'reloaded');
  });
}

test("loadStateDict takes the older layout too: step a number, no foreach/capturable/differentiable/fused; both resume alike", () => {
  const run = (load: (o: optim.Adam, sd: optim.OptimizerStateDict) => void) => {
    const [a] = params();
    const o = new optim.Adam([a!], { lr: 0.1, amsgrad: true });
    for (let k = 0; k < 2; k++) {
      a!.grad = tensor([0.5, -1]);
      o.step();
    }
    const sd = o.stateDict();
    const [a2] = params();
    a2!.data.set(a!.data);
    const o2 = new optim.Adam([a2!], { lr: 0.1, amsgrad: true });
    load(o2, sd);
    a2!.grad = tensor([0.25, 0.75]);
    o2.step();
    return Array.from(a2!.data);
  };
  const asIs = run((o, sd) => o.loadStateDict(sd));
  const older = run((o, sd) => {
    const state = Object.fromEntries(Object.entries(sd.state).map(([i, st]) => [i, { ...st, step: (st['step'] as Tensor).item() }]));
    const groups = sd.param_groups.map(({ foreach: _f, capturable: _c, differentiable: _d, fused: _u, ...g }) => g) as optim.OptimizerStateDict['param_groups'];
    o.loadStateDict({ state, param_groups: groups });
  });
  assert.deepEqual(older, asIs);
  assert.equal((new optim.Adam(params(), 0.1).stateDict().param_groups[0]!)['foreach'], null);
});

test("the flags: foreach changes nothing; capturable, differentiable and fused raise PyTorch 1.13's errors; AdamW has no differentiable or fused", () => {
  const stepWith = (o: Partial<optim.AdamOptions>) => {
    const [a] = params();
    const opt = new optim.Adam([a!], { lr: 0.1, ...o });
    a!.grad = tensor([1, 1]);
    opt.step();
    return Array.from(a!.data);
  };
  assert.deepEqual(stepWith({ foreach: true }), stepWith({ foreach: false }));
  assert.throws(() => stepWith({ capturable: true }), (e) => e instanceof RuntimeError && e.message === 'If capturable=True, params and state_steps must be CUDA tensors.');
  assert.throws(() => stepWith({ differentiable: true }), (e) => e instanceof RuntimeError && e.message === 'a leaf Variable that requires grad is being used in an in-place operation.');
  assert.throws(() => new optim.Adam(params(), { fused: true }), (e) => e instanceof RuntimeError && e.message === 'FusedAdam requires all the params to be CUDA, floating point');
  assert.throws(() => new optim.AdamW(params(), { fused: true } as never), (e) => e instanceof TypeError && /AdamW: unknown option 'fused'/.test(e.message));
  assert.throws(() => new optim.SGD(params(), { lr: 0.1, capturable: true } as never), (e) => e instanceof TypeError && /SGD: unknown option 'capturable'/.test(e.message));
  assert.throws(() => new optim.SGD(params(), { lr: 0.1, foreach: 'yes' } as never), (e) => e instanceof TypeError && /option 'foreach' must be a boolean or null/.test(e.message));
  // SGD without lr: PyTorch's required argument
  assert.throws(() => new optim.SGD(params(), {} as never), /parameter group didn't specify a value of required optimization parameter lr/);
  // a step with no gradient is no step, whatever the flags (as PyTorch's)
  const [a] = params();
  new optim.Adam([a!], { capturable: true }).step();
});
