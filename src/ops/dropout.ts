/**
 * `dropout(x, p, training)` (PyTorch's `F.dropout`): in training, each element
 * is kept with probability 1 - p (from the seedable generator) and scaled by
 * 1 / (1 - p); otherwise the input is returned unchanged.
 */
import { record } from '../autograd/record.js';
import { ValueError } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';

export function checkDropoutP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
}

export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  assertTensor(x, 'input');
  checkDropoutP(p);
  if (!training || p === 0 || x.numel() === 0) return x;
  // A random mask breaks any spatial constancy.
  if (x.isMeta) return Tensor.meta(x.shape);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = new Float32Array(x.numel());
  for (let i = 0; i < mask.length; i++) mask[i] = generator.random() < p ? 0 : scale;
  const xd = x.data;
  const od = new Float32Array(xd.length);
  for (let i = 0; i < od.length; i++) od[i] = xd[i]! * mask[i]!;
  return record(new Tensor(od, x.shape), [x], 'dropout', (g) => {
    const gd = g.data;
    const gx = new Float32Array(gd.length);
    for (let i = 0; i < gx.length; i++) gx[i] = gd[i]! * mask[i]!;
    return [new Tensor(gx, x.shape)];
  });
}
