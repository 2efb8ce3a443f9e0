/** The functional namespace (PyTorch's `torch.nn.functional`). */
export { instanceNorm, batchNorm, groupNorm, layerNorm, adaptiveInstanceNorm } from '../ops/norm/index.js';
export type { InstanceNormOptions, BatchNormOptions, GroupNormOptions, LayerNormOptions } from '../ops/norm/index.js';
export { interpolate, type InterpolateOptions, type InterpolateMode } from '../ops/interpolate.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
export {
  mseLoss,
  l1Loss,
  nllLoss,
  crossEntropy,
  binaryCrossEntropyWithLogits,
  type Reduction,
  type LossOptions,
  type NllLossOptions,
  type CrossEntropyOptions,
  type BceWithLogitsOptions,
} from '../ops/loss.js';
