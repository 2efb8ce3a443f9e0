/** ModuleList / ModuleDict as PyTorch's, and parameter counts; expected reprs, paths and messages from PyTorch 1.13. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { IndexError, KeyError, TypeError, nn } from '../../src/index.js';

test('ModuleList: at (negative too), length, iteration, append, extend, insert, repr', () => {
  const a = new nn.Linear(2, 3);
  const r = new nn.ReLU();
  const l = new nn.ModuleList([a, r]);
  assert.equal(l.length, 2);
  assert.equal(l.at(0), a);
  assert.equal(l.at(-1), r);
  assert.deepEqual([...l], [a, r]);
  assert.equal(l.toString(), 'ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)');
  assert.throws(() => l.at(5), (e) => e instanceof IndexError && e.message === 'index 5 is out of range');
  assert.throws(() => l.at(-3), (e) => e instanceof IndexError && e.message === 'index -3 is out of range');
  assert.throws(() => l.append(3 as never), (e) => e instanceof TypeError && e.message === 'int is not a Module subclass');
  const b = new nn.Linear(3, 1);
  l.append(b).extend([new nn.Identity()]);
  assert.equal(l.length, 4);
  assert.deepEqual([...l.namedModules()].map(([n]) => n), ['', '0', '1', '2', '3']);
  assert.deepEqual([...l.stateDict().keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
  const s = new nn.Sigmoid();
  l.insert(1, s);
  assert.equal(l.at(1), s);
  assert.equal(l.at(2), r);
  assert.equal(l.length, 5);
  // A generator works as PyTorch's iterable argument.
  assert.equal(new nn.ModuleList((function* () { yield new nn.ReLU(); })()).length, 1);
});

test('ModuleDict: by name, PyTorch\'s paths, repr and KeyErrors', () => {
  const d = new nn.ModuleDict({ a: new nn.Linear(2, 2) });
  d.set('b', new nn.Sequential(new nn.Linear(2, 1)));
  assert.equal(d.toString(), 'ModuleDict(\n  (a): Linear(in_features=2, out_features=2, bias=True)\n  (b): Sequential(\n    (0): Linear(in_features=2, out_features=1, bias=True)\n  )\n)');
  assert.deepEqual([...d.namedModules()].map(([n]) => n), ['', 'a', 'b', 'b.0']);
  assert.deepEqual([...d.stateDict().keys()], ['a.weight', 'a.bias', 'b.0.weight', 'b.0.bias']);
  assert.deepEqual(d.keys(), ['a', 'b']);
  assert.deepEqual([...d], ['a', 'b']);
  assert.equal(d.length, 2);
  assert.ok(d.has('a') && !d.has('x'));
  assert.ok(d.get('a') instanceof nn.Linear);
  assert.throws(() => d.get('x'), (e) => e instanceof KeyError && e.message === "'x'");
  assert.throws(() => d.set('a.b', new nn.ReLU()), (e) => e instanceof KeyError && e.message === 'module name can\'t contain ".", got: a.b');
  assert.throws(() => d.set('', new nn.ReLU()), (e) => e instanceof KeyError && e.message === 'module name can\'t be empty string ""');
  assert.throws(() => d.set('c', 3 as never), (e) => e instanceof TypeError && e.message === 'int is not a Module subclass');
  const popped = d.delete('a');
  assert.ok(popped instanceof nn.Linear);
  assert.deepEqual(d.keys(), ['b']);
  d.update([['c', new nn.ReLU()]]).update(new Map([['d', new nn.Identity()]]));
  assert.deepEqual(d.entries().map(([k, m]) => `${k}:${m.typeName}`), ['b:Sequential', 'c:ReLU', 'd:Identity']);
});

test('numParameters counts like sum(p.numel() for p in m.parameters() [if p.requires_grad])', () => {
  const m = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
  (m.at(0).getParameter('bias')!).requiresGrad_(false);
  // PyTorch 1.13: 24 in all, 20 trainable.
  assert.equal(nn.numParameters(m), 24);
  assert.equal(nn.numParameters(m, { trainable: true }), 20);
  assert.equal(nn.numParameters(m, { trainable: false }), 4);
  // A shared module's parameters count once, as parameters() yields them once in PyTorch.
  const shared = new nn.Linear(2, 2);
  assert.equal(nn.numParameters(new nn.ModuleList([shared, shared])), 6);
});

test('console.log(module) prints PyTorch\'s repr', () => {
  const m = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
  assert.equal(inspect(m), m.toString());
  assert.equal(inspect(m), 'Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)');
  assert.equal(inspect({ model: new nn.ReLU() }), '{ model: ReLU() }');
});
