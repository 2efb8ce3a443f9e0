/**
 * Activation layers: ReLU, LeakyReLU, Tanh, Sigmoid, GELU, ELU, ReLU6, SELU,
 * SiLU, Hardswish, Softplus (PReLU, with its learnable weight, is in prelu.ts). `inplace` is
 * accepted for PyTorch compatibility; normkit never modifies its inputs, so
 * the result is the same, in a new tensor.
 */
import { elu, gelu, hardswish, leakyRelu, relu, relu6, selu, sigmoid, silu, softplus, tanh, type GeluApproximate } from '../ops/activation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { py } from './py_repr.js';
import { checkOptions } from '../options.js';
import { typeNameOf } from '../type_name.js';

const INPLACE = { inplace: 'boolean' } as const;

interface InplaceOption {
  inplace?: boolean;
}

export class ReLU extends Module {
  static readonly typeName: string = 'ReLU';
  readonly inplace: boolean;

  constructor(o: InplaceOption = {}) {
    super();
    checkOptions(typeNameOf(new.target), o, INPLACE, { position: 1, positional: 'inplace' });
    this.inplace = o.inplace ?? false;
  }

  forward(x: Tensor): Tensor {
    return relu(x);
  }

  extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

export class LeakyReLU extends Module {
  static readonly typeName: string = 'LeakyReLU';
  readonly negativeSlope: number;
  readonly inplace: boolean;

  constructor(negativeSlope = 0.01, o: InplaceOption = {}) {
    super();
    checkOptions('LeakyReLU', o, INPLACE, { position: 2, positional: 'inplace' });
    this.negativeSlope = negativeSlope;
    this.inplace = o.inplace ?? false;
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  extraRepr(): string {
    return `negative_slope=${py(this.negativeSlope, true)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

export class Tanh extends Module {
  static readonly typeName: string = 'Tanh';
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  static readonly typeName: string = 'Sigmoid';
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** GELU, exact (erf) by default or `{ approximate: 'tanh' }`. */
export class GELU extends Module {
  static readonly typeName: string = 'GELU';
  readonly approximate: GeluApproximate;

  constructor(o: { approximate?: GeluApproximate } = {}) {
    super();
    checkOptions('GELU', o, { approximate: 'string' }, { position: 1, positional: 'approximate' });
    this.approximate = o.approximate ?? 'none';
  }

  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }

  extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class ELU extends Module {
  static readonly typeName: string = 'ELU';
  readonly alpha: number;
  readonly inplace: boolean;

  constructor(alpha = 1, o: InplaceOption = {}) {
    super();
    checkOptions('ELU', o, INPLACE, { position: 2, positional: 'inplace' });
    this.alpha = alpha;
    this.inplace = o.inplace ?? false;
  }

  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  extraRepr(): string {
    return `alpha=${py(this.alpha, true)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** An activation without options but `inplace` (shown in the repr as PyTorch does, unless `showInplace` is false). */
abstract class InplaceActivation extends Module {
  readonly inplace: boolean;
  protected readonly showInplace: boolean = true;

  constructor(o: InplaceOption = {}) {
    super();
    this.inplace = o.inplace ?? false;
  }

  extraRepr(): string {
    return this.inplace && this.showInplace ? 'inplace=True' : '';
  }
}

/** min(max(x, 0), 6). */
export class ReLU6 extends InplaceActivation {
  static readonly typeName: string = 'ReLU6';
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

/** Scaled ELU with PyTorch's fixed alpha (1.6733) and scale (1.0507). */
export class SELU extends InplaceActivation {
  static readonly typeName: string = 'SELU';
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

/** x * sigmoid(x). */
export class SiLU extends InplaceActivation {
  static readonly typeName: string = 'SiLU';
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** x * relu6(x + 3) / 6 (PyTorch's repr never shows `inplace` for it). */
export class Hardswish extends InplaceActivation {
  static readonly typeName: string = 'Hardswish';
  protected override readonly showInplace = false;

  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

/** log(1 + exp(beta x)) / beta, linear where beta x > threshold. */
export class Softplus extends Module {
  static readonly typeName: string = 'Softplus';
  readonly beta: number;
  readonly threshold: number;

  constructor(beta = 1, threshold = 20) {
    super();
    this.beta = beta;
    this.threshold = threshold;
  }

  forward(x: Tensor): Tensor {
    return softplus(x, this.beta, this.threshold);
  }

  extraRepr(): string {
    return `beta=${py(this.beta)}, threshold=${py(this.threshold)}`;
  }
}
