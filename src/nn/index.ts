/** The `nn` namespace: modules named and configured as in PyTorch. */
export { Module, Parameter, type ForwardHook, type LoadResult } from './module.js';
export { Sequential, Residual, Concat, ModuleList } from './container.js';
export { Identity } from './identity.js';
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, InstanceNormNd, type InstanceNormOptions } from './instancenorm.js';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormNd } from './batchnorm.js';
export { GroupNorm } from './groupnorm.js';
export { LayerNorm } from './layernorm.js';
export { FlexibleInstanceNorm, type FallbackCondition, type FlexibleInstanceNormOptions } from './flexible_instancenorm.js';
export { AdaIN } from './adain.js';
export { NormBase, isNormalization, type NormOptions, type NormStatistics, type Normalization } from './norm_base.js';
export { onWarning, emitWarning, type NormkitWarning, type WarningListener } from './warnings.js';
export { Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, type UpsampleOptions } from './upsample.js';
export { MSELoss, L1Loss, CrossEntropyLoss, BCEWithLogitsLoss, type CrossEntropyLossOptions, type BCEWithLogitsLossOptions } from './loss.js';
