/**
 * Loss modules (PyTorch's `nn.MSELoss`, `nn.L1Loss`, `nn.CrossEntropyLoss`,
 * `nn.BCEWithLogitsLoss`): `loss.call(input, target)`. Class weights are
 * buffers, so they appear in the state dict under PyTorch's names.
 */
import {
  binaryCrossEntropyWithLogits,
  checkReduction,
  crossEntropy,
  l1Loss,
  mseLoss,
  type Reduction,
} from '../ops/loss.js';
import { RuntimeError } from '../errors.js';
import { checkOptions, type OptionSpec } from '../options.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { typeNameOf } from '../type_name.js';

function needTarget(name: string, target: Tensor | undefined): Tensor {
  if (target === undefined) throw new RuntimeError(`${name}.forward() missing 1 required positional argument: 'target'`);
  return target;
}

abstract class Loss extends Module {
  readonly reduction: Reduction;
  /** `spec`: the options a subclass takes besides reduction. */
  constructor(opts: { reduction?: Reduction } = {}, spec: OptionSpec = {}) {
    super();
    checkOptions(typeNameOf(new.target), opts, { reduction: 'string', ...spec }, { position: 1, positional: 'reduction' });
    this.reduction = checkReduction(opts.reduction ?? 'mean');
  }
}

/** Mean squared error: `mean((input - target)^2)` (or its sum, or per element). */
export class MSELoss extends Loss {
  static readonly typeName: string = 'MSELoss';
  forward(input: Tensor, target?: Tensor): Tensor {
    return mseLoss(input, needTarget(this.typeName, target), { reduction: this.reduction });
  }
}

/** Mean absolute error: `mean(|input - target|)`. */
export class L1Loss extends Loss {
  static readonly typeName: string = 'L1Loss';
  forward(input: Tensor, target?: Tensor): Tensor {
    return l1Loss(input, needTarget(this.typeName, target), { reduction: this.reduction });
  }
}

export interface CrossEntropyLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/**
 * Cross entropy of logits against class indices (a tensor of integer-valued
 * floats) or class probabilities; see `F.crossEntropy`.
 */
export class CrossEntropyLoss extends Loss {
  static readonly typeName: string = 'CrossEntropyLoss';
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor(opts: CrossEntropyLossOptions = {}) {
    super(opts, { weight: 'any', ignoreIndex: 'int', labelSmoothing: 'number' });
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    this.registerBuffer('weight', opts.weight ?? null);
  }

  forward(input: Tensor, target?: Tensor): Tensor {
    return crossEntropy(input, needTarget(this.typeName, target), {
      weight: this.getBuffer('weight'),
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

export interface BCEWithLogitsLossOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  posWeight?: Tensor | null;
}

/** Sigmoid + binary cross entropy in one stable expression; see `F.binaryCrossEntropyWithLogits`. */
export class BCEWithLogitsLoss extends Loss {
  static readonly typeName: string = 'BCEWithLogitsLoss';
  constructor(opts: BCEWithLogitsLossOptions = {}) {
    super(opts, { weight: 'any', posWeight: 'any' });
    this.registerBuffer('weight', opts.weight ?? null);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }

  forward(input: Tensor, target?: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, needTarget(this.typeName, target), {
      weight: this.getBuffer('weight'),
      posWeight: this.getBuffer('pos_weight'),
      reduction: this.reduction,
    });
  }
}
