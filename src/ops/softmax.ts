/**
 * `softmax(x, dim)` and `logSoftmax(x, dim)` (PyTorch's `F.softmax`,
 * `F.log_softmax`). Both subtract the row maximum first, so large logits do
 * not overflow. Gradients:
 *   log_softmax: dx = g - softmax(x) * sum(g, dim)
 *   softmax:     dx = y * (g - sum(g * y, dim))
 */
import { record } from '../autograd/record.js';
import { softmaxAxis } from '../kernels/softmax.js';
import { normDim, numel } from '../tensor/shape.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { exp, mul, sub } from './elementwise.js';
import { sum } from './reduce.js';

/** [outer, len, inner] around axis `d`. */
function axisLayout(shape: readonly number[], d: number): [number, number, number] {
  if (shape.length === 0) return [1, 1, 1];
  return [numel(shape.slice(0, d)), shape[d]!, numel(shape.slice(d + 1))];
}

function run(x: Tensor, dim: number, log: boolean): Tensor {
  assertTensor(x, log ? 'log_softmax(): input' : 'softmax(): input');
  const d = normDim(dim, x.ndim);
  // A softmax over a spatially constant plane is constant too: facts carry over.
  if (x.isMeta) return Tensor.meta(x.shape, x.facts);
  const [outer, len, inner] = axisLayout(x.shape, d);
  const out = new Tensor(softmaxAxis(x.data, outer, len, inner, log), x.shape);
  const rd = x.ndim === 0 ? [] : [d];
  if (log) {
    return record(out, [x], 'log_softmax', (g) => [sub(g, mul(exp(out), sum(g, rd, { keepdim: true })))]);
  }
  return record(out, [x], 'softmax', (g) => [mul(out, sub(g, sum(mul(g, out), rd, { keepdim: true })))]);
}

/** `exp(x_i) / sum_j exp(x_j)` along `dim`. */
export function softmax(x: Tensor, dim: number): Tensor {
  return run(x, dim, false);
}

/** `x_i - log(sum_j exp(x_j))` along `dim`, computed stably (never `log(softmax(x))`). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return run(x, dim, true);
}
