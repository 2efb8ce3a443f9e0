/**
 * InstanceNorm1d/2d/3d: normalize each (instance, channel) over its spatial
 * elements. As in PyTorch, input statistics are used when
 * `training || !trackRunningStats` — so an untracked layer needs more than one
 * spatial element in eval mode too.
 *
 * Shape: (N, C, *spatial) or (C, *spatial) without a batch dimension.
 *
 *     const norm = new nn.InstanceNorm2d(64, { affine: true });
 *     norm.call(randn([2, 64, 32, 32]));
 */
import { TypeError } from '../errors.js';
import { checkOptions, type OptionSpec } from '../options.js';
import { checkInputDim } from '../ops/norm/checks.js';
import { instanceNorm } from '../ops/norm/instance_norm.js';
import { squeeze, unsqueeze } from '../ops/shape_ops.js';
import { numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { NormBase, plural, type NormOptions, type NormStatistics } from './norm_base.js';
import { typeNameOf } from '../type_name.js';

export interface InstanceNormOptions extends NormOptions {
  momentum?: number;
}

/** The options InstanceNorm1d/2d/3d take (PyTorch's keyword arguments, camelCase). */
export const INSTANCE_NORM_OPTIONS: OptionSpec = { eps: 'number', momentum: 'number|null', affine: 'boolean', trackRunningStats: 'boolean' };

export abstract class InstanceNormNd extends NormBase {
  /** Rank of an input without batch dimension: 2 for 1d, 3 for 2d, 4 for 3d. */
  protected abstract readonly noBatchDim: number;

  constructor(numFeatures: number, o: InstanceNormOptions = {}) {
    checkOptions(typeNameOf(new.target), o, INSTANCE_NORM_OPTIONS, { position: 2, positional: 'eps' });
    if (o.momentum === null) throw new TypeError("instance_norm(): argument 'momentum' must be float, not None");
    super(numFeatures, o, { affine: false, track: false });
  }

  /** PyTorch's rule: statistics come from the input unless running stats are tracked and we evaluate. */
  get usesInputStats(): boolean {
    return this.training || !this.trackRunningStats;
  }

  checkInputDim(shape: readonly number[]): void {
    checkInputDim(shape, [this.noBatchDim, this.noBatchDim + 1]);
  }

  /** The batched shape the op sees (an unbatched input gains a batch of 1). */
  protected batched(shape: readonly number[]): number[] {
    return shape.length === this.noBatchDim ? [1, ...shape] : [...shape];
  }

  forward(x: Tensor): Tensor {
    return this.fusedForward(x, false);
  }

  /** The forward, with a ReLU after it when `relu` (inference: nn/fusion.ts), in the same kernel call. */
  fusedForward(x: Tensor, relu: boolean): Tensor {
    this.checkInputDim(x.shape);
    this.checkOptions();
    if (x.ndim === this.noBatchDim) return squeeze(this.normalize(unsqueeze(x, 0), relu), 0);
    return this.normalize(x, relu);
  }

  protected normalize(x: Tensor, relu = false): Tensor {
    return instanceNorm(x, {
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.usesInputStats,
      momentum: this.momentum ?? 0.1,
      eps: this.eps,
      warnSite: this,
    }, relu);
  }

  degeneracy(inputShape: readonly number[], constantPlanes: boolean): string | null {
    const s = this.statistics(inputShape);
    if (!s.usesInputStats || !constantPlanes || s.valuesPerStatistic <= 1) return null;
    return `every (instance, channel) plane is constant: each statistic sees ${plural(s.valuesPerStatistic, 'copy')} of one value`;
  }

  statistics(inputShape: readonly number[]): NormStatistics {
    this.checkInputDim(inputShape);
    const spatial = this.batched(inputShape).slice(2);
    const S = numel(spatial);
    return {
      usesInputStats: this.usesInputStats,
      valuesPerStatistic: this.usesInputStats ? S : Infinity,
      over: this.usesInputStats
        ? `per instance and channel, over ${spatial.join('x')} spatial position${S === 1 ? '' : 's'}`
        : 'running statistics (eval mode, trackRunningStats)',
    };
  }
}

export class InstanceNorm1d extends InstanceNormNd {
  static readonly typeName: string = 'InstanceNorm1d';
  protected readonly noBatchDim = 2;
}

export class InstanceNorm2d extends InstanceNormNd {
  static readonly typeName: string = 'InstanceNorm2d';
  protected readonly noBatchDim = 3;
}

export class InstanceNorm3d extends InstanceNormNd {
  static readonly typeName: string = 'InstanceNorm3d';
  protected readonly noBatchDim = 4;
}
