/**
 * Activation layers: ReLU, LeakyReLU, Tanh, Sigmoid, GELU, ELU. `inplace` is
 * accepted for PyTorch compatibility; normkit never modifies its inputs, so
 * the result is the same, in a new tensor.
 */
import { elu, gelu, leakyRelu, relu, sigmoid, tanh, type GeluApproximate } from '../ops/activation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { py } from './py_repr.js';
import { checkOptions } from '../options.js';

const INPLACE = { inplace: 'boolean' } as const;

interface InplaceOption {
  inplace?: boolean;
}

export class ReLU extends Module {
  readonly inplace: boolean;

  constructor(o: InplaceOption = {}) {
    super();
    checkOptions(new.target.name, o, INPLACE, { position: 1, positional: 'inplace' });
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
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** GELU, exact (erf) by default or `{ approximate: 'tanh' }`. */
export class GELU extends Module {
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
