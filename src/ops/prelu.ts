/**
 * `prelu(x, weight)` (PyTorch's `F.prelu`): x for x > 0, else weight * x, with
 * a weight of one value or one per channel (dim 1; a 1-D input has one channel).
 * The shape rule `preluCheck` holds PyTorch's checks; meta inputs keep their
 * facts (a per-channel slope cannot mix positions).
 */
import { record } from '../autograd/record.js';
import { RuntimeError } from '../errors.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { propagateElementwiseFacts } from './meta_facts.js';

/** PyTorch 1.13's prelu checks on the input and weight shapes. */
export function preluCheck(input: Shape, weight: Shape): void {
  if (weight.length > 1) {
    throw new RuntimeError(`prelu: Expected \`weight\` to be a scalar or 1D tensor, but got ndim = ${weight.length}`, { inputSize: input, kind: 'argument' });
  }
  const w = weight.length === 0 ? 1 : weight[0]!;
  if (w === 1) return;
  if (input.length === 0) throw new RuntimeError('Not allow zero-dim input tensor.', { inputSize: input, kind: 'rank' });
  const channels = input.length >= 2 ? input[1]! : 1;
  if (w !== channels) {
    throw new RuntimeError(`Mismatch of parameter numbers and input channel size. Found parameter numbers = ${w} and channel size = ${channels}.`, {
      inputSize: input,
      kind: 'channels',
    });
  }
}

export function prelu(x: Tensor, weight: Tensor): Tensor {
  assertTensor(x, 'input');
  assertTensor(weight, 'weight');
  preluCheck(x.shape, weight.shape);
  if (x.isMeta || weight.isMeta) return Tensor.meta(x.shape, propagateElementwiseFacts([x]));
  const xd = x.data;
  const wd = weight.data;
  const C = wd.length;
  const inner = C === 1 ? xd.length : x.shape.slice(2).reduce((a, b) => a * b, 1);
  const ch = (i: number) => (C === 1 ? 0 : Math.floor(i / inner) % C);
  const od = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i]!;
    od[i] = v > 0 ? v : wd[ch(i)]! * v;
  }
  return record(new Tensor(od, x.shape), [x, weight], 'prelu', (g) => {
    const gd = g.data;
    const gx = new Float32Array(xd.length);
    const gw = new Float64Array(C);
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i]!;
      const c = ch(i);
      if (v > 0) gx[i] = gd[i]!;
      else {
        gx[i] = wd[c]! * gd[i]!;
        gw[c] = gw[c]! + v * gd[i]!;
      }
    }
    return [new Tensor(gx, x.shape), new Tensor(Float32Array.from(gw), weight.shape)];
  });
}
