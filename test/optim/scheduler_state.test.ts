/**
 * The lr schedulers' stateDict() as PyTorch 1.13's state_dict(), recorded by
 * test/fixtures/gen_lr_state.py: after construction and after every step,
 * the same keys in the same order (step_size, gamma / T_max, eta_min /
 * total_steps, _schedule_phases, anneal_func, cycle_momentum, use_beta1; then
 * base_lrs, last_epoch, verbose, _step_count, _get_lr_called_within_step,
 * _last_lr) with the same values. PyTorch's own state dict, loaded into a
 * fresh scheduler (with the optimizer's lr and momentum), continues PyTorch's
 * sequence; normkit's own, through JSON, resumes identically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TypeError, ValueError, optim, tensor } from '../../src/index.js';

interface Point { state: [string, unknown][]; groups: { lr: number; momentum: number | null }[] }
interface Case { name: string; optimizer: 'SGD' | 'Adam'; opts: Record<string, unknown>; points: Point[] }
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/lr_state.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };

type Group = { lr: number; momentum?: number; betas?: number[] };

function build(c: Case): [optim.Optimizer<optim.GroupOptions>, optim.LRScheduler] {
  const { lr, lr2, momentum, ...rest } = c.opts as { lr: number; lr2?: number; momentum?: number } & Record<string, unknown>;
  const groups = [{ params: [tensor([0]).requiresGrad_()] }, { params: [tensor([0]).requiresGrad_()], lr: lr2 ?? lr }];
  const opt = (c.optimizer === 'SGD' ? new optim.SGD(groups, { lr, momentum: momentum ?? 0 }) : new optim.Adam(groups, { lr })) as unknown as optim.Optimizer<optim.GroupOptions>;
  const kind = c.name.split(' ')[0]!;
  const sched = kind === 'StepLR' ? new optim.StepLR(opt, rest as never) : kind === 'CosineAnnealingLR' ? new optim.CosineAnnealingLR(opt, rest as never) : new optim.OneCycleLR(opt, rest as never);
  return [opt, sched];
}

/** Equal values, numbers to 1e-15 relative (the recursive formulas are PyTorch's, so all but the last bit). */
function same(got: unknown, want: unknown, where: string): void {
  if (typeof want === 'number') {
    assert.equal(typeof got, 'number', where);
    assert.ok(Math.abs((got as number) - want) <= 1e-15 * Math.max(1, Math.abs(want)), `${where}: ${String(got)} vs PyTorch ${want}`);
  } else if (Array.isArray(want)) {
    assert.ok(Array.isArray(got) && got.length === want.length, `${where}: ${JSON.stringify(got)} vs PyTorch ${JSON.stringify(want)}`);
    want.forEach((w, i) => same((got as unknown[])[i], w, `${where}[${i}]`));
  } else if (want !== null && typeof want === 'object') {
    assert.deepEqual(Object.keys(got as object), Object.keys(want), where);
    for (const [k, w] of Object.entries(want)) same((got as Record<string, unknown>)[k], w, `${where}.${k}`);
  } else assert.equal(got, want, where);
}

const groupMomentum = (g: Group) => g.betas?.[0] ?? g.momentum;

test(`the recording is PyTorch ${fixture.torch.split('+')[0]}'s`, () => {
  assert.match(fixture.torch, /^1\.13\./);
  assert.equal(fixture.cases.length, 6);
});

