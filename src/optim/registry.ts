/** Optimizers by PyTorch name, built from snake_case args (used by the oracle and the CLI). */
import { SpecError, fmtValue } from '../errors.js';
import { ArgReader } from '../spec/args.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import { SGD } from './sgd.js';

export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
}

function betas(a: ArgReader, name: string): [number, number] {
  const v = a.optNumberOrList('betas');
  if (v === undefined) return [0.9, 0.999];
  if (!Array.isArray(v) || v.length !== 2) throw new SpecError(a.path, `${name}: argument 'betas' must be a list of 2 numbers, got ${fmtValue(v)}`);
  return [v[0]!, v[1]!];
}

const builders: Record<string, (params: Tensor[], a: ArgReader) => OptimizerLike> = {
  SGD: (params, a) =>
    new SGD(params, {
      lr: a.float('lr'),
      momentum: a.float('momentum', 0),
      dampening: a.float('dampening', 0),
      weightDecay: a.float('weight_decay', 0),
      nesterov: a.bool('nesterov', false),
      maximize: a.bool('maximize', false),
    }),
  Adam: (params, a) =>
    new Adam(params, {
      lr: a.float('lr', 1e-3),
      betas: betas(a, 'Adam'),
      eps: a.float('eps', 1e-8),
      weightDecay: a.float('weight_decay', 0),
      amsgrad: a.bool('amsgrad', false),
      maximize: a.bool('maximize', false),
    }),
  AdamW: (params, a) =>
    new AdamW(params, {
      lr: a.float('lr', 1e-3),
      betas: betas(a, 'AdamW'),
      eps: a.float('eps', 1e-8),
      weightDecay: a.float('weight_decay', 1e-2),
      amsgrad: a.bool('amsgrad', false),
      maximize: a.bool('maximize', false),
    }),
};

export function knownOptimizers(): string[] {
  return Object.keys(builders);
}

/**
 * Builds `name` (PyTorch's class name: SGD, Adam, AdamW) over `params` from
 * PyTorch's keyword arguments. Unknown or mistyped arguments raise SpecError;
 * an unknown name gives undefined.
 */
export function optimizerFromArgs(name: string, params: Tensor[], args: Record<string, unknown>): OptimizerLike | undefined {
  const build = builders[name];
  if (build === undefined) return undefined;
  const reader = new ArgReader(args, '', name);
  // `foreach` picks an implementation strategy in PyTorch; the result is the same.
  reader.ignore('foreach');
  const opt = build(params, reader);
  reader.done();
  return opt;
}
