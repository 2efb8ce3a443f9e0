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
export { conv1d, conv2d, convTranspose2d, type ConvOptions, type ConvTransposeOptions, type ConvPadding } from '../ops/conv.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d, type MaxPool2dOptions, type AvgPool2dOptions, type AdaptiveSize } from '../ops/pool.js';
export { pad, type PadMode } from '../ops/pad.js';
export { linear } from '../ops/linear.js';
export { relu, leakyRelu, tanh, sigmoid, gelu, elu, type GeluApproximate } from '../ops/activation.js';
export { dropout } from '../ops/dropout.js';
export { flatten } from '../ops/shape_ops.js';
