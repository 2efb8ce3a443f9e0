/**
 * 1-D pooling layers over [N, C, L] or [C, L]: MaxPool1d, AvgPool1d,
 * AdaptiveAvgPool1d. MaxPool1d keeps its arguments as given; AvgPool1d holds
 * them as 1-tuples (PyTorch's `_single`), which its repr shows.
 *
 *     new nn.MaxPool1d(2).call(randn([1, 8, 32])).shape; // [1, 8, 16]
 */
import { adaptiveAvgPool1d, avgPool1d, maxPool1d } from '../ops/pool1d.js';
import type { IntOrTuple } from '../ops/window_args.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkArgument, checkOptions, isOptionsObject } from '../options.js';
import { Module } from './module.js';
import { MaxPoolNd } from './pooling.js';
import { py } from './py_repr.js';

export interface MaxPool1dModuleOptions {
  /** Defaults to kernelSize. */
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
}

export class MaxPool1d extends MaxPoolNd {
  static readonly typeName: string = 'MaxPool1d';

  constructor(kernelSize: IntOrTuple, o: MaxPool1dModuleOptions = {}) {
    super(kernelSize, o);
  }

  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
}

export interface AvgPool1dModuleOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** PyTorch's `_single`: an int becomes a 1-tuple, a tuple stays as it is. */
const single = (v: IntOrTuple): number[] => (typeof v === 'number' ? [v] : [...v]);

export class AvgPool1d extends Module {
  static readonly typeName: string = 'AvgPool1d';
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: IntOrTuple, o: AvgPool1dModuleOptions = {}) {
    super();
    checkArgument('AvgPool1d', 'kernel_size', kernelSize, 'ints');
    checkOptions('AvgPool1d', o, { stride: 'ints|null', padding: 'ints', ceilMode: 'boolean', countIncludePad: 'boolean' }, { position: 2, positional: 'stride' });
    this.kernelSize = single(kernelSize);
    this.stride = single(o.stride === null || o.stride === undefined || (Array.isArray(o.stride) && o.stride.length === 0) ? kernelSize : o.stride);
    this.padding = single(o.padding ?? 0);
    this.ceilMode = o.ceilMode ?? false;
    this.countIncludePad = o.countIncludePad ?? true;
  }

  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }

  extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

/** Average over PyTorch's adaptive windows so that the output length is `outputSize`. */
export class AdaptiveAvgPool1d extends Module {
  static readonly typeName: string = 'AdaptiveAvgPool1d';
  readonly outputSize: IntOrTuple;

  /** `new AdaptiveAvgPool1d(4)` or, as PyTorch's keyword, `new AdaptiveAvgPool1d({ outputSize: 4 })`. */
  constructor(outputSize: IntOrTuple | { outputSize: IntOrTuple }) {
    super();
    if (isOptionsObject(outputSize)) outputSize = checkOptions('AdaptiveAvgPool1d', outputSize, { outputSize: 'ints' }, { position: 1 }).outputSize as IntOrTuple;
    checkArgument('AdaptiveAvgPool1d', 'output_size', outputSize, 'ints');
    this.outputSize = outputSize as IntOrTuple;
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }

  extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}
