/**
 * Bounded run of the public-API fuzz (see fuzz_api.ts; `npm run fuzz` runs the
 * same property many more times): every call returns a well-formed tensor or
 * throws a NormkitError, quickly; huge sizes are refused before allocating.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../src/tensor/methods.js';
import { RuntimeError, TypeError } from '../../src/errors.js';
import { MAX_NUMEL } from '../../src/tensor/shape.js';
import * as nk from '../../src/index.js';
import { apiProperty, quietly } from './fuzz_api.js';

test('fuzz: every call over the public API returns a tensor or throws a NormkitError (bounded, seeded)', () => {
  const stats = new Map<string, number>();
  quietly(() => fc.assert(apiProperty(stats), { numRuns: Number(process.env['FUZZ_TEST_RUNS'] ?? 1500), seed: 20261201 }));
  assert.equal(stats.get('UNTYPED') ?? 0, 0);
  assert.ok((stats.get('ok') ?? 0) > 100, 'a good share of calls succeed');
  assert.ok((stats.get('NormkitError') ?? 0) > 100, 'and a good share are refused');
});

test('huge sizes are refused with a RuntimeError before anything is allocated', () => {
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const refused = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof RuntimeError && /can't allocate memory|overflowed/.test(e.message));
  refused(() => nk.zeros([MAX_NUMEL + 1]));
  refused(() => nk.zeros([2 ** 16, 2 ** 16]));
  refused(() => nk.ones([2 ** 40, 2 ** 40]));
  refused(() => nk.randn([1e10]));
  refused(() => nk.full([46341, 46341], 1));
  refused(() => nk.arange(0, 1e10));
  refused(() => nk.linspace(0, 1, 2 ** 31));
  refused(() => nk.tensor([1]).expand(2 ** 31));
  refused(() => nk.add(nk.zeros([46341, 1]), nk.zeros([1, 46341])));
  refused(() => nk.matmul(nk.zeros([46341, 1]), nk.zeros([1, 46341])));
  refused(() => nk.F.interpolate(nk.zeros([1, 1, 2, 2]), { scaleFactor: 1e5 }));
  refused(() => nk.F.pad(nk.zeros([1, 1, 2, 2]), [2 ** 31, 0]));
  refused(() => new nk.nn.BatchNorm2d(1e10));
  refused(() => new nk.nn.Linear(1e5, 1e5));
  assert.ok(performance.now() - t0 < 1000);
  assert.ok(process.memoryUsage().rss - before < 200e6, 'nothing big was allocated');
});

test("the issue's untyped errors are NormkitErrors with PyTorch's messages", () => {
  const x6 = nk.randn([6]);
  const is = (f: () => unknown, cls: new (...a: never[]) => Error, msg: string) =>
    assert.throws(f, (e: unknown) => e instanceof cls && (e as Error).message === msg);
  is(() => x6.expand(-2, 6), RuntimeError, 'numel: integer multiplication overflow');
  is(() => x6.expand(NaN, 6), TypeError, "expand(): argument 'size' (position 1) must be tuple of SymInts, not float");
  is(() => x6.expand([NaN, 6]), TypeError, "expand(): argument 'size' (position 1) must be tuple of SymInts, not list");
  is(() => nk.F.groupNorm(nk.randn([2, 4, 3]), -2), RuntimeError, 'Expected num groups to be greater than 0, got -2');
  is(() => nk.F.groupNorm(nk.randn([2, 4, 3]), 2.5), TypeError, "group_norm(): argument 'num_groups' (position 2) must be int, not float");
  is(() => nk.F.groupNorm(nk.randn([2, 4, 3]), 0), nk.ZeroDivisionError, 'integer division or modulo by zero');
  is(() => nk.zeros([Infinity]), TypeError, "zeros(): argument 'size' (position 1) must be tuple of SymInts, not list");
  is(() => nk.arange(0, Infinity), RuntimeError, 'unsupported range: 0 -> inf');
  is(() => nk.arange(0, 5, -1), RuntimeError, 'upper bound and larger bound inconsistent with step sign');
  is(() => nk.linspace(0, 1, -1), RuntimeError, 'number of steps must be non-negative');
  is(() => nk.linspace(0, 1, 2.5), TypeError, "linspace(): argument 'steps' (position 3) must be int, not float");
  assert.throws(() => new nk.nn.BatchNorm2d(1e10), (e: unknown) => e instanceof RuntimeError && e.message.startsWith("DefaultCPUAllocator: can't allocate memory: you tried to allocate 40000000000 bytes"));
  is(() => nk.cat([x6, 3 as never]), TypeError, 'expected Tensor as element 1 in argument 0, but got int');
  is(() => nk.cat(null as never), TypeError, "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not NoneType");
  is(() => x6.matmul(3 as never), TypeError, "matmul(): argument 'other' (position 1) must be Tensor, not int");
  is(() => x6.mul('a' as never), TypeError, "mul(): argument 'other' (position 1) must be Tensor, not str");
  is(() => nk.full([2], 'a' as never), TypeError, "full(): argument 'fill_value' (position 2) must be Number, not str");
  is(() => x6.reshape(2.5, 2), TypeError, "reshape(): argument 'shape' (position 1) must be tuple of SymInts, not float");
  is(() => x6.reshape(-2, 3), RuntimeError, 'invalid shape dimension -2');
  const y = nk.mul(nk.tensor([1, 2, 3], { requiresGrad: true }), 2);
  is(() => y.backward([1, 1, 1] as never), TypeError, 'gradients can be either Tensors or None, but got int');
});

test('slice refuses fractional indices (PyTorch\'s TypeError) instead of picking other elements', () => {
  const x = nk.tensor([1, 2, 3, 4], { requiresGrad: true });
  const msg = 'slice indices must be integers or None or have an __index__ method';
  for (const args of [[0, 0.5, 4, 1.5], [0, 0.5], [0, 0, 3.5], [0, 0, 4, 1.5], [0, NaN], [0, 0, Infinity]] as const) {
    assert.throws(() => x.slice(...(args as unknown as [number])), (e: unknown) => e instanceof TypeError && e.message === msg);
  }
  assert.throws(() => x.slice(0.5, 0, 2), TypeError);
  const s = x.slice(0, 1, 4, 2);
  assert.deepEqual(Array.from(s.data), [2, 4]);
  nk.sum(s).backward();
  assert.deepEqual(Array.from(x.grad!.data), [0, 1, 0, 1]);
  // integers beyond the size clamp as in Python
  assert.deepEqual(Array.from(x.slice(0, -100, 1e12).data), [1, 2, 3, 4]);
});