for (const c of fixture.cases) {
  test(`${c.name}: stateDict() is PyTorch's state_dict(), keys in order, after construction and every step`, () => {
    const [opt, sched] = build(c);
    c.points.forEach((p, k) => {
      const got = sched.stateDict() as unknown as Record<string, unknown>;
      assert.deepEqual(Object.keys(got), p.state.map(([key]) => key), `step ${k}: keys`);
      for (const [key, want] of p.state) same(got[key], want, `step ${k}: ${key}`);
      opt.step();
      sched.step();
    });
  });

  test(`${c.name}: PyTorch's state dict at each step, loaded into a fresh scheduler, continues PyTorch's sequence`, () => {
    for (let at = 0; at < c.points.length - 1; at++) {
      const [opt, sched] = build(c);
      sched.loadStateDict(Object.fromEntries(c.points[at]!.state) as never);
      // what the optimizer's own load_state_dict restores: the groups' lr and momentum
      (opt.paramGroups as unknown as Group[]).forEach((g, i) => {
        const want = c.points[at]!.groups[i]!;
        g.lr = want.lr;
        if (want.momentum !== null) {
          if (g.betas) g.betas = [want.momentum, g.betas[1]!];
          else g.momentum = want.momentum;
        }
      });
      for (let k = at + 1; k < c.points.length; k++) {
        opt.step();
        sched.step();
        (opt.paramGroups as unknown as Group[]).forEach((g, i) => {
          const want = c.points[k]!.groups[i]!;
          same(g.lr, want.lr, `from ${at}, step ${k}, group ${i}: lr`);
          if (want.momentum !== null) same(groupMomentum(g), want.momentum, `from ${at}, step ${k}, group ${i}: momentum`);
        });
      }
    }
  });

  test(`${c.name}: normkit's state dicts through JSON resume identically`, () => {
    const [oa, sa] = build(c);
    const half = Math.floor(c.points.length / 2);
    for (let k = 0; k < half; k++) {
      oa.step();
      sa.step();
    }
    const saved = JSON.parse(JSON.stringify({ opt: oa.stateDict(), sched: sa.stateDict() })) as { opt: never; sched: never };
    const [ob, sb] = build(c);
    ob.loadStateDict(saved.opt);
    sb.loadStateDict(saved.sched);
    assert.deepEqual(sb.stateDict(), sa.stateDict());
    for (let k = half; k < c.points.length - 1; k++) {
      oa.step();
      sa.step();
      ob.step();
      sb.step();
      assert.deepEqual(ob.paramGroups.map((g) => [g.lr, groupMomentum(g as unknown as Group)]), oa.paramGroups.map((g) => [g.lr, groupMomentum(g as unknown as Group)]), `step ${k}`);
    }
  });
}

test('loadStateDict names what is wrong: an optimizer\'s dict, a key of another scheduler, a value of the wrong kind', () => {
  const o = new optim.SGD([tensor([1]).requiresGrad_()], { lr: 0.1 }) as unknown as optim.Optimizer<optim.GroupOptions>;
  const s = new optim.StepLR(o, { stepSize: 2 });
  assert.throws(() => s.loadStateDict(o.stateDict() as never), (e) => e instanceof TypeError && /^loadStateDict: expected StepLR's state dict \(step_size, gamma, base_lrs, last_epoch, verbose, _step_count, _get_lr_called_within_step, _last_lr\) as stateDict\(\) returns, got dict$/.test(e.message));
  assert.throws(() => s.loadStateDict({ last_epoch: 1, T_max: 4 } as never), (e) => e instanceof ValueError && e.message === "loadStateDict: StepLR's state dict has no 'T_max' (its keys: step_size, gamma, base_lrs, last_epoch, verbose, _step_count, _get_lr_called_within_step, _last_lr)");
  assert.throws(() => s.loadStateDict({ last_epoch: 1, step_size: 0 }), (e) => e instanceof ValueError && e.message === "loadStateDict: 'step_size' must be a positive integer, got 0");
  assert.throws(() => s.loadStateDict({ last_epoch: 1, base_lrs: [0.1, 0.2] }), (e) => e instanceof ValueError && e.message === "loadStateDict: 'base_lrs' must be 1 numbers (one per parameter group), got [0.1,0.2]");
  const c = new optim.OneCycleLR(o, { maxLr: 0.5, totalSteps: 4 });
  assert.throws(() => c.loadStateDict({ last_epoch: 1, anneal_func: 'cos' }), (e) => e instanceof ValueError && e.message === `loadStateDict: 'anneal_func' must be '_annealing_cos' or '_annealing_linear', got "cos"`);
  // a partial dict replaces only what it holds, as PyTorch's __dict__.update
  s.loadStateDict({ last_epoch: 5, gamma: 0.5 });
  assert.deepEqual([s.lastEpoch, s.gamma, s.stepSize], [5, 0.5, 2]);
});

test('verbose prints each lr a step sets, as PyTorch\'s print_lr', (t) => {
  const lines: string[] = [];
  t.mock.method(console, 'log', (s: string) => void lines.push(s));
  const o = new optim.SGD([tensor([1]).requiresGrad_()], { lr: 0.1 }) as unknown as optim.Optimizer<optim.GroupOptions>;
  const s = new optim.StepLR(o, { stepSize: 1, gamma: 0.5, verbose: true });
  s.step();
  assert.deepEqual(lines, ['Adjusting learning rate of group 0 to 1.0000e-01.', 'Adjusting learning rate of group 0 to 5.0000e-02.']);
  assert.equal(s.stateDict().verbose, true);
});
