export { instanceNorm, checkInstanceNorm, type InstanceNormOptions } from './instance_norm.js';
export { batchNorm, checkBatchNorm, type BatchNormOptions } from './batch_norm.js';
export { groupNorm, type GroupNormOptions } from './group_norm.js';
export { layerNorm, type LayerNormOptions } from './layer_norm.js';
export { adaptiveInstanceNorm, checkAdain } from './adain.js';
export * from './checks.js';
