/**
 * `PReLU(numParameters = 1, init = 0.25)`: x for x > 0, else a * x, with a
 * learnable slope `weight` of `numParameters` values (1, or one per channel
 * of dim 1), initialized to `init`.
 *
 *     new nn.PReLU(64).call(randn([2, 64, 8, 8]));
 */
import { RuntimeError } from '../errors.js';
import { checkArgument, checkOptions, isOptionsObject } from '../options.js';
import { prelu } from '../ops/prelu.js';
import { full } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module, Parameter } from './module.js';

export class PReLU extends Module {
  static readonly typeName: string = 'PReLU';
  readonly numParameters: number;
  /** The initial slope (the weight itself is learned). */
  readonly init: number;

  /** `new PReLU(64)`, `new PReLU(64, 0.1)` (PyTorch's positional num_parameters, init) or `new PReLU({ numParameters: 64, init: 0.1 })`. */
  constructor(numParameters: number | { numParameters?: number; init?: number } = 1, init = 0.25) {
    super();
    if (isOptionsObject(numParameters)) {
      const o = checkOptions('PReLU', numParameters as { numParameters?: number; init?: number }, { numParameters: 'int', init: 'number' }, { position: 1 });
      [numParameters, init] = [o.numParameters ?? 1, o.init ?? 0.25];
    }
    checkArgument('PReLU', 'num_parameters', numParameters, 'int');
    checkArgument('PReLU', 'init', init, 'number');
    const n = numParameters as number;
    if (n < 0) throw new RuntimeError(`Trying to create tensor with negative dimension ${n}: [${n}]`, { kind: 'argument' });
    this.numParameters = n;
    this.init = init;
    this.registerParameter('weight', Parameter(full([n], init)));
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
