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
import { checkArgument, checkOptions, isOptionsObject } from '../options.js';
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

/**
 * A first argument by position (`new LeakyReLU(0.2)`, PyTorch's
 * `LeakyReLU(0.2)`) or all of them as PyTorch's keywords
 * (`new LeakyReLU({ negativeSlope: 0.2, inplace: true })`); kinds checked.
 */
function firstOrKeywords<K extends string>(where: string, first: unknown, rest: object, name: K, spec: Record<K | 'inplace', 'number' | 'boolean'>, dflt: number): { value: number; inplace: boolean } {
  if (isOptionsObject(first)) {
    const o = checkOptions(where, first as Record<string, unknown>, spec, { position: 1 });
    return { value: (o[name] as number | undefined) ?? dflt, inplace: (o['inplace'] as boolean | undefined) ?? false };
  }
  checkArgument(where, name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), first, 'number');
  const o = checkOptions(where, rest as InplaceOption, INPLACE, { position: 2, positional: 'inplace' });
  return { value: first as number, inplace: o.inplace ?? false };
}

export class LeakyReLU extends Module {
  static readonly typeName: string = 'LeakyReLU';
  readonly negativeSlope: number;
  readonly inplace: boolean;

  /** `new LeakyReLU(0.2)`, `new LeakyReLU(0.2, { inplace })` or `new LeakyReLU({ negativeSlope: 0.2 })`. */
  constructor(negativeSlope: number | { negativeSlope?: number; inplace?: boolean } = 0.01, o: InplaceOption = {}) {
    super();
    const a = firstOrKeywords('LeakyReLU', negativeSlope, o, 'negativeSlope', { negativeSlope: 'number', inplace: 'boolean' }, 0.01);
    this.negativeSlope = a.value;
    this.inplace = a.inplace;
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

  /** `new ELU(0.5)`, `new ELU(0.5, { inplace })` or `new ELU({ alpha: 0.5 })`. */
  constructor(alpha: number | { alpha?: number; inplace?: boolean } = 1, o: InplaceOption = {}) {
    super();
    const a = firstOrKeywords('ELU', alpha, o, 'alpha', { alpha: 'number', inplace: 'boolean' }, 1);
    this.alpha = a.value;
    this.inplace = a.inplace;
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
    checkOptions(new.target.name, o, INPLACE, { position: 1, positional: 'inplace' });
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

  /** `new Softplus(2, 10)` (PyTorch's positional beta, threshold) or `new Softplus({ beta: 2, threshold: 10 })`. */
  constructor(beta: number | { beta?: number; threshold?: number } = 1, threshold = 20) {
    super();
    if (isOptionsObject(beta)) {
      const o = checkOptions('Softplus', beta as { beta?: number; threshold?: number }, { beta: 'number', threshold: 'number' }, { position: 1 });
      [beta, threshold] = [o.beta ?? 1, o.threshold ?? 20];
    }
    checkArgument('Softplus', 'beta', beta, 'number');
    checkArgument('Softplus', 'threshold', threshold, 'number');
    this.beta = beta as number;
    this.threshold = threshold;
  }

  forward(x: Tensor): Tensor {
    return softplus(x, this.beta, this.threshold);
  }

  extraRepr(): string {
    return `beta=${py(this.beta)}, threshold=${py(this.threshold)}`;
  }
}
