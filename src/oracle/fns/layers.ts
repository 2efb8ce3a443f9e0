/**
 * The network-layer functions of the oracle's `function` cases, by PyTorch's
 * `torch.nn.functional` names and keyword arguments (tuples arrive as lists).
 */
import { TypeError } from '../../errors.js';
import { elu, gelu, leakyRelu, relu, sigmoid, tanh, type GeluApproximate } from '../../ops/activation.js';
import { conv1d, conv2d, convTranspose2d, type ConvPadding } from '../../ops/conv.js';
import { dropout } from '../../ops/dropout.js';
import { linear } from '../../ops/linear.js';
import { pad, type PadMode } from '../../ops/pad.js';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d, type AdaptiveSize } from '../../ops/pool.js';
import { flatten } from '../../ops/shape_ops.js';
import type { IntOrTuple } from '../../ops/window_args.js';
import type { Tensor } from '../../tensor/tensor.js';
import { input, kw, optTensor } from './args.js';
import type { OracleFn } from './index.js';


const CONV = ['stride', 'padding', 'dilation', 'groups'];

export const fns: Record<string, OracleFn> = {
  conv1d: (i, k) => {
    const a = kw('conv1d', k, CONV);
    return conv1d(input(i), input(i, 'weight'), optTensor(i, 'bias'), {
      stride: a<IntOrTuple>('stride', 1),
      padding: a<ConvPadding>('padding', 0),
      dilation: a<IntOrTuple>('dilation', 1),
      groups: a('groups', 1),
    });
  },
  conv2d: (i, k) => {
    const a = kw('conv2d', k, CONV);
    return conv2d(input(i), input(i, 'weight'), optTensor(i, 'bias'), {
      stride: a<IntOrTuple>('stride', 1),
      padding: a<ConvPadding>('padding', 0),
      dilation: a<IntOrTuple>('dilation', 1),
      groups: a('groups', 1),
    });
  },
  conv_transpose2d: (i, k) => {
    const a = kw('conv_transpose2d', k, ['stride', 'padding', 'output_padding', 'groups', 'dilation']);
    return convTranspose2d(input(i), input(i, 'weight'), optTensor(i, 'bias'), {
      stride: a<IntOrTuple>('stride', 1),
      padding: a<IntOrTuple>('padding', 0),
      outputPadding: a<IntOrTuple>('output_padding', 0),
      groups: a('groups', 1),
      dilation: a<IntOrTuple>('dilation', 1),
    });
  },
  pad: (i, k) => {
    const a = kw('pad', k, ['pad', 'mode', 'value']);
    const value = a<number | null>('value', null);
    return pad(input(i), a<number[]>('pad', []), a<PadMode>('mode', 'constant'), value ?? undefined);
  },
  max_pool2d: (i, k) => {
    const a = kw('max_pool2d', k, ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']);
    if (a('return_indices', false)) throw new TypeError('max_pool2d: return_indices=True returns a tuple, which normkit does not');
    return maxPool2d(input(i), a<IntOrTuple>('kernel_size', []), {
      stride: a<IntOrTuple | null>('stride', null),
      padding: a<IntOrTuple>('padding', 0),
      dilation: a<IntOrTuple>('dilation', 1),
      ceilMode: a('ceil_mode', false),
    });
  },
  avg_pool2d: (i, k) => {
    const a = kw('avg_pool2d', k, ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override']);
    return avgPool2d(input(i), a<IntOrTuple>('kernel_size', []), {
      stride: a<IntOrTuple | null>('stride', null),
      padding: a<IntOrTuple>('padding', 0),
      ceilMode: a('ceil_mode', false),
      countIncludePad: a('count_include_pad', true),
      divisorOverride: a<number | null>('divisor_override', null),
    });
  },
  adaptive_avg_pool2d: (i, k) => adaptiveAvgPool2d(input(i), kw('adaptive_avg_pool2d', k, ['output_size'])<AdaptiveSize>('output_size', [])),
  adaptive_max_pool2d: (i, k) => adaptiveMaxPool2d(input(i), kw('adaptive_max_pool2d', k, ['output_size'])<AdaptiveSize>('output_size', [])),
  linear: (i, k) => {
    kw('linear', k, []);
    return linear(input(i), input(i, 'weight'), optTensor(i, 'bias'));
  },
  flatten: (i, k) => {
    const a = kw('flatten', k, ['start_dim', 'end_dim']);
    return flatten(input(i), a('start_dim', 0), a('end_dim', -1));
  },
  relu: (i, k) => {
    kw('relu', k, ['inplace']);
    return relu(input(i));
  },
  leaky_relu: (i, k) => leakyRelu(input(i), kw('leaky_relu', k, ['negative_slope', 'inplace'])('negative_slope', 0.01)),
  tanh: (i, k) => {
    kw('tanh', k, []);
    return tanh(input(i));
  },
  sigmoid: (i, k) => {
    kw('sigmoid', k, []);
    return sigmoid(input(i));
  },
  gelu: (i, k) => gelu(input(i), kw('gelu', k, ['approximate'])<GeluApproximate>('approximate', 'none')),
  elu: (i, k) => elu(input(i), kw('elu', k, ['alpha', 'inplace'])('alpha', 1)),
  // Only deterministic dropout can be compared with PyTorch: eval mode, p = 0 or p = 1.
  dropout: (i, k) => {
    const a = kw('dropout', k, ['p', 'training', 'inplace']);
    return dropout(input(i), a('p', 0.5), a('training', true));
  },
};
