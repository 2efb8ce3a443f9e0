/**
 * `_NormBase`: what BatchNorm and InstanceNorm share — num_features, eps,
 * momentum, affine parameters, running-statistics buffers.
 */
import { ValueError } from '../errors.js';
import { checkFiniteOption } from '../ops/norm/checks.js';
import { checkArgument } from '../options.js';
import { full, ones, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module, Parameter } from './module.js';

export interface NormOptions {
  eps?: number;
  /** Running-statistics momentum; `null` (BatchNorm only) = cumulative moving average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** How a norm layer computes its statistics for an input size (used by the analyzer and the demo). */
export interface NormStatistics {
  /** The statistics are computed from the input (not from running estimates). */
  usesInputStats: boolean;
  /** How many values stand behind each mean/variance. */
  valuesPerStatistic: number;
  /** What a statistic spans, in words (e.g. "per instance and channel over 1x1 spatial positions"). */
  over: string;
}

export interface Normalization {
  /** Checks and statistics layout for an input size, without computing anything. */
  statistics(inputShape: readonly number[]): NormStatistics;
  /**
   * Why every statistic provably sees one repeated value at this input size,
   * or null. `constantPlanes`: every (sample, channel) plane of the input holds
   * one value (a 1x1 map upsampled). Only what is provable: constant planes
   * make per-plane statistics constant, not statistics that also run over the
   * batch or over several channels.
   */
  degeneracy(inputShape: readonly number[], constantPlanes: boolean): string | null;
}

/** "1 value", "4 copies". */
export function plural(n: number, w: string): string {
  return `${n} ${n === 1 ? w : w.endsWith('y') ? w.slice(0, -1) + 'ies' : w + 's'}`;
}

export function isNormalization(m: unknown): m is Module & Normalization {
  return m instanceof Module && typeof (m as unknown as Normalization).statistics === 'function';
}

export abstract class NormBase extends Module implements Normalization {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, o: NormOptions, defaults: { affine: boolean; track: boolean }) {
    super();
    checkArgument(new.target.name, 'num_features', numFeatures, 'int');
    if (!Number.isInteger(numFeatures) || numFeatures < 0) {
      throw new ValueError(`num_features must be a non-negative integer, got ${numFeatures}`);
    }
    this.numFeatures = numFeatures;
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? defaults.affine;
    this.trackRunningStats = o.trackRunningStats ?? defaults.track;
    checkFiniteOption('eps', this.eps);
    if (this.momentum !== null) checkFiniteOption('momentum', this.momentum);
    this.registerParameter('weight', this.affine ? Parameter(ones([numFeatures])) : null);
    this.registerParameter('bias', this.affine ? Parameter(zeros([numFeatures])) : null);
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', full([], 0));
    }
  }

  get weight(): Tensor | null {
    return this.getParameter('weight');
  }

  get bias(): Tensor | null {
    return this.getParameter('bias');
  }

  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  resetRunningStats(): void {
    this.runningMean?.data.fill(0);
    this.runningVar?.data.fill(1);
    this.numBatchesTracked?.data.fill(0);
  }

  resetParameters(): void {
    this.resetRunningStats();
    this.weight?.data.fill(1);
    this.bias?.data.fill(0);
  }

  /** eps and momentum may be assigned after construction (`bn.momentum = NaN`): checked where used. */
  protected checkOptions(): void {
    checkFiniteOption('eps', this.eps);
    if (this.momentum !== null) checkFiniteOption('momentum', this.momentum);
  }

  abstract statistics(inputShape: readonly number[]): NormStatistics;

  abstract degeneracy(inputShape: readonly number[], constantPlanes: boolean): string | null;

  extraRepr(): string {
    const m = this.momentum === null ? 'None' : String(this.momentum);
    return `${this.numFeatures}, eps=${fmtFloat(this.eps)}, momentum=${m}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/** Python's repr of a float (1e-05, 0.1). */
export function fmtFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  const a = Math.abs(v);
  // Python switches to scientific notation below 1e-4 and from 1e16, with a two-digit exponent.
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(v);
}
