/**
 * `dropout(x, p, training)` (PyTorch's `F.dropout`): in training, each element
 * is kept with probability 1 - p (from the seedable generator) and scaled by
 * 1 / (1 - p); otherwise the input is returned unchanged.
 */
import { record } from '../autograd/record.js';
import { RuntimeError, TypeError, ValueError, pyTypeName } from '../errors.js';
import { checkOptions, isOptionsObject } from '../options.js';
import { checkNumberArg } from '../tensor/shape.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';

export function checkDropoutP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`, { kind: 'argument' });
}

/** PyTorch's keyword arguments of F.dropout / F.dropout2d, as an options object. */
export interface DropoutFnOptions {
  p?: number;
  training?: boolean;
  /** Accepted for PyTorch compatibility; normkit never modifies its inputs. */
  inplace?: boolean;
  generator?: Generator;
}

/** (p, training, generator) from the positional form or PyTorch's keywords (`dropout(x, { p: 0.2, training: false })`), kinds checked as PyTorch's. */
function dropoutArgs(fn: string, p: number | DropoutFnOptions, training: boolean, generator: Generator): [number, boolean, Generator] {
  if (isOptionsObject(p)) {
    const o = checkOptions<DropoutFnOptions>(fn, p, { p: 'number', training: 'boolean', inplace: 'boolean', generator: 'any' }, { position: 2 });
    [p, training, generator] = [o.p ?? 0.5, o.training ?? true, o.generator ?? defaultGenerator];
  }
  checkNumberArg(p, fn, 'p', 2);
  if (typeof training !== 'boolean') throw new TypeError(`${fn}(): argument 'train' (position 3) must be bool, not ${pyTypeName(training)}`, { kind: 'argument' });
  return [p, training, generator];
}

export function dropout(x: Tensor, pOrOptions: number | DropoutFnOptions = 0.5, trainingArg = true, generatorArg: Generator = defaultGenerator): Tensor {
  assertTensor(x, 'input');
  const [p, training, generator] = dropoutArgs('dropout', pOrOptions, trainingArg, generatorArg);
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

/**
 * `dropout2d(x, p, training)` (PyTorch's `F.dropout2d`, ATen's feature_dropout):
 * in training, each whole channel plane x[n, c] is kept with probability 1 - p
 * and scaled by 1 / (1 - p). As in PyTorch 1.13 a 3-D input is read as
 * [N, C, L] (channel-wise 1-D dropout), and any input of 2 or more dims drops
 * along dims 0 and 1. Identity in eval. A kept or zeroed plane is one scalar
 * times its input plane, so meta execution keeps the input's facts.
 */
export function dropout2d(x: Tensor, pOrOptions: number | DropoutFnOptions = 0.5, trainingArg = true, generatorArg: Generator = defaultGenerator): Tensor {
  assertTensor(x, 'input');
  const [p, training, generator] = dropoutArgs('dropout2d', pOrOptions, trainingArg, generatorArg);
  checkDropoutP(p);
  if (!training) return x;
  if (x.ndim < 2) throw new RuntimeError('Feature dropout requires at least 2 dimensions in the input', { inputSize: x.shape, kind: 'rank' });
  if (p === 0 || x.numel() === 0) return x;
  if (x.isMeta) return Tensor.meta(x.shape, x.facts);
  const planes = x.shape[0]! * x.shape[1]!;
  const inner = x.numel() / planes;
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = new Float32Array(planes);
  for (let i = 0; i < planes; i++) mask[i] = generator.random() < p ? 0 : scale;
  const apply = (src: Float32Array) => {
    const out = new Float32Array(src.length);
    for (let pl = 0, o = 0; pl < planes; pl++) {
      const m = mask[pl]!;
      for (let i = 0; i < inner; i++, o++) out[o] = src[o]! * m;
    }
    return out;
  };
  return record(new Tensor(apply(x.data), x.shape), [x], 'dropout2d', (g) => [new Tensor(apply(g.data), x.shape)]);
}
