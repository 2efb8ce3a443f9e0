/**
 * Builders for the network layers: convolutions, pooling, padding, Linear,
 * Flatten, activations and Dropout (PyTorch's constructor arguments, snake_case).
 * Values PyTorch's constructors themselves reject (e.g. groups not dividing the
 * channels) are passed on, so that the module raises PyTorch's ValueError.
 */
import { SpecError } from '../../errors.js';
import { ELU, GELU, LeakyReLU, ReLU, Sigmoid, Tanh } from '../../nn/activation.js';
import { Conv1d, Conv2d, ConvTranspose2d, type ConvModuleOptions, type ConvNd, type PaddingMode } from '../../nn/conv.js';
import { Dropout } from '../../nn/dropout.js';
import { Flatten } from '../../nn/flatten.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import {
  ConstantPad1d,
  ConstantPad2d,
  ReflectionPad1d,
  ReflectionPad2d,
  ReplicationPad1d,
  ReplicationPad2d,
  ZeroPad2d,
} from '../../nn/padding.js';
import { AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d } from '../../nn/pooling.js';
import type { ConvPadding } from '../../ops/conv.js';
import type { AdaptiveSize } from '../../ops/pool.js';
import type { IntOrTuple } from '../../ops/window_args.js';
import type { ArgReader } from '../args.js';
import type { ModuleBuilder } from '../registry.js';

export function fail(a: ArgReader, name: string, what: string): never {
  throw new SpecError(a.path, `${a.moduleName}: argument '${name}' ${what}`);
}

/** An int or a list of ints, kept in the form given (PyTorch's modules keep it too). */
export function intOrList(a: ArgReader, name: string, dflt?: IntOrTuple): IntOrTuple {
  a.ignore(name);
  const v = a.args[name] ?? dflt;
  if (v === undefined) fail(a, name, 'is required');
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return v as number[];
  fail(a, name, `must be an integer or a list of integers, got ${JSON.stringify(v)}`);
}

/** An int, a list of ints, or null/absent (PyTorch's `None`). */
export function optIntOrList(a: ArgReader, name: string): IntOrTuple | null {
  if (a.args[name] == null) {
    a.ignore(name);
    return null;
  }
  return intOrList(a, name);
}

