/** Activations: values (erf to float64 accuracy), PyTorch's gradients at the kinks, finite differences, meta facts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tensor } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { elu, erf, gelu, leakyRelu, relu, sigmoid, tanh } from '../../src/ops/activation.js';
import { ELU, GELU, LeakyReLU, ReLU } from '../../src/nn/activation.js';
import { assertClose, checkGradients } from '../helpers.js';

test('erf matches tabulated values to ~1e-15', () => {
  const table: [number, number][] = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [3, 0.9999779095030014],
    [-1.5, -0.9661051464753108],
  ];
  for (const [x, want] of table) assert.ok(Math.abs(erf(x) - want) < 1e-14, `erf(${x}) = ${erf(x)}, want ${want}`);
  assert.equal(erf(7), 1);
  assert.ok(Number.isNaN(erf(NaN)));
});

test('values: relu, leaky_relu, tanh, sigmoid, gelu (erf and tanh forms), elu', () => {
  const x = tensor([-2, -0.5, 0, 0.5, 3]);
  assert.deepEqual([...relu(x).data], [0, 0, 0, 0.5, 3]);
  assertClose(leakyRelu(x, 0.2), [-0.4, -0.1, 0, 0.5, 3]);
  assertClose(tanh(x), [...x.data].map(Math.tanh));
  assertClose(sigmoid(x), [...x.data].map((v) => 1 / (1 + Math.exp(-v))));
  // GELU(x) = x * Phi(x); Phi(-2) = 0.022750131948179, Phi(0.5) = 0.691462461274013
  assertClose(gelu(x), [-2 * 0.022750131948179, -0.5 * 0.308537538725987, 0, 0.5 * 0.691462461274013, 3 * 0.998650101968370], 1e-7, 1e-6);
  assertClose(gelu(x, 'tanh'), [-0.04540230591222, -0.15428599, 0, 0.34571401, 2.99636306], 1e-6, 1e-5);
  assertClose(elu(x, 1.5), [1.5 * Math.expm1(-2), 1.5 * Math.expm1(-0.5), 0, 0.5, 3]);
  assert.ok(Number.isNaN(relu(tensor([NaN])).item()));
});

test('gradients at the kinks follow PyTorch (relu: 0 at 0; leaky_relu: slope at 0; elu: alpha at 0)', () => {
  const grad = (f: (t: Tensor) => Tensor) => {
    const t = tensor([0], { requiresGrad: true });
    f(t).backward(tensor([1]));
    return t.grad!.item();
  };
  assert.equal(grad(relu), 0);
  assert.ok(Math.abs(grad((t) => leakyRelu(t, 0.2)) - 0.2) < 1e-7);
  assert.equal(grad((t) => elu(t, 2)), 2);
  assert.equal(grad((t) => gelu(t)), 0.5);
});

test('activation gradients match finite differences', () => {
  manualSeed(31);
  const x = randn([3, 4]);
  for (const f of [
    (t: Tensor) => leakyRelu(t, 0.1),
    tanh,
    sigmoid,
    (t: Tensor) => gelu(t),
    (t: Tensor) => gelu(t, 'tanh'),
    (t: Tensor) => elu(t, 0.7),
  ]) {
    checkGradients(f, [x]);
  }
  // relu away from its kink
  checkGradients(relu, [tensor([-1.3, -0.2, 0.4, 2.2])]);
});

test('meta: activations keep facts (pointwise); modules repr as PyTorch', () => {
  const c = Tensor.meta([2, 3, 4, 4], { spatiallyConstant: true, constantSince: '1' });
  for (const f of [relu, tanh, sigmoid, (t: Tensor) => gelu(t), (t: Tensor) => elu(t)]) {
    const y = f(c);
    assert.ok(y.isMeta);
    assert.deepEqual(y.facts, { spatiallyConstant: true, constantSince: '1' });
  }
  assert.equal(new LeakyReLU(0.2).toString(), 'LeakyReLU(negative_slope=0.2)');
  assert.equal(new ReLU({ inplace: true }).toString(), 'ReLU(inplace=True)');
  assert.equal(new GELU().toString(), "GELU(approximate='none')");
  assert.equal(new ELU().toString(), 'ELU(alpha=1.0)');
});
