/** The `optim` namespace (PyTorch's `torch.optim`). */
export { Optimizer, type GroupOptions, type ParamGroup, type ParamGroupInput, type ParamsInput } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { AdamW } from './adamw.js';
export { optimizerFromArgs, knownOptimizers, type OptimizerLike } from './registry.js';