function str(a: ArgReader, name: string, dflt: string): string {
  a.ignore(name);
  const v = a.args[name] ?? dflt;
  if (typeof v !== 'string') fail(a, name, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function convPadding(a: ArgReader): ConvPadding {
  const v = a.args['padding'];
  if (typeof v === 'string') {
    a.ignore('padding');
    return v as ConvPadding;
  }
  return intOrList(a, 'padding', 0);
}

export function convArgs(a: ArgReader) {
  a.ignore('device', 'dtype');
  return {
    inChannels: a.int('in_channels', undefined, { min: 0 }),
    outChannels: a.int('out_channels', undefined, { min: 0 }),
    kernelSize: intOrList(a, 'kernel_size'),
    stride: intOrList(a, 'stride', 1),
    dilation: intOrList(a, 'dilation', 1),
    groups: a.int('groups', 1),
    bias: a.bool('bias', true),
    paddingMode: str(a, 'padding_mode', 'zeros') as PaddingMode,
  };
}

export function convToArgs(m: ConvNd): Record<string, unknown> {
  const out: Record<string, unknown> = {
    in_channels: m.inChannels,
    out_channels: m.outChannels,
    kernel_size: m.kernelSize,
    stride: m.stride,
    padding: m.padding,
    dilation: m.dilation,
    groups: m.groups,
    bias: m.bias !== null,
    padding_mode: m.paddingMode,
  };
  if (m.transposed) out.output_padding = m.outputPadding;
  return out;
}

export function conv(name: string, cls: new (i: number, o: number, k: IntOrTuple, opts: ConvModuleOptions) => ConvNd): ModuleBuilder {
  return {
    name,
    cls,
    build: (a) => {
      const { inChannels, outChannels, kernelSize, ...o } = convArgs(a);
      return new cls(inChannels, outChannels, kernelSize, { ...o, padding: convPadding(a) });
    },
    toArgs: (m) => convToArgs(m as ConvNd),
  };
}

function padLayer(name: string, cls: new (p: IntOrTuple) => Module & { padding: number[] }): ModuleBuilder {
  return {
    name,
    cls,
    build: (a) => new cls(intOrList(a, 'padding')),
    toArgs: (m) => ({ padding: (m as Module & { padding: number[] }).padding }),
  };
}

function constantPad(name: string, cls: new (p: IntOrTuple, v: number) => ConstantPad1d): ModuleBuilder {
  return {
    name,
    cls,
    build: (a) => new cls(intOrList(a, 'padding'), a.float('value')),
    toArgs: (m) => ({ padding: (m as ConstantPad1d).padding, value: (m as ConstantPad1d).value }),
  };
}

export function noIndices(a: ArgReader): void {
  if (a.bool('return_indices', false)) fail(a, 'return_indices', 'is not supported (a module returns one tensor)');
}

function adaptiveSize(a: ArgReader): AdaptiveSize {
  a.ignore('output_size');
  const v = a.args['output_size'];
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (Array.isArray(v) && v.every((x) => x === null || (typeof x === 'number' && Number.isInteger(x)))) return v as (number | null)[];
  fail(a, 'output_size', `must be an integer or a list of integers / null, got ${JSON.stringify(v)}`);
}

export function inplace(a: ArgReader): { inplace: boolean } {
  return { inplace: a.bool('inplace', false) };
}

/** MaxPool1d/2d: PyTorch's arguments (return_indices refused: normkit returns no tuple). */
interface MaxPoolLike extends Module {
  kernelSize: unknown;
  stride: unknown;
  padding: unknown;
  dilation: unknown;
  ceilMode: boolean;
}
type MaxPoolClass = new (k: IntOrTuple, o: { stride?: IntOrTuple | null; padding: IntOrTuple; dilation: IntOrTuple; ceilMode: boolean }) => MaxPoolLike;

export function maxPool(name: string, cls: MaxPoolClass): ModuleBuilder {
  return {
    name,
    cls,
    build: (a) => {
      noIndices(a);
      return new cls(intOrList(a, 'kernel_size'), {
        stride: optIntOrList(a, 'stride'),
        padding: intOrList(a, 'padding', 0),
        dilation: intOrList(a, 'dilation', 1),
        ceilMode: a.bool('ceil_mode', false),
      });
    },
    toArgs: (m) => {
      const p = m as MaxPoolLike;
      return { kernel_size: p.kernelSize, stride: p.stride, padding: p.padding, dilation: p.dilation, ceil_mode: p.ceilMode };
    },
  };
}

export const builders: ModuleBuilder[] = [
  conv('Conv1d', Conv1d),
  conv('Conv2d', Conv2d),
  {
    name: 'ConvTranspose2d',
    cls: ConvTranspose2d,
    build: (a) => {
      const { inChannels, outChannels, kernelSize, paddingMode, ...o } = convArgs(a);
      return new ConvTranspose2d(inChannels, outChannels, kernelSize, {
        ...o,
        paddingMode: paddingMode as 'zeros',
        padding: intOrList(a, 'padding', 0),
        outputPadding: intOrList(a, 'output_padding', 0),
      });
    },
    toArgs: (m) => convToArgs(m as ConvNd),
  },
  padLayer('ReflectionPad1d', ReflectionPad1d),
  padLayer('ReflectionPad2d', ReflectionPad2d),
  padLayer('ReplicationPad1d', ReplicationPad1d),
  padLayer('ReplicationPad2d', ReplicationPad2d),
  padLayer('ZeroPad2d', ZeroPad2d),
  constantPad('ConstantPad1d', ConstantPad1d),
  constantPad('ConstantPad2d', ConstantPad2d),
  maxPool('MaxPool2d', MaxPool2d),
  {
    name: 'AvgPool2d',
    cls: AvgPool2d,
    build: (a) => {
      const divisor = a.args['divisor_override'] == null ? null : a.int('divisor_override');
      a.ignore('divisor_override');
      return new AvgPool2d(intOrList(a, 'kernel_size'), {
        stride: optIntOrList(a, 'stride'),
        padding: intOrList(a, 'padding', 0),
        ceilMode: a.bool('ceil_mode', false),
        countIncludePad: a.bool('count_include_pad', true),
        divisorOverride: divisor,
      });
    },
    toArgs: (m) => {
      const p = m as AvgPool2d;
      return {
        kernel_size: p.kernelSize,
        stride: p.stride,
        padding: p.padding,
        ceil_mode: p.ceilMode,
        count_include_pad: p.countIncludePad,
        divisor_override: p.divisorOverride,
      };
    },
  },
  {
    name: 'AdaptiveAvgPool2d',
    cls: AdaptiveAvgPool2d,
    build: (a) => new AdaptiveAvgPool2d(adaptiveSize(a)),
    toArgs: (m) => ({ output_size: (m as AdaptiveAvgPool2d).outputSize }),
  },
  {
    name: 'AdaptiveMaxPool2d',
    cls: AdaptiveMaxPool2d,
    build: (a) => {
      noIndices(a);
      return new AdaptiveMaxPool2d(adaptiveSize(a));
    },
    toArgs: (m) => ({ output_size: (m as AdaptiveMaxPool2d).outputSize }),
  },
  {
    name: 'Linear',
    cls: Linear,
    build: (a) => {
      a.ignore('device', 'dtype');
      return new Linear(a.int('in_features', undefined, { min: 0 }), a.int('out_features', undefined, { min: 0 }), { bias: a.bool('bias', true) });
    },
    toArgs: (m) => {
      const l = m as Linear;
      return { in_features: l.inFeatures, out_features: l.outFeatures, bias: l.bias !== null };
    },
  },
  {
    name: 'Flatten',
    cls: Flatten,
    build: (a) => new Flatten({ startDim: a.int('start_dim', 1), endDim: a.int('end_dim', -1) }),
    toArgs: (m) => ({ start_dim: (m as Flatten).startDim, end_dim: (m as Flatten).endDim }),
  },
  {
    name: 'ReLU',
    cls: ReLU,
    build: (a) => new ReLU(inplace(a)),
    toArgs: (m) => ((m as ReLU).inplace ? { inplace: true } : {}),
  },
  {
    name: 'LeakyReLU',
    cls: LeakyReLU,
    build: (a) => new LeakyReLU(a.float('negative_slope', 0.01), inplace(a)),
    toArgs: (m) => ({ negative_slope: (m as LeakyReLU).negativeSlope, ...((m as LeakyReLU).inplace ? { inplace: true } : {}) }),
  },
  { name: 'Tanh', cls: Tanh, build: () => new Tanh(), toArgs: () => ({}) },
  { name: 'Sigmoid', cls: Sigmoid, build: () => new Sigmoid(), toArgs: () => ({}) },
  {
    name: 'GELU',
    cls: GELU,
    build: (a) => new GELU({ approximate: a.str('approximate', ['none', 'tanh'] as const, 'none') }),
    toArgs: (m) => ({ approximate: (m as GELU).approximate }),
  },
  {
    name: 'ELU',
    cls: ELU,
    build: (a) => new ELU(a.float('alpha', 1), inplace(a)),
    toArgs: (m) => ({ alpha: (m as ELU).alpha, ...((m as ELU).inplace ? { inplace: true } : {}) }),
  },
  {
    name: 'Dropout',
    cls: Dropout,
    build: (a) => new Dropout(a.float('p', 0.5), inplace(a)),
    toArgs: (m) => ({ p: (m as Dropout).p, ...((m as Dropout).inplace ? { inplace: true } : {}) }),
  },
];
