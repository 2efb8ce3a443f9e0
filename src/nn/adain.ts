/**
 * AdaIN: re-normalizes `content` to the per-channel mean and (unbiased)
 * standard deviation of `style` (Huang & Belongie, 2017).
 *
 * Shape: content (N, C, *), style (N or 1, C, *'); output like content.
 */
import { TypeError } from '../errors.js';
import { checkOptions } from '../options.js';
import { checkFiniteOption } from '../ops/norm/checks.js';
import { adaptiveInstanceNorm } from '../ops/norm/adain.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { fmtFloat } from './norm_base.js';

export class AdaIN extends Module {
  static readonly typeName: string = 'AdaIN';
  readonly eps: number;

  constructor(o: { eps?: number } = {}) {
    super();
    checkOptions('AdaIN', o, { eps: 'number' }, { position: 1, positional: 'eps' });
    this.eps = o.eps ?? 1e-5;
    checkFiniteOption('eps', this.eps);
  }

  forward(content: Tensor, style?: Tensor): Tensor {
    if (style === undefined) throw new TypeError('AdaIN.forward() missing 1 required positional argument: style');
    return adaptiveInstanceNorm(content, style, this.eps);
  }

  extraRepr(): string {
    return `eps=${fmtFloat(this.eps)}`;
  }
}
