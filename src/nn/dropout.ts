/**
 * `Dropout(p = 0.5)`: in training, zeroes each element with probability p
 * (seeded by `manualSeed`) and scales the rest by 1 / (1 - p); identity in eval.
 */
import { checkDropoutP, dropout } from '../ops/dropout.js';
import { checkOptions } from '../options.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { py } from './py_repr.js';

export class Dropout extends Module {
  readonly p: number;
  /** Accepted for PyTorch compatibility; normkit never modifies its inputs. */
  readonly inplace: boolean;

  /** `new Dropout(0.2)`, `new Dropout(0.2, { inplace })` or, as PyTorch's keywords, `new Dropout({ p: 0.2 })`. */
  constructor(pOrOptions: number | { p?: number; inplace?: boolean } = 0.5, o: { inplace?: boolean } = {}) {
    super();
    let p: number;
    if (typeof pOrOptions === 'object' && pOrOptions !== null && !Array.isArray(pOrOptions)) {
      o = checkOptions('Dropout', pOrOptions, { p: 'number', inplace: 'boolean' }, { position: 1 });
      p = pOrOptions.p ?? 0.5;
    } else {
      checkOptions('Dropout', o, { inplace: 'boolean' }, { position: 2, positional: 'inplace' });
      p = pOrOptions as number;
    }
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
