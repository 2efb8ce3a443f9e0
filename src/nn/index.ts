/** The `nn` namespace: modules named and configured as in PyTorch. */
export { Module, Parameter, type ForwardHook, type LoadResult } from './module.js';
export { Sequential, Residual, Concat, ModuleList } from './container.js';
export { Identity } from './identity.js';
export { Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, type UpsampleOptions } from './upsample.js';
export { MSELoss, L1Loss, CrossEntropyLoss, BCEWithLogitsLoss, type CrossEntropyLossOptions, type BCEWithLogitsLossOptions } from './loss.js';
