/**
 * The functions of the layers added with Conv3d, for the oracle's `function`
 * cases, by PyTorch's `torch.nn.functional` names and keyword arguments
 * (tuples arrive as lists).
 */
import { TypeError } from '../../errors.js';
import { hardswish, relu6, selu, silu, softplus } from '../../ops/activation.js';
import { convTranspose1d, type ConvPadding } from '../../ops/conv.js';
import { conv3d, convTranspose3d } from '../../ops/conv3d.js';
import { dropout2d } from '../../ops/dropout.js';
import { pixelShuffle, pixelUnshuffle } from '../../ops/pixel_shuffle.js';
import { adaptiveAvgPool1d, avgPool1d, maxPool1d } from '../../ops/pool1d.js';
import { prelu } from '../../ops/prelu.js';
import type { IntOrTuple } from '../../ops/window_args.js';
import type { Tensor } from '../../tensor/tensor.js';
import { input, kw, optTensor } from './args.js';
import type { OracleFn } from './index.js';


/** A function of the input alone (plus `inplace`, which normkit accepts and ignores). */
function unary(name: string, f: (x: Tensor) => Tensor): OracleFn {
  return (i, k) => {
    kw(name, k, ['inplace']);
    return f(input(i));
  };
}

const TRANSPOSE = ['stride', 'padding', 'output_padding', 'groups', 'dilation'];

function transposeOpts(a: ReturnType<typeof kw>) {
  return {
    stride: a<IntOrTuple>('stride', 1),
    padding: a<IntOrTuple>('padding', 0),
    outputPadding: a<IntOrTuple>('output_padding', 0),
    groups: a('groups', 1),
    dilation: a<IntOrTuple>('dilation', 1),
  };
}

export const fns: Record<string, OracleFn> = {
  relu6: unary('relu6', relu6),
  selu: unary('selu', selu),
  silu: unary('silu', silu),
  hardswish: unary('hardswish', hardswish),
  softplus: (i, k) => {
    const a = kw('softplus', k, ['beta', 'threshold']);
    return softplus(input(i), a('beta', 1), a('threshold', 20));
  },
  prelu: (i, k) => {
    kw('prelu', k, []);
    return prelu(input(i), input(i, 'weight'));
  },
  pixel_shuffle: (i, k) => pixelShuffle(input(i), kw('pixel_shuffle', k, ['upscale_factor'])<number>('upscale_factor', NaN)),
  pixel_unshuffle: (i, k) => pixelUnshuffle(input(i), kw('pixel_unshuffle', k, ['downscale_factor'])<number>('downscale_factor', NaN)),
  // Only deterministic dropout can be compared with PyTorch: eval mode, p = 0 or p = 1.
  dropout2d: (i, k) => {
    const a = kw('dropout2d', k, ['p', 'training', 'inplace']);
    return dropout2d(input(i), a('p', 0.5), a('training', true));
  },
  max_pool1d: (i, k) => {
    const a = kw('max_pool1d', k, ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']);
    if (a('return_indices', false)) throw new TypeError('max_pool1d: return_indices=True returns a tuple, which normkit does not');
    return maxPool1d(input(i), a<IntOrTuple>('kernel_size', []), {
      stride: a<IntOrTuple | null>('stride', null),
      padding: a<IntOrTuple>('padding', 0),
      dilation: a<IntOrTuple>('dilation', 1),
      ceilMode: a('ceil_mode', false),
    });
  },
  avg_pool1d: (i, k) => {
    const a = kw('avg_pool1d', k, ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad']);
    return avgPool1d(input(i), a<IntOrTuple>('kernel_size', []), {
      stride: a<IntOrTuple | null>('stride', null),
      padding: a<IntOrTuple>('padding', 0),
      ceilMode: a('ceil_mode', false),
      countIncludePad: a('count_include_pad', true),
    });
  },
  adaptive_avg_pool1d: (i, k) => adaptiveAvgPool1d(input(i), kw('adaptive_avg_pool1d', k, ['output_size'])<IntOrTuple>('output_size', [])),
  conv3d: (i, k) => {
    const a = kw('conv3d', k, ['stride', 'padding', 'dilation', 'groups']);
    return conv3d(input(i), input(i, 'weight'), optTensor(i, 'bias'), {
      stride: a<IntOrTuple>('stride', 1),
      padding: a<ConvPadding>('padding', 0),
      dilation: a<IntOrTuple>('dilation', 1),
      groups: a('groups', 1),
    });
  },
  conv_transpose1d: (i, k) => convTranspose1d(input(i), input(i, 'weight'), optTensor(i, 'bias'), transposeOpts(kw('conv_transpose1d', k, TRANSPOSE))),
  conv_transpose3d: (i, k) => convTranspose3d(input(i), input(i, 'weight'), optTensor(i, 'bias'), transposeOpts(kw('conv_transpose3d', k, TRANSPOSE))),
};
