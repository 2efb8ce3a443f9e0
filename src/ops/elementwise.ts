/**
 * Elementwise ops with broadcasting. Shape rule: `broadcastShapes`; gradients
 * are summed back to each input's shape by `sumTo`.
 */
import { record } from '../autograd/record.js';
import { mapBinary, mapUnary, unaryLoop, type Arith, type UnaryOp } from '../kernels/elementwise.js';
import { activationForward, hardtanh } from '../kernels/activations.js';
import { addLayer } from '../kernels/layer_threads.js';
import { broadcastShapes, checkNumel, numel, sameShape } from '../tensor/shape.js';
import { Tensor, assertTensor, assertTensorArg } from '../tensor/tensor.js';
import { TypeError, pyTypeName } from '../errors.js';
import { sumTo } from './reduce.js';
import { anyMeta, lift, liftOther, type TensorLike } from './util.js';
import { propagateElementwiseFacts } from './meta_facts.js';

type BinaryGrad = (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null];

/** `same`: the op's own loop for two inputs of one shape (no broadcasting), giving f's values. */
function binary(name: string, f: (x: number, y: number) => number, grad: BinaryGrad, same?: (a: Float32Array, b: Float32Array) => Float32Array, op?: Arith) {
  return (x: TensorLike, y: TensorLike): Tensor => {
    const a = lift(x, `${name}: input`);
    const b = liftOther(y, name);
    const shape = broadcastShapes(a.shape, b.shape);
    if (anyMeta(a, b)) return Tensor.meta(shape, propagateElementwiseFacts([a, b]));
    checkNumel(numel(shape), shape);
    const n = numel(shape);
    const flat = same !== undefined && a.data.length === n && b.data.length === n && sameShape(a.shape, b.shape);
    const out = new Tensor(flat ? same(a.data, b.data) : mapBinary(a.data, a.shape, b.data, b.shape, shape, f, op), shape);
    return record(out, [a, b], name, (g) => {
      const [ga, gb] = grad(g, a, b, out);
      return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
    });
  };
}

/** `op`: the op's own loop (kernels/elementwise.ts unaryLoop), giving f's values. */
function unary(name: string, f: (x: number) => number, grad: (g: Tensor, x: Tensor, out: Tensor) => Tensor, op?: UnaryOp) {
  return (x: Tensor): Tensor => {
    const a = lift(x, `${name}: input`);
    if (a.isMeta) return Tensor.meta(a.shape, propagateElementwiseFacts([a]));
    const out = new Tensor(op ? unaryLoop(op, a.data) : mapUnary(a.data, f), a.shape);
    return record(out, [a], name, (g) => [grad(g, a, out)]);
  };
}

export const add = binary('add', (x, y) => x + y, (g) => [g, g], addLayer, 'add');
export const sub = binary('sub', (x, y) => x - y, (g) => [g, neg(g)], undefined, 'sub');
export const mul = binary('mul', (x, y) => x * y, (g, a, b) => [mul(g, b), mul(g, a)], undefined, 'mul');
export const div = binary('div', (x, y) => x / y, (g, a, b) => [div(g, b), neg(div(mul(g, a), mul(b, b)))], undefined, 'div');
export const pow = binary('pow', (x, y) => Math.pow(x, y), (g, a, b, out) => [
  mul(g, mul(b, pow(a, sub(b, 1)))),
  b.requiresGrad ? mul(g, mul(out, log(a))) : null,
]);
export const maximum = binary('maximum', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y)), (g, a, b) => {
  const ta = mapBinary(a.data, a.shape, b.data, b.shape, g.shape, (x, y) => (x > y ? 1 : x === y ? 0.5 : 0));
  const w = new Tensor(ta, g.shape);
  return [mul(g, w), mul(g, sub(1, w))];
});
export const minimum = binary('minimum', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y)), (g, a, b) => {
  const ta = mapBinary(a.data, a.shape, b.data, b.shape, g.shape, (x, y) => (x < y ? 1 : x === y ? 0.5 : 0));
  const w = new Tensor(ta, g.shape);
  return [mul(g, w), mul(g, sub(1, w))];
});

export const neg = unary('neg', (x) => -x, (g) => neg(g), 'neg');
export const exp = unary('exp', Math.exp, (g, _x, out) => mul(g, out), 'exp');
export const log = unary('log', Math.log, (g, x) => div(g, x), 'log');
export const sqrt = unary('sqrt', Math.sqrt, (g, _x, out) => div(g, mul(out, 2)), 'sqrt');
export const rsqrt = unary('rsqrt', (x) => 1 / Math.sqrt(x), (g, _x, out) => mul(g, mul(pow(out, 3), -0.5)), 'rsqrt');
export const abs = unary('abs', Math.abs, (g, x) => mul(g, sign(x)), 'abs');
export const square = (x: Tensor): Tensor => mul(x, x);
export const reciprocal = unary('reciprocal', (x) => 1 / x, (g, _x, out) => neg(mul(g, mul(out, out))), 'reciprocal');

/** Sign (no gradient). */
export function sign(x: Tensor): Tensor {
  assertTensor(x, 'sign: input');
  if (x.isMeta) return Tensor.meta(x.shape, propagateElementwiseFacts([x]));
  return new Tensor(mapUnary(x.data, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0)), x.shape);
}

export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  assertTensor(x, 'clamp: input');
  for (const v of [min, max] as unknown[]) {
    if (v !== undefined && v !== null && typeof v !== 'number') {
      throw new TypeError(`clamp() received an invalid combination of arguments - got (${pyTypeName(v)}), but expected one of: (Number min, Number max)`, { kind: 'argument' });
    }
  }
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (x.isMeta) return Tensor.meta(x.shape, propagateElementwiseFacts([x]));
  // min(max(x, lo), hi): NaN kept, and all of it hi when lo > hi (PyTorch's rule); SIMD where it can (kernels/activations.ts)
  const out = new Tensor(activationForward(hardtanh(lo, hi), x.data), x.shape);
  return record(out, [x], 'clamp', (g) => [
    mul(g, new Tensor(mapUnary(x.data, (v) => (v >= lo && v <= hi ? 1 : 0)), x.shape)),
  ]);
}

/** `where(cond != 0, a, b)`; cond is not differentiated. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  assertTensorArg(cond, 'where', 'condition', 1);
  const ta = lift(a);
  const tb = lift(b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape), tb.shape);
  if (anyMeta(cond, ta, tb)) return Tensor.meta(shape, propagateElementwiseFacts([cond, ta, tb]));
  const c = mapBinary(cond.data, cond.shape, new Float32Array(1), [1], shape, (v) => (v !== 0 ? 1 : 0));
  const ct = new Tensor(c, shape);
  const va = mapBinary(ta.data, ta.shape, new Float32Array(1), [1], shape, (v) => v);
  const vb = mapBinary(tb.data, tb.shape, new Float32Array(1), [1], shape, (v) => v);
  const exact = new Float32Array(c.length);
  for (let i = 0; i < c.length; i++) exact[i] = c[i] ? va[i]! : vb[i]!;
  const res = new Tensor(exact, shape);
  return record(res, [ta, tb], 'where', (g) => [mul(g, ct), mul(g, sub(1, ct))]);
}
