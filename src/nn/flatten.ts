/** `Flatten({ startDim = 1, endDim = -1 })`: merges dims startDim..endDim (keeps the batch dim by default). */
import { flatten } from '../ops/shape_ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { checkOptions } from '../options.js';

export class Flatten extends Module {
  static readonly typeName: string = 'Flatten';
  readonly startDim: number;
  readonly endDim: number;

  constructor(o: { startDim?: number; endDim?: number } = {}) {
    super();
    checkOptions('Flatten', o, { startDim: 'int', endDim: 'int' }, { position: 1, positional: 'startDim' });
    this.startDim = o.startDim ?? 1;
    this.endDim = o.endDim ?? -1;
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
