/**
 * BatchNorm1d/2d/3d: normalize each channel over the batch and spatial
 * elements in training (updating running statistics: exponential average with
 * `momentum`, or a cumulative average with `momentum: null`), with the running
 * statistics in eval mode.
 *
 * Shape: BatchNorm1d (N, C) or (N, C, L); BatchNorm2d (N, C, H, W); BatchNorm3d (N, C, D, H, W).
 */
import { checkInputDim } from '../ops/norm/checks.js';
import { batchNorm } from '../ops/norm/batch_norm.js';
import { numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { NormBase, plural, type NormOptions, type NormStatistics } from './norm_base.js';
import { checkOptions } from '../options.js';
import { typeNameOf } from '../type_name.js';

export abstract class BatchNormNd extends NormBase {
  protected abstract readonly allowedDims: readonly number[];

  constructor(numFeatures: number, o: NormOptions = {}) {
    checkOptions(typeNameOf(new.target), o, { eps: 'number', momentum: 'number|null', affine: 'boolean', trackRunningStats: 'boolean' }, { position: 2, positional: 'eps' });
    super(numFeatures, o, { affine: true, track: true });
  }

  checkInputDim(shape: readonly number[]): void {
    checkInputDim(shape, this.allowedDims);
  }

  /** Batch statistics in training, or whenever there are no running statistics. */
  get usesInputStats(): boolean {
    return this.training || (this.runningMean === null && this.runningVar === null);
  }

  forward(x: Tensor): Tensor {
    return this.fusedForward(x, false);
  }

  /** The forward, with a ReLU after it when `relu` (inference: nn/fusion.ts), in the same kernel call. */
  fusedForward(x: Tensor, relu: boolean): Tensor {
    this.checkInputDim(x.shape);
    // Options changed after construction are checked before anything (the batch count included) changes.
    this.checkOptions();
    let factor = this.momentum ?? 0;
    const nbt = this.numBatchesTracked;
    // As in PyTorch, the batch is counted before F.batch_norm checks its size
    // (so a batch that then raises still counts); shape-only runs never count.
    if (this.training && this.trackRunningStats && nbt !== null && !x.isMeta) {
      nbt.data[0] = nbt.data[0]! + 1;
      factor = this.momentum === null ? 1 / nbt.data[0]! : this.momentum;
    }
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(x, useRunning ? this.runningMean : null, useRunning ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: this.usesInputStats,
      momentum: factor,
      eps: this.eps,
      warnSite: this,
    }, relu);
  }

  degeneracy(inputShape: readonly number[], constantPlanes: boolean): string | null {
    const s = this.statistics(inputShape);
    // Over a batch of several samples the planes differ from sample to sample; with one, each channel's statistic is one plane's.
    if (!s.usesInputStats || !constantPlanes || inputShape[0] !== 1 || s.valuesPerStatistic <= 1) return null;
    return `batch of 1 with constant planes: each channel's statistic sees ${plural(s.valuesPerStatistic, 'copy')} of one value`;
  }

  statistics(inputShape: readonly number[]): NormStatistics {
    this.checkInputDim(inputShape);
    const n = (inputShape[0] ?? 1) * numel(inputShape.slice(2));
    return {
      usesInputStats: this.usesInputStats,
      valuesPerStatistic: this.usesInputStats ? n : Infinity,
      over: this.usesInputStats
        ? `per channel, over batch ${inputShape[0]} x ${inputShape.slice(2).join('x') || '1'} position${n === 1 ? '' : 's'}`
        : 'running statistics (eval mode)',
    };
  }
}

export class BatchNorm1d extends BatchNormNd {
  static readonly typeName: string = 'BatchNorm1d';
  protected readonly allowedDims = [2, 3] as const;
}

export class BatchNorm2d extends BatchNormNd {
  static readonly typeName: string = 'BatchNorm2d';
  protected readonly allowedDims = [4] as const;
}

export class BatchNorm3d extends BatchNormNd {
  static readonly typeName: string = 'BatchNorm3d';
  protected readonly allowedDims = [5] as const;
}
