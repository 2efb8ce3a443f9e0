/**
 * A module used twice, or a parameter shared by two modules, is listed once
 * by namedModules/children/namedParameters/parameters/namedBuffers, as
 * PyTorch's (remove_duplicate=True); stateDict lists it under every name, as
 * PyTorch's state_dict does; optimizers get each parameter once. The truth,
 * from PyTorch 1.13:
 *
 *     lin = nn.Linear(2, 2); bn = nn.BatchNorm1d(2)
 *     m = nn.Sequential(lin, nn.ReLU(), lin, bn, bn)
 *     [k for k, _ in m.named_modules()]     # ['', '0', '1', '3']
 *     [k for k, _ in m.named_children()]    # ['0', '1', '3']
 *     [k for k, _ in m.named_parameters()]  # ['0.weight', '0.bias', '3.weight', '3.bias']
 *     [k for k, _ in m.named_buffers()]     # ['3.running_mean', '3.running_var', '3.num_batches_tracked']
 *     list(m.state_dict())                  # 0.*, 2.*, 3.*, 4.* (14 keys)
 *     a = nn.Linear(3, 3); b = nn.Linear(3, 3); b.weight = a.weight
 *     [k for k, _ in nn.Sequential(a, b).named_parameters()]  # ['0.weight', '0.bias', '1.bias']
 *     list(nn.Sequential(a, b).state_dict())                  # ['0.weight', '0.bias', '1.weight', '1.bias']
 *     torch.optim.SGD([p, p], lr=0.1)  # UserWarning: optimizer contains a parameter group with duplicate parameters; ...
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nn, onWarning, optim, ones, randn, type NormkitWarning } from '../../src/index.js';
import '../../src/ops/methods.js';

const { numParameters } = nn;

function shared() {
  const lin = new nn.Linear(2, 2);
  const bn = new nn.BatchNorm1d(2);
  return { lin, bn, m: new nn.Sequential(lin, new nn.ReLU(), lin, bn, bn) };
}

test("a module used twice: listed once by namedModules, children, namedParameters, namedBuffers; stateDict lists every name", () => {
  const { lin, bn, m } = shared();
  assert.deepEqual([...m.namedModules()].map(([k]) => k), ['', '0', '1', '3']);
  assert.deepEqual([...m.namedModules('', false)].map(([k]) => k), ['', '0', '1', '2', '3', '4']);
  assert.deepEqual([...m.namedChildren()].map(([k]) => k), ['0', '1', '3']);
  assert.deepEqual(m.children(), [lin, m.at(1), bn]);
  assert.equal(m.modules().length, 4);
  assert.deepEqual([...m.namedParameters()].map(([k]) => k), ['0.weight', '0.bias', '3.weight', '3.bias']);
  assert.equal(m.parameters().length, 4);
  assert.equal(numParameters(m), 10);
  assert.deepEqual([...m.namedBuffers()].map(([k]) => k), ['3.running_mean', '3.running_var', '3.num_batches_tracked']);
  const sd = m.stateDict();
  assert.deepEqual([...sd.keys()], [
    '0.weight', '0.bias', '2.weight', '2.bias',
    '3.weight', '3.bias', '3.running_mean', '3.running_var', '3.num_batches_tracked',
    '4.weight', '4.bias', '4.running_mean', '4.running_var', '4.num_batches_tracked',
  ]);
  assert.equal(sd.get('2.weight'), sd.get('0.weight'));
  // the forward still runs the shared layer twice, and the repr shows every entry
  assert.deepEqual(m.call(randn(3, 2)).shape, [3, 2]);
  assert.equal(m.toString().split('\n').filter((l) => /^\s+\(\d\):/.test(l)).length, 5);
});

test('a tied weight: namedParameters lists it under its first name, stateDict under both; loading works with either', () => {
  const a = new nn.Linear(3, 3);
  const b = new nn.Linear(3, 3);
  b.registerParameter('weight', a.getParameter('weight'));
  const m = new nn.Sequential(a, b);
  assert.deepEqual([...m.namedParameters()].map(([k]) => k), ['0.weight', '0.bias', '1.bias']);
  assert.deepEqual([...m.stateDict().keys()], ['0.weight', '0.bias', '1.weight', '1.bias']);
  const state = new Map([...m.stateDict()].map(([k, t]) => [k, t.mul(0).add(2)]));
  m.loadStateDict(state);
  assert.deepEqual(Array.from(b.getParameter('weight')!.data), new Array(9).fill(2));
  // as in PyTorch, without '1.weight' the key is missing (strict raises; not strict reports it)
  state.delete('1.weight');
  assert.throws(() => m.loadStateDict(state), /Missing key\(s\) in state_dict: "1.weight"/);
  assert.deepEqual(m.loadStateDict(state, { strict: false }).missingKeys, ['1.weight']);
});

test('optimizers get each parameter once: from model.parameters(), and from a list that repeats one (with PyTorch\'s warning)', () => {
  const { lin, m } = shared();
  const opt = new optim.SGD(m.parameters(), 0.1);
  assert.equal(opt.paramGroups[0]!.params.length, 4);
  assert.deepEqual(opt.stateDict().param_groups[0]!.params, [0, 1, 2, 3]);
  // one step: the gradient sums both uses of the shared layer, and the weight moves once by lr * grad
  const x = randn(4, 2);
  m.call(x).sum().backward();
  const before = Float32Array.from(lin.getParameter('weight')!.data);
  const grad = Float32Array.from(lin.getParameter('weight')!.grad!.data);
  opt.step();
  const after = lin.getParameter('weight')!.data;
  for (let i = 0; i < before.length; i++) assert.ok(Math.abs(after[i]! - (before[i]! - 0.1 * grad[i]!)) < 1e-6);
  const seen: NormkitWarning[] = [];
  const stop = onWarning((w) => seen.push(w));
  try {
    const p = ones([1]).requiresGrad_();
    const o = new optim.SGD([p, p], 0.1);
    assert.equal(o.paramGroups[0]!.params.length, 1);
    p.sum().backward();
    o.step();
    assert.ok(Math.abs(p.data[0]! - 0.9) < 1e-7);
  } finally {
    stop();
  }
  assert.equal(seen.length, 1);
  assert.match(seen[0]!.message, /^optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github\.com\/pytorch\/pytorch\/issues\/40967 for more information/);
  const q = ones([1]).requiresGrad_();
  assert.throws(() => new optim.SGD([{ params: [q] }, { params: [q] }], 0.1), /some parameters appear in more than one parameter group/);
});
