/** Builders for the normalization layers (PyTorch's constructor arguments, snake_case). */
import { AdaIN } from '../../nn/adain.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNormNd } from '../../nn/batchnorm.js';
import { FlexibleInstanceNorm } from '../../nn/flexible_instancenorm.js';
import { GroupNorm } from '../../nn/groupnorm.js';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, type InstanceNormNd } from '../../nn/instancenorm.js';
import { LayerNorm } from '../../nn/layernorm.js';
import type { Module } from '../../nn/module.js';
import type { NormBase } from '../../nn/norm_base.js';
import type { ArgReader } from '../args.js';
import type { ModuleBuilder } from '../registry.js';

/** The arguments of `_NormBase` except momentum (nullable for BatchNorm only). */
function normArgs(a: ArgReader, defaults: { affine: boolean; track: boolean }) {
  a.ignore('device', 'dtype');
  return {
    numFeatures: a.int('num_features', undefined, { min: 0 }),
    eps: a.float('eps', 1e-5),
    affine: a.bool('affine', defaults.affine),
    trackRunningStats: a.bool('track_running_stats', defaults.track),
  };
}

function normToArgs(m: NormBase): Record<string, unknown> {
  return { num_features: m.numFeatures, eps: m.eps, momentum: m.momentum, affine: m.affine, track_running_stats: m.trackRunningStats };
}

function instanceNorm(name: string, cls: new (n: number, o: object) => InstanceNormNd): ModuleBuilder {
  return {
    name,
    cls,
    build: (a) => {
      const { numFeatures, ...o } = normArgs(a, { affine: false, track: false });
      return new cls(numFeatures, { ...o, momentum: a.float('momentum', 0.1) });
    },
    toArgs: (m) => normToArgs(m as NormBase),
  };
}

function batchNorm(name: string, cls: new (n: number, o: object) => BatchNormNd): ModuleBuilder {
  return {
    name,
    cls,
    build: (a) => {
      const { numFeatures, ...o } = normArgs(a, { affine: true, track: true });
      return new cls(numFeatures, { ...o, momentum: a.nullableFloat('momentum', 0.1) });
    },
    toArgs: (m) => normToArgs(m as NormBase),
  };
}

const toCamel = { would_raise: 'wouldRaise', all_spatial_dims_gt_1: 'allSpatialDimsGt1' } as const;
const toSnake = { wouldRaise: 'would_raise', allSpatialDimsGt1: 'all_spatial_dims_gt_1' } as const;

export const builders: ModuleBuilder[] = [
  instanceNorm('InstanceNorm1d', InstanceNorm1d),
  instanceNorm('InstanceNorm2d', InstanceNorm2d),
  instanceNorm('InstanceNorm3d', InstanceNorm3d),
  batchNorm('BatchNorm1d', BatchNorm1d),
  batchNorm('BatchNorm2d', BatchNorm2d),
  batchNorm('BatchNorm3d', BatchNorm3d),
  {
    name: 'FlexibleInstanceNorm',
    cls: FlexibleInstanceNorm,
    build: (a) => {
      const { numFeatures, ...o } = normArgs(a, { affine: false, track: false });
      const momentum = a.float('momentum', 0.1);
      const condition = toCamel[a.str('condition', ['would_raise', 'all_spatial_dims_gt_1'] as const, 'would_raise')];
      const fallback = a.str('fallback', ['identity'] as const, 'identity');
      return new FlexibleInstanceNorm(numFeatures, { ...o, momentum, condition, fallback });
    },
    toArgs: (m) => {
      const f = m as FlexibleInstanceNorm;
      return { ...normToArgs(f), condition: toSnake[f.condition], fallback: f.fallback };
    },
  },
  {
    name: 'GroupNorm',
    cls: GroupNorm,
    build: (a) => {
      a.ignore('device', 'dtype');
      return new GroupNorm(a.int('num_groups'), a.int('num_channels', undefined, { min: 0 }), { eps: a.float('eps', 1e-5), affine: a.bool('affine', true) });
    },
    toArgs: (m: Module) => {
      const g = m as GroupNorm;
      return { num_groups: g.numGroups, num_channels: g.numChannels, eps: g.eps, affine: g.affine };
    },
  },
  {
    name: 'LayerNorm',
    cls: LayerNorm,
    build: (a) => {
      a.ignore('device', 'dtype');
      return new LayerNorm(a.intList('normalized_shape'), { eps: a.float('eps', 1e-5), elementwiseAffine: a.bool('elementwise_affine', true) });
    },
    toArgs: (m: Module) => {
      const l = m as LayerNorm;
      return { normalized_shape: [...l.normalizedShape], eps: l.eps, elementwise_affine: l.elementwiseAffine };
    },
  },
  {
    name: 'AdaIN',
    cls: AdaIN,
    build: (a) => new AdaIN({ eps: a.float('eps', 1e-5) }),
    toArgs: (m: Module) => ({ eps: (m as AdaIN).eps }),
  },
];
