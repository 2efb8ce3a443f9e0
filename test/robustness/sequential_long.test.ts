/** A flat Sequential of 100,000 layers: built from an array, run, listed, saved and printed without recursing per layer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/tensor/methods.js';
import { TypeError } from '../../src/errors.js';
import { tensor } from '../../src/tensor/creation.js';
import { Sequential, ModuleList } from '../../src/nn/container.js';
import { Identity } from '../../src/nn/identity.js';
import { Linear } from '../../src/nn/linear.js';
import { BatchNorm1d } from '../../src/nn/batchnorm.js';

test('new Sequential([a, b]) equals new Sequential(a, b)', () => {
  const a = new Linear(2, 3);
  const b = new BatchNorm1d(3);
  const s1 = new Sequential([a, b]);
  const s2 = new Sequential(a, b);
  assert.equal(s1.length, 2);
  assert.deepEqual([...s1.stateDict().keys()], [...s2.stateDict().keys()]);
  assert.equal(s1.toString(), s2.toString());
  assert.equal(new Sequential([]).length, 0);
});

test("members that are not modules: PyTorch's TypeError", () => {
  const msg = (m: string) => (e: unknown) => e instanceof TypeError && e.message === m && e.kind === 'argument';
  assert.throws(() => new Sequential(3 as never), msg('int is not a Module subclass'));
  assert.throws(() => new Sequential([new Identity(), 'x'] as never), msg('str is not a Module subclass'));
  assert.throws(() => new Sequential([[new Identity()]] as never), msg('list is not a Module subclass'));
  assert.throws(() => new Sequential().append(null as never), msg('NoneType is not a Module subclass'));
  assert.throws(() => new ModuleList([1.5] as never), msg('float is not a Module subclass'));
});

test('100,000 Identity layers: build, forward, namedModules, stateDict, train/eval and toString in a few seconds', () => {
  const t0 = performance.now();
  const layers = Array.from({ length: 100_000 }, () => new Identity());
  const seq = new Sequential(layers);
  assert.equal(seq.length, 100_000);
  const x = tensor([1, 2, 3]);
  assert.equal(seq.call(x), x);
  const names = [...seq.namedModules()].map(([n]) => n);
  assert.equal(names.length, 100_001);
  assert.deepEqual(names.slice(0, 3), ['', '0', '1']);
  assert.equal(names[100_000], '99999');
  assert.equal(seq.stateDict().size, 0);
  seq.eval();
  assert.equal(layers[99_999]!.training, false);
  const s = seq.toString();
  assert.ok(s.startsWith('Sequential(\n  (0): Identity()\n  (1): Identity()\n'));
  assert.ok(s.endsWith('  (99999): Identity()\n)'));
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `${ms} ms`);
});

test('a long Sequential with parameters: the state dict lists every layer in order', () => {
  const seq = new Sequential(Array.from({ length: 20_000 }, () => new BatchNorm1d(1)));
  const keys = [...seq.stateDict().keys()];
  assert.equal(keys.length, 20_000 * 5);
  assert.deepEqual(keys.slice(0, 5), ['0.weight', '0.bias', '0.running_mean', '0.running_var', '0.num_batches_tracked']);
  assert.equal(keys[keys.length - 1], '19999.num_batches_tracked');
});
