/**
 * `Linear(inFeatures, outFeatures)`: y = x W^T + b over the last dim of
 * [*, in_features]; weight [out, in] and bias initialized as PyTorch does.
 */
import { linear, linearFused } from '../ops/linear.js';
import type { FusedAct } from '../ops/conv_fused.js';
import { checkArgument, checkOptions } from '../options.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { resetLayerParameters } from './init.js';
import { Module, Parameter } from './module.js';
import { py } from './py_repr.js';

export class Linear extends Module {
  static readonly typeName: string = 'Linear';
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, o: { bias?: boolean } = {}) {
    super();
    checkOptions('Linear', o, { bias: 'boolean' }, { position: 3, positional: 'bias' });
    checkArgument('Linear', 'in_features', inFeatures, 'int');
    checkArgument('Linear', 'out_features', outFeatures, 'int');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const weight = Parameter(zeros([outFeatures, inFeatures]));
    const bias = (o.bias ?? true) ? Parameter(zeros([outFeatures])) : null;
    resetLayerParameters(weight, bias);
    this.registerParameter('weight', weight);
    this.registerParameter('bias', bias);
  }

  get weight(): Tensor {
    return this.getParameter('weight')!;
  }

  get bias(): Tensor | null {
    return this.getParameter('bias');
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** The forward with the activation `act` after it, its kernel on the output in the gemm's memory (inference: nn/fusion.ts decides). */
  fusedForward(x: Tensor, act: FusedAct): Tensor {
    return linearFused(x, this.weight, this.bias, act);
  }

  extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${py(this.bias !== null)}`;
  }
}
