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
export { conv1d, conv2d, convTranspose1d, convTranspose2d, type ConvOptions, type ConvTransposeOptions, type ConvPadding } from '../ops/conv.js';
export { conv3d, convTranspose3d } from '../ops/conv3d.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d, type MaxPool2dOptions, type AvgPool2dOptions, type AdaptiveSize } from '../ops/pool.js';
export { maxPool1d, avgPool1d, adaptiveAvgPool1d, type MaxPool1dOptions, type AvgPool1dOptions } from '../ops/pool1d.js';
export { pad, type PadMode } from '../ops/pad.js';
export { linear } from '../ops/linear.js';
export { relu, leakyRelu, tanh, sigmoid, gelu, elu, relu6, selu, silu, hardswish, softplus, type GeluApproximate } from '../ops/activation.js';
export { prelu } from '../ops/prelu.js';
export { pixelShuffle, pixelUnshuffle } from '../ops/pixel_shuffle.js';
export { dropout, dropout2d } from '../ops/dropout.js';
export { flatten } from '../ops/shape_ops.js';
