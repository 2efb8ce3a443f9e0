/**
 * Optimizer stateDict/loadStateDict (resuming training) and the lr schedulers;
 * sequences and messages recorded from PyTorch 1.13 by test/fixtures/gen_lr_schedules.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor, TypeError, ValueError, optim, tensor } from '../../src/index.js';
import { assertClose } from '../helpers.js';

/** Loss sum(c * p^2): gradient 2 c p, set by hand. */
function setGrads(ps: Tensor[]): void {
  for (const p of ps) p.grad = tensor(Array.from(p.data, (v, i) => 2 * (i + 1) * v + 0.5)).reshape(p.shape);
}

function cloneParams(ps: Tensor[]): Tensor[] {
  return ps.map((p) => new Tensor(Float32Array.from(p.data), p.shape).requiresGrad_());
}

test('Adam stateDict has PyTorch\'s layout, names and values', () => {
  const p0 = tensor([1, 2]).requiresGrad_();
  const p1 = tensor([[0.5]]).requiresGrad_();
  const o = new optim.Adam([{ params: [p0] }, { params: [p1], lr: 0.1 }], { lr: 0.01, weightDecay: 0.1 });
  p0.grad = tensor([1, 1]);
  p1.grad = tensor([[2]]);
  o.step();
  const sd = o.stateDict();
  assert.deepEqual(Object.keys(sd), ['state', 'param_groups']);
  assert.deepEqual(sd.param_groups.map((g) => g.params), [[0], [1]]);
  assert.deepEqual(sd.param_groups[1], {
    lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1, amsgrad: false, maximize: false,
    foreach: null, capturable: false, differentiable: false, fused: false, params: [1],
  });
  // PyTorch 1.13: state 0 {step: tensor(1.), exp_avg: [0.11, 0.12], exp_avg_sq: [0.00121, 0.00144]}, state 1 exp_avg [[0.205]].
  const s0 = sd.state[0]!;
  assert.ok(s0['step'] instanceof Tensor);
  assert.deepEqual((s0['step'] as Tensor).shape, []);
  assert.equal((s0['step'] as Tensor).item(), 1);
  assertClose(s0['exp_avg'] as Tensor, [0.11, 0.12]);
  assertClose(s0['exp_avg_sq'] as Tensor, [0.00121, 0.00144], 1e-7);
  assert.deepEqual((sd.state[1]!['exp_avg'] as Tensor).shape, [1, 1]);
  assertClose(sd.state[1]!['exp_avg'] as Tensor, [0.205]);
  // A copy: further steps leave the saved dict alone.
  o.step();
  assertClose(s0['exp_avg'] as Tensor, [0.11, 0.12]);
});

for (const make of [
  (ps: Tensor[]) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
  (ps: Tensor[]) => new optim.Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.02 }], { lr: 0.01, amsgrad: true }),
  (ps: Tensor[]) => new optim.AdamW(ps, { lr: 0.01, weightDecay: 0.05 }),
]) {
  test(`resuming from stateDict gives the same parameters as training on (${make.toString().match(/optim\.(\w+)/)![1]})`, () => {
    const a = [tensor([1, -2, 3]).requiresGrad_(), tensor([[0.5, -0.25]]).requiresGrad_()];
    const oa = make(a);
    for (let k = 0; k < 3; k++) { setGrads(a); oa.step(); }
    const saved = oa.stateDict();
    const b = cloneParams(a);
    const ob = make(b);
    ob.loadStateDict(saved);
    for (let k = 0; k < 3; k++) {
      setGrads(a); oa.step();
      setGrads(b); ob.step();
    }
    a.forEach((p, i) => assert.deepEqual(Array.from(b[i]!.data), Array.from(p.data)));
  });
}

