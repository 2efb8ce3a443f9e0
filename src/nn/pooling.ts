/**
 * Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d,
 * over [N, C, H, W] or [C, H, W]. Arguments keep the form they were given in
 * (an int or a pair), as PyTorch's modules do.
 *
 *     new nn.MaxPool2d(2).call(randn([1, 8, 32, 32])).shape; // [1, 8, 16, 16]
 */
import { TypeError, ValueError, fmtValue } from '../errors.js';
import { checkArgument, checkOptions, describeValue, isOptionsObject } from '../options.js';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d, type AdaptiveSize } from '../ops/pool.js';
import type { IntOrTuple } from '../ops/window_args.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { typeNameOf } from '../type_name.js';
import { py } from './py_repr.js';

export interface MaxPool2dModuleOptions {
  /** Defaults to kernelSize. */
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
}

/** PyTorch's `_MaxPoolNd`: the arguments as given, their checks and repr; MaxPool1d and MaxPool2d run the op. */
export abstract class MaxPoolNd extends Module {
  readonly kernelSize: IntOrTuple;
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  readonly dilation: IntOrTuple;
  readonly ceilMode: boolean;

  constructor(kernelSize: IntOrTuple, o: MaxPool2dModuleOptions = {}) {
    super();
    const where = typeNameOf(new.target);
    checkArgument(where, 'kernel_size', kernelSize, 'ints');
    checkOptions(where, o, { stride: 'ints|null', padding: 'ints', dilation: 'ints', ceilMode: 'boolean' }, { position: 2, positional: 'stride' });
    this.kernelSize = kernelSize;
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding ?? 0;
    this.dilation = o.dilation ?? 1;
    this.ceilMode = o.ceilMode ?? false;
  }

  extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}, dilation=${py(this.dilation)}, ceil_mode=${py(this.ceilMode)}`;
  }
}

export class MaxPool2d extends MaxPoolNd {
  static readonly typeName: string = 'MaxPool2d';

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
}

export interface AvgPool2dModuleOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

export class AvgPool2d extends Module {
  static readonly typeName: string = 'AvgPool2d';
  readonly kernelSize: IntOrTuple;
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: IntOrTuple, o: AvgPool2dModuleOptions = {}) {
    super();
    checkArgument('AvgPool2d', 'kernel_size', kernelSize, 'ints');
    checkOptions('AvgPool2d', o, { stride: 'ints|null', padding: 'ints', ceilMode: 'boolean', countIncludePad: 'boolean', divisorOverride: 'int|null' }, { position: 2, positional: 'stride' });
    this.kernelSize = kernelSize;
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding ?? 0;
    this.ceilMode = o.ceilMode ?? false;
    this.countIncludePad = o.countIncludePad ?? true;
    this.divisorOverride = o.divisorOverride ?? null;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

function checkOutputSize(where: string, outputSize: AdaptiveSize): void {
  if (typeof outputSize !== 'number' && !Array.isArray(outputSize)) {
    throw new TypeError(`${where}: output_size must be an integer, null or an array of them, got ${describeValue(outputSize)}`, { kind: 'argument' });
  }
  const list = typeof outputSize === 'number' ? [outputSize] : outputSize;
  if (!list.every((v) => v === null || (Number.isInteger(v) && v >= 0))) {
    throw new ValueError(`output_size must be a non-negative integer, None, or a list of them, got ${fmtValue(outputSize)}`);
  }
}

/** What the two adaptive pools share: the target size, its check and its repr; subclasses name the op. */
abstract class AdaptivePool2d extends Module {
  readonly outputSize: AdaptiveSize;
  protected abstract readonly op: (x: Tensor, outputSize: AdaptiveSize) => Tensor;

  /** `new AdaptiveAvgPool2d(1)`, `new AdaptiveAvgPool2d([4, null])` or, as PyTorch's keyword, `new AdaptiveAvgPool2d({ outputSize: 1 })`. */
  constructor(outputSize: AdaptiveSize | { outputSize: AdaptiveSize }) {
    super();
    if (isOptionsObject(outputSize)) outputSize = checkOptions(new.target.name, outputSize, { outputSize: 'any' }, { position: 1 }).outputSize as AdaptiveSize;
    checkOutputSize(new.target.name, outputSize as AdaptiveSize);
    this.outputSize = outputSize as AdaptiveSize;
  }

  forward(x: Tensor): Tensor {
    return this.op(x, this.outputSize);
  }

  extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}

/** Average over PyTorch's adaptive windows so that the output is `outputSize` (null keeps that input size). */
export class AdaptiveAvgPool2d extends AdaptivePool2d {
  static readonly typeName: string = 'AdaptiveAvgPool2d';
  protected readonly op = adaptiveAvgPool2d;
}

/** Maximum over PyTorch's adaptive windows so that the output is `outputSize` (null keeps that input size). */
export class AdaptiveMaxPool2d extends AdaptivePool2d {
  static readonly typeName: string = 'AdaptiveMaxPool2d';
  protected readonly op = adaptiveMaxPool2d;
}
