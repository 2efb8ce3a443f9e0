/**
 * GroupNorm: statistics per instance over groups of C/G channels and all
 * spatial positions; works at any batch size and (with G < C) on 1x1 maps.
 *
 * Shape: (N, C, *).
 */
import { ValueError, fmtValue } from '../errors.js';
import { checkArgument, checkOptions } from '../options.js';
import { checkFiniteOption, checkGroupNorm } from '../ops/norm/checks.js';
import { groupNorm } from '../ops/norm/group_norm.js';
import { ones, zeros } from '../tensor/creation.js';
import { numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module, Parameter } from './module.js';
import { fmtFloat, plural, pyBool, type Normalization, type NormStatistics } from './norm_base.js';

export class GroupNorm extends Module implements Normalization {
  static readonly typeName: string = 'GroupNorm';
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;

  constructor(numGroups: number, numChannels: number, o: { eps?: number; affine?: boolean } = {}) {
    super();
    checkOptions('GroupNorm', o, { eps: 'number', affine: 'boolean' }, { position: 3, positional: 'eps' });
    checkArgument('GroupNorm', 'num_groups', numGroups, 'int');
    checkArgument('GroupNorm', 'num_channels', numChannels, 'int');
    if (!Number.isInteger(numGroups) || numGroups <= 0) throw new ValueError(`num_groups must be a positive integer, got ${numGroups}`);
    if (typeof numChannels !== 'number' || !Number.isInteger(numChannels) || numChannels < 0) {
      throw new ValueError(`num_channels must be a non-negative integer, got ${fmtValue(numChannels)}`, { kind: 'argument' });
    }
    if (numChannels % numGroups !== 0) throw new ValueError('num_channels must be divisible by num_groups', { kind: 'argument' });
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = o.eps ?? 1e-5;
    this.affine = o.affine ?? true;
    checkFiniteOption('eps', this.eps);
    this.registerParameter('weight', this.affine ? Parameter(ones([numChannels])) : null);
    this.registerParameter('bias', this.affine ? Parameter(zeros([numChannels])) : null);
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, { weight: this.getParameter('weight'), bias: this.getParameter('bias'), eps: this.eps, warnSite: this });
  }

  statistics(inputShape: readonly number[]): NormStatistics {
    checkGroupNorm(inputShape, this.numGroups, this.affine ? this.numChannels : undefined, this.affine ? this.numChannels : undefined);
    const per = (inputShape[1]! / this.numGroups) * numel(inputShape.slice(2));
    return {
      usesInputStats: true,
      valuesPerStatistic: per,
      over: `per instance and group of ${inputShape[1]! / this.numGroups} channel(s), over ${per} value${per === 1 ? '' : 's'}`,
    };
  }

  degeneracy(inputShape: readonly number[], constantPlanes: boolean): string | null {
    this.statistics(inputShape);
    if (inputShape[1]! / this.numGroups !== 1) return null;
    const spatial = numel(inputShape.slice(2));
    if (spatial === 1) return 'one channel per group and 1 position: each statistic sees a single value';
    if (constantPlanes) return `one channel per group with constant planes: each statistic sees ${plural(spatial, 'copy')} of one value`;
    return null;
  }

  extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${fmtFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}
