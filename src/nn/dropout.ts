/**
 * `Dropout(p = 0.5)`: in training, zeroes each element with probability p
 * (seeded by `manualSeed`) and scales the rest by 1 / (1 - p); identity in eval.
 * `Dropout2d(p = 0.5)` does the same to whole channels (planes x[n, c]).
 */
import { checkDropoutP, dropout, dropout2d } from '../ops/dropout.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { py } from './py_repr.js';

export class Dropout extends Module {
  readonly p: number;
  /** Accepted for PyTorch compatibility; normkit never modifies its inputs. */
  readonly inplace: boolean;

  constructor(p = 0.5, o: { inplace?: boolean } = {}) {
    super();
    checkDropoutP(p);
    this.p = p;
    this.inplace = o.inplace ?? false;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  extraRepr(): string {
    return `p=${py(this.p, true)}, inplace=${py(this.inplace)}`;
  }
}

/** Zeroes whole channels x[n, c] with probability p in training (a 3-D input is [N, C, L], as in PyTorch 1.13). */
export class Dropout2d extends Module {
  readonly p: number;
  /** Accepted for PyTorch compatibility; normkit never modifies its inputs. */
  readonly inplace: boolean;

  constructor(p = 0.5, o: { inplace?: boolean } = {}) {
    super();
    checkDropoutP(p);
    this.p = p;
    this.inplace = o.inplace ?? false;
  }

  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training);
  }

  extraRepr(): string {
    return `p=${py(this.p, true)}, inplace=${py(this.inplace)}`;
  }
}