test('loadStateDict restores hyperparameters and raises PyTorch\'s errors on mismatched groups', () => {
  const p = [tensor([1, 2]).requiresGrad_()];
  const o = new optim.SGD(p, { lr: 0.1, momentum: 0.9 });
  const sd = o.stateDict();
  sd.param_groups[0]!['lr'] = 0.5;
  const o2 = new optim.SGD(cloneParams(p), { lr: 0.1, momentum: 0.9 });
  o2.loadStateDict(sd);
  assert.equal(o2.lr, 0.5);
  const two = new optim.SGD([{ params: cloneParams(p) }, { params: cloneParams(p) }], { lr: 0.1 });
  assert.throws(() => two.loadStateDict(sd), (e) => e instanceof ValueError && e.message === 'loaded state dict has a different number of parameter groups');
  const bigger = new optim.SGD([...cloneParams(p), ...cloneParams(p)], { lr: 0.1 });
  assert.throws(() => bigger.loadStateDict(sd), (e) => e instanceof ValueError && e.message === "loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
  assert.throws(() => o2.loadStateDict(null as never), TypeError);
});

interface Case { name: string; optimizer: 'SGD' | 'Adam'; opts: Record<string, unknown>; lrs: number[][]; momentum?: number[] }
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/lr_schedules.json', import.meta.url), 'utf8')) as { cases: Case[]; errors: Record<string, string> };

function build(c: Case): [optim.Optimizer<optim.GroupOptions>, optim.LRScheduler] {
  const { lr, lr2, momentum, ...rest } = c.opts as { lr: number; lr2?: number; momentum?: number } & Record<string, unknown>;
  const groups = [{ params: [tensor([0]).requiresGrad_()] }, { params: [tensor([0]).requiresGrad_()], lr: lr2 ?? lr }];
  const opt = c.optimizer === 'SGD' ? new optim.SGD(groups, { lr, momentum: momentum ?? 0 }) : new optim.Adam(groups, { lr });
  const o = opt as unknown as optim.Optimizer<optim.GroupOptions>;
  const kind = c.name.split(' ')[0]!;
  const sched = kind === 'StepLR' ? new optim.StepLR(o, rest as never)
    : kind === 'CosineAnnealingLR' ? new optim.lrScheduler.CosineAnnealingLR(o, rest as never)
      : new optim.OneCycleLR(o, rest as never);
  return [o, sched];
}

for (const c of fixture.cases) {
  test(`lr scheduler ${c.name}: PyTorch 1.13's lr sequence`, () => {
    const [opt, sched] = build(c);
    c.lrs.forEach((want, k) => {
      const got = opt.paramGroups.map((g) => g.lr);
      want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) <= 1e-15 * Math.max(1, Math.abs(w)), `step ${k}, group ${i}: ${got[i]} vs PyTorch ${w}`));
      if (c.momentum) {
        const g = opt.paramGroups[0] as unknown as { momentum?: number; betas?: number[] };
        const m = c.optimizer === 'SGD' ? g.momentum! : g.betas![0]!;
        assert.ok(Math.abs(m - c.momentum[k]!) <= 1e-15, `step ${k}: momentum ${m} vs PyTorch ${c.momentum[k]}`);
      }
      opt.step();
      sched.step();
    });
    assert.deepEqual(sched.getLastLr(), opt.paramGroups.map((g) => g.lr));
  });
}

test('OneCycleLR raises PyTorch\'s ValueErrors', () => {
  const p = () => [tensor([0]).requiresGrad_()];
  const o = new optim.SGD(p(), { lr: 0.1 });
  const s = new optim.OneCycleLR(o as never, { maxLr: 0.1, totalSteps: 2 });
  s.step(); s.step();
  assert.throws(() => s.step(), (e) => e instanceof ValueError && e.message === fixture.errors['onecycle_past_end']);
  const mk = (opts: object) => () => new optim.OneCycleLR(new optim.SGD(p(), { lr: 0.1 }) as never, { maxLr: 0.1, ...opts });
  assert.throws(mk({}), (e) => e instanceof ValueError && e.message === fixture.errors['onecycle_no_steps']);
  assert.throws(mk({ totalSteps: 0 }), (e) => e instanceof ValueError && e.message === fixture.errors['onecycle_bad_total']);
  assert.throws(mk({ totalSteps: 5, pctStart: 1.5 }), (e) => e instanceof ValueError && e.message === fixture.errors['onecycle_bad_pct']);
  assert.throws(mk({ totalSteps: 5, annealStrategy: 'x' }), (e) => e instanceof ValueError && e.message === fixture.errors['onecycle_bad_anneal']);
  assert.throws(() => new optim.StepLR(o as never, { step_size: 2 } as never), TypeError);
});

test('a scheduler resumed from its stateDict (with the optimizer\'s) continues the same lr sequence', () => {
  for (const kind of ['cos', 'onecycle'] as const) {
    const make = () => {
      const o = new optim.SGD([tensor([1, 2]).requiresGrad_()], { lr: 0.1, momentum: 0.9 });
      const s = kind === 'cos' ? new optim.CosineAnnealingLR(o as never, { tMax: 4, etaMin: 0.01 }) : new optim.OneCycleLR(o as never, { maxLr: 0.5, totalSteps: 12 });
      return [o, s] as const;
    };
    const [oa, sa] = make();
    for (let k = 0; k < 5; k++) { oa.step(); sa.step(); }
    const osd = oa.stateDict();
    const ssd = sa.stateDict();
    const [ob, sb] = make();
    ob.loadStateDict(osd);
    sb.loadStateDict(ssd);
    assert.deepEqual(sb.getLastLr(), sa.getLastLr());
    for (let k = 0; k < 6; k++) {
      oa.step(); sa.step();
      ob.step(); sb.step();
      assert.equal(ob.lr, oa.lr, `${kind} step ${k}`);
      assert.equal((ob.paramGroups[0] as { momentum: number }).momentum, (oa.paramGroups[0] as { momentum: number }).momentum);
    }
  }
});
