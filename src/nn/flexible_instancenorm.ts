/**
 * FlexibleInstanceNorm: an InstanceNorm2d that passes its input through
 * unchanged where instance statistics are impossible — and says so.
 *
 * `condition: 'wouldRaise'` (default) falls back exactly when InstanceNorm2d
 * would raise: it uses input statistics (training, or running stats not
 * tracked) and the input has at most one spatial element. `'allSpatialDimsGt1'`
 * is the rule of the write-up this project answers: identity unless every
 * spatial size is above 1, in any mode (stricter: a 1x4 map falls back too).
 *
 * Never silent: the first fallback of each layer emits a `NormkitWarning`
 * (code NK_FLEXIBLE_FALLBACK, see `onWarning`), and `fallbackCount` counts
 * them. Caveat: a fallen-back layer does not normalize, its affine parameters
 * get no gradient, and the next layers see unnormalized activations.
 */
import { ValueError, fmtSize } from '../errors.js';
import { numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions } from '../options.js';
import { INSTANCE_NORM_OPTIONS, InstanceNorm2d, type InstanceNormOptions } from './instancenorm.js';
import { emitWarning } from './warnings.js';

export type FallbackCondition = 'wouldRaise' | 'allSpatialDimsGt1';

export interface FlexibleInstanceNormOptions extends InstanceNormOptions {
  condition?: FallbackCondition;
  fallback?: 'identity';
}

export class FlexibleInstanceNorm extends InstanceNorm2d {
  static readonly typeName: string = 'FlexibleInstanceNorm';
  readonly condition: FallbackCondition;
  readonly fallback: 'identity';
  /** How many forward calls returned their input unchanged. */
  fallbackCount = 0;
  private warned = false;

  constructor(numFeatures: number, o: FlexibleInstanceNormOptions = {}) {
    checkOptions('FlexibleInstanceNorm', o, { ...INSTANCE_NORM_OPTIONS, condition: 'string', fallback: 'string' }, { position: 2, positional: 'eps' });
    const { condition: _c, fallback: _f, ...norm } = o;
    super(numFeatures, norm);
    this.condition = o.condition ?? 'wouldRaise';
    this.fallback = o.fallback ?? 'identity';
    if (this.condition !== 'wouldRaise' && this.condition !== 'allSpatialDimsGt1') {
      throw new ValueError(`condition must be 'wouldRaise' or 'allSpatialDimsGt1', got ${String(this.condition)}`);
    }
    if (this.fallback !== 'identity') throw new ValueError(`fallback must be 'identity', got ${String(this.fallback)}`);
  }

  /** Whether an input of this size would be passed through instead of normalized. */
  fallsBack(inputShape: readonly number[]): boolean {
    this.checkInputDim(inputShape);
    const spatial = this.batched(inputShape).slice(2);
    if (this.condition === 'allSpatialDimsGt1') return !spatial.every((s) => s > 1);
    // Exactly when InstanceNorm would raise: one spatial element (an empty map does not raise, it gives an empty output).
    return this.usesInputStats && numel(spatial) === 1;
  }

  forward(x: Tensor): Tensor {
    if (!this.fallsBack(x.shape)) return super.forward(x);
    if (x.isMeta) return x;
    this.fallbackCount++;
    if (!this.warned) {
      this.warned = true;
      const spatial = this.batched(x.shape).slice(2);
      emitWarning({
        code: 'NK_FLEXIBLE_FALLBACK',
        module: this.typeName,
        inputSize: [...x.shape],
        message:
          `FlexibleInstanceNorm(${this.numFeatures}) got input size ${fmtSize(x.shape)} (${spatial.join('x')} spatial) and returned it ` +
          `unchanged instead of normalizing (condition '${this.condition}'). Its output is not normalized and its affine ` +
          `parameters get no gradient for such inputs; further fallbacks of this layer are counted in fallbackCount, not repeated. ` +
          'Run `normkit check` on the model to see which layers shrink the map.',
      });
    }
    return x;
  }

  extraRepr(): string {
    return `${super.extraRepr()}, condition='${this.condition}', fallback='${this.fallback}'`;
  }
}
