/**
 * `PReLU(numParameters = 1, init = 0.25)`: x for x > 0, else a * x, with a
 * learnable slope `weight` of `numParameters` values (1, or one per channel
 * of dim 1), initialized to `init`.
 *
 *     new nn.PReLU(64).call(randn([2, 64, 8, 8]));
 */
import { RuntimeError } from '../errors.js';
import { prelu } from '../ops/prelu.js';
import { full } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module, Parameter } from './module.js';

export class PReLU extends Module {
  static readonly typeName: string = 'PReLU';
  readonly numParameters: number;
  /** The initial slope (the weight itself is learned). */
  readonly init: number;

  constructor(numParameters = 1, init = 0.25) {
    super();
    if (!Number.isInteger(numParameters) || numParameters < 0) {
      throw new RuntimeError(`Trying to create tensor with negative dimension ${numParameters}: [${numParameters}]`, { kind: 'argument' });
    }
    this.numParameters = numParameters;
    this.init = init;
    this.registerParameter('weight', Parameter(full([numParameters], init)));
  }

  get weight(): Tensor {
    return this.getParameter('weight')!;
  }

  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }

  extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}
