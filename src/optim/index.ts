/** The `optim` namespace (PyTorch's `torch.optim`). */
export { Optimizer, type OptimizerStateDict, type GroupOptions, type ParamGroup, type ParamGroupInput, type ParamsInput } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { AdamW } from './adamw.js';
export { optimizerFromArgs, knownOptimizers, type OptimizerLike } from './registry.js';
export { LRScheduler, StepLR, CosineAnnealingLR, OneCycleLR, type StepLROptions, type CosineAnnealingLROptions, type OneCycleLROptions } from './lr_scheduler.js';
export * as lrScheduler from './lr_scheduler.js';
