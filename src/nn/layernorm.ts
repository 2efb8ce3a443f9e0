/**
 * LayerNorm: statistics over the trailing `normalizedShape` dims of each
 * sample; elementwise affine. Independent of batch size and spatial size
 * when normalizing over channels only.
 *
 * Shape: (*, *normalizedShape).
 */
import { TypeError, ValueError } from '../errors.js';
import { checkArgument, checkOptions, describeValue } from '../options.js';
import { checkFiniteOption, checkLayerNormShape } from '../ops/norm/checks.js';
import { layerNorm } from '../ops/norm/layer_norm.js';
import { ones, zeros } from '../tensor/creation.js';
import { numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module, Parameter } from './module.js';
import { fmtFloat, pyBool, type Normalization, type NormStatistics } from './norm_base.js';

export class LayerNorm extends Module implements Normalization {
  static readonly typeName: string = 'LayerNorm';
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], o: { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    checkOptions('LayerNorm', o, { eps: 'number', elementwiseAffine: 'boolean' }, { position: 2, positional: 'eps' });
    if (typeof normalizedShape !== 'number' && !Array.isArray(normalizedShape)) {
      throw new TypeError(`LayerNorm: normalized_shape must be an int or a list of ints, got ${describeValue(normalizedShape)}`, { kind: 'argument' });
    }
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    checkArgument('LayerNorm', 'normalized_shape', ns, 'ints');
    if (!ns.every((d) => Number.isInteger(d) && d >= 0)) throw new ValueError(`normalized_shape must hold non-negative integers, got [${ns.join(', ')}]`, { kind: 'argument' });
    this.normalizedShape = ns;
    this.eps = o.eps ?? 1e-5;
    this.elementwiseAffine = o.elementwiseAffine ?? true;
    checkFiniteOption('eps', this.eps);
    this.registerParameter('weight', this.elementwiseAffine ? Parameter(ones(ns)) : null);
    this.registerParameter('bias', this.elementwiseAffine ? Parameter(zeros(ns)) : null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.getParameter('weight'), bias: this.getParameter('bias'), eps: this.eps, warnSite: this });
  }

  statistics(inputShape: readonly number[]): NormStatistics {
    checkLayerNormShape(inputShape, this.normalizedShape);
    const per = numel(this.normalizedShape);
    return { usesInputStats: true, valuesPerStatistic: per, over: `per sample, over the trailing [${this.normalizedShape.join(', ')}]` };
  }

  degeneracy(inputShape: readonly number[], constantPlanes: boolean): string | null {
    const s = this.statistics(inputShape);
    if (s.valuesPerStatistic === 1) return 'normalized over a single value';
    // Normalizing over spatial dims only (not channels): a constant plane normalizes to zero.
    if (constantPlanes && this.normalizedShape.length <= inputShape.length - 2) return 'normalized over spatial positions only, and every plane is constant';
    return null;
  }

  extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${fmtFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
