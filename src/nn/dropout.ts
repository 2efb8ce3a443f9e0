/**
 * `Dropout(p = 0.5)`: in training, zeroes each element with probability p
 * (seeded by `manualSeed`) and scales the rest by 1 / (1 - p); identity in eval.
 * `Dropout2d(p = 0.5)` does the same to whole channels (planes x[n, c]); like
 * PyTorch it warns (once per layer, through `onWarning`) about inputs that are not 4-D.
 */
import { checkDropoutP, dropout, dropout2d } from '../ops/dropout.js';
import { checkArgument, checkOptions, isOptionsObject } from '../options.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { emitWarning } from './warnings.js';
import { py } from './py_repr.js';

/** (p, inplace) from the positional form or PyTorch's keywords; p's kind and range checked. */
function dropoutArgs(where: string, pOrOptions: number | { p?: number; inplace?: boolean }, o: { inplace?: boolean }): [number, boolean] {
  let p: unknown;
  if (isOptionsObject(pOrOptions)) {
    o = checkOptions(where, pOrOptions, { p: 'number', inplace: 'boolean' }, { position: 1 });
    p = pOrOptions.p ?? 0.5;
  } else {
    checkOptions(where, o, { inplace: 'boolean' }, { position: 2, positional: 'inplace' });
    p = pOrOptions;
  }
  checkArgument(where, 'p', p, 'number');
  checkDropoutP(p as number);
  return [p as number, o.inplace ?? false];
}

export class Dropout extends Module {
  static readonly typeName: string = 'Dropout';
  readonly p: number;
  /** Accepted for PyTorch compatibility; normkit never modifies its inputs. */
  readonly inplace: boolean;

  /** `new Dropout(0.2)`, `new Dropout(0.2, { inplace })` or, as PyTorch's keywords, `new Dropout({ p: 0.2 })`. */
  constructor(pOrOptions: number | { p?: number; inplace?: boolean } = 0.5, o: { inplace?: boolean } = {}) {
    super();
    [this.p, this.inplace] = dropoutArgs('Dropout', pOrOptions, o);
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
  static readonly typeName: string = 'Dropout2d';
  readonly p: number;
  /** Accepted for PyTorch compatibility; normkit never modifies its inputs. */
  readonly inplace: boolean;

  /** `new Dropout2d(0.2)`, `new Dropout2d(0.2, { inplace })` or, as PyTorch's keywords, `new Dropout2d({ p: 0.2 })`. */
  constructor(pOrOptions: number | { p?: number; inplace?: boolean } = 0.5, o: { inplace?: boolean } = {}) {
    super();
    [this.p, this.inplace] = dropoutArgs('Dropout2d', pOrOptions, o);
  }

  /** Whether this layer has already passed on PyTorch's warning about its input's rank. */
  private warned = false;

  forward(x: Tensor): Tensor {
    if (!this.warned && !x.isMeta && x.ndim !== 4) {
      // PyTorch warns (once per call site) in train and eval alike.
      this.warned = true;
      emitWarning({ code: x.ndim === 3 ? 'NK_DROPOUT2D_3D' : 'NK_DROPOUT2D_RANK', module: this.typeName, inputSize: [...x.shape], message: dropout2dRankWarning(x.ndim) });
    }
    return dropout2d(x, this.p, this.training);
  }

  extraRepr(): string {
    return `p=${py(this.p, true)}, inplace=${py(this.inplace)}`;
  }
}

/** PyTorch 1.13's UserWarning for a Dropout2d input that is not 4-D. */
export function dropout2dRankWarning(ndim: number): string {
  if (ndim === 3) {
    return (
      'dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), ' +
      'where C is the channel dim. This behavior will change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). ' +
      'To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.'
    );
  }
  return (
    `dropout2d: Received a ${ndim}-D input to dropout2d, which is deprecated and will result in an error in a future release. To retain the behavior ` +
    'and silence this warning, please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, ' +
    'a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).'
  );
}
