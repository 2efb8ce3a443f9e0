import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** Returns its input unchanged (PyTorch's `nn.Identity`; constructor arguments are ignored). */
export class Identity extends Module {
  static readonly typeName: string = 'Identity';
  forward(x: Tensor): Tensor {
    return x;
  }
}
