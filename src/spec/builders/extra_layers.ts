/**
 * Builders for the layers added with Conv3d: PReLU, ReLU6, SELU, SiLU,
 * Hardswish, Softplus, PixelShuffle/PixelUnshuffle, Dropout2d, the 1-D pools,
 * Conv3d and the 1-D / 3-D transposed convolutions (PyTorch's constructor
 * arguments, snake_case). Values PyTorch's constructors reject are passed on,
 * so that the module raises PyTorch's error.
 */
import { Hardswish, ReLU6, SELU, SiLU, Softplus } from '../../nn/activation.js';
import { Conv3d, ConvTranspose1d, ConvTranspose3d, type ConvNd } from '../../nn/conv.js';
import { Dropout2d } from '../../nn/dropout.js';
import { PixelShuffle, PixelUnshuffle } from '../../nn/pixel_shuffle.js';
import { AdaptiveAvgPool1d, AvgPool1d, MaxPool1d } from '../../nn/pooling1d.js';
import { PReLU } from '../../nn/prelu.js';
import type { ArgReader } from '../args.js';
import type { ModuleBuilder } from '../registry.js';
import { conv, convArgs, convToArgs, inplace, intOrList, maxPool, optIntOrList } from './network_layers.js';

type TransposeCls = typeof ConvTranspose1d | typeof ConvTranspose3d;

function convTranspose(name: string, cls: TransposeCls): ModuleBuilder {
  return {
    name,
    cls,
    build: (a) => {
      const { inChannels, outChannels, kernelSize, paddingMode, ...o } = convArgs(a);
      return new cls(inChannels, outChannels, kernelSize, {
        ...o,
        paddingMode: paddingMode as 'zeros',
        padding: intOrList(a, 'padding', 0),
        outputPadding: intOrList(a, 'output_padding', 0),
      });
    },
    toArgs: (m) => convToArgs(m as ConvNd),
  };
}

/** An activation whose only argument is `inplace`. */
function inplaceOnly(name: string, cls: typeof ReLU6 | typeof SELU | typeof SiLU | typeof Hardswish): ModuleBuilder {
  return {
    name,
    cls,
    build: (a) => new cls(inplace(a)),
    toArgs: (m) => ((m as ReLU6).inplace ? { inplace: true } : {}),
  };
}

/** An int argument kept as given (PyTorch checks it when the layer runs). */
function factor(a: ArgReader, name: string): number {
  return a.float(name);
}

export const builders: ModuleBuilder[] = [
  conv('Conv3d', Conv3d),
  convTranspose('ConvTranspose1d', ConvTranspose1d),
  convTranspose('ConvTranspose3d', ConvTranspose3d),
  {
    name: 'PReLU',
    cls: PReLU,
    build: (a) => {
      a.ignore('device', 'dtype');
      return new PReLU(a.int('num_parameters', 1), a.float('init', 0.25));
    },
    toArgs: (m) => ({ num_parameters: (m as PReLU).numParameters, init: (m as PReLU).init }),
  },
  inplaceOnly('ReLU6', ReLU6),
  inplaceOnly('SELU', SELU),
  inplaceOnly('SiLU', SiLU),
  inplaceOnly('Hardswish', Hardswish),
  {
    name: 'Softplus',
    cls: Softplus,
    build: (a) => new Softplus(a.float('beta', 1), a.float('threshold', 20)),
    toArgs: (m) => ({ beta: (m as Softplus).beta, threshold: (m as Softplus).threshold }),
  },
  {
    name: 'PixelShuffle',
    cls: PixelShuffle,
    build: (a) => new PixelShuffle(factor(a, 'upscale_factor')),
    toArgs: (m) => ({ upscale_factor: (m as PixelShuffle).upscaleFactor }),
  },
  {
    name: 'PixelUnshuffle',
    cls: PixelUnshuffle,
    build: (a) => new PixelUnshuffle(factor(a, 'downscale_factor')),
    toArgs: (m) => ({ downscale_factor: (m as PixelUnshuffle).downscaleFactor }),
  },
  {
    name: 'Dropout2d',
    cls: Dropout2d,
    build: (a) => new Dropout2d(a.float('p', 0.5), inplace(a)),
    toArgs: (m) => ({ p: (m as Dropout2d).p, ...((m as Dropout2d).inplace ? { inplace: true } : {}) }),
  },
  maxPool('MaxPool1d', MaxPool1d),
  {
    name: 'AvgPool1d',
    cls: AvgPool1d,
    build: (a) =>
      new AvgPool1d(intOrList(a, 'kernel_size'), {
        stride: optIntOrList(a, 'stride'),
        padding: intOrList(a, 'padding', 0),
        ceilMode: a.bool('ceil_mode', false),
        countIncludePad: a.bool('count_include_pad', true),
      }),
    toArgs: (m) => {
      const p = m as AvgPool1d;
      return { kernel_size: p.kernelSize, stride: p.stride, padding: p.padding, ceil_mode: p.ceilMode, count_include_pad: p.countIncludePad };
    },
  },
  {
    name: 'AdaptiveAvgPool1d',
    cls: AdaptiveAvgPool1d,
    build: (a) => new AdaptiveAvgPool1d(intOrList(a, 'output_size')),
    toArgs: (m) => ({ output_size: (m as AdaptiveAvgPool1d).outputSize }),
  },
];
