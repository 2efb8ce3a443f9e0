/**
 * Convolution layers: Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,
 * ConvTranspose3d. They hold `weight`
 * ([out, in/groups, *k], or [in, out/groups, *k] when transposed) and `bias`,
 * initialized as PyTorch does, and call the functional ops. A non-zeros
 * `paddingMode` pads explicitly (F.pad) and then convolves without padding.
 *
 *     const conv = new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1 });
 *     conv.call(randn([1, 3, 32, 32])).shape; // [1, 8, 16, 16]
 */
import { ValueError, fmtValue } from '../errors.js';
import { conv1d, conv2d, convTranspose1d, convTranspose2d, type ConvPadding, type ConvTransposeOptions } from '../ops/conv.js';
import { conv3d, convTranspose3d } from '../ops/conv3d.js';
import { conv2dFused, type FusedAct } from '../ops/conv_fused.js';
import { isGradEnabled } from '../tensor/grad_mode.js';
import { checkArgument, checkOptions, type OptionSpec } from '../options.js';
import { pad, type PadMode } from '../ops/pad.js';
import { expandParam, type IntOrTuple } from '../ops/window_args.js';
import { zeros } from '../tensor/creation.js';
import { platform } from '#platform';
import { Tensor } from '../tensor/tensor.js';
import { resetLayerParameters } from './init.js';
import { Module, Parameter } from './module.js';
import { py } from './py_repr.js';
import { typeNameOf } from '../type_name.js';

/**
 * A weight's zeros in shared memory where this thread can start workers: the
 * pool's threads then read it in place, where a weight of ordinary memory is
 * copied into shared staging on every threaded call (conv_threads.ts; 9.4 MB
 * for 512 channels of 3x3, a serial copy before any worker starts). Values,
 * loading (which copies into it) and saving are the same either way.
 */
function weightZeros(shape: number[]): Tensor {
  const t = zeros(shape);
  if (t.isMeta || !platform.canUseWorkers || typeof SharedArrayBuffer !== 'function') return t;
  return new Tensor(new Float32Array(new SharedArrayBuffer(t.data.length * 4)), shape);
}

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
const PADDING_MODES: readonly string[] = ['zeros', 'reflect', 'replicate', 'circular'];

/** What Conv1d/Conv2d take; ConvTranspose2d also takes outputPadding (and integer paddings only). */
const CONV_OPTIONS: OptionSpec = { stride: 'ints', padding: 'any', dilation: 'ints', groups: 'int', bias: 'boolean', paddingMode: 'string' };

export interface ConvModuleOptions {
  stride?: IntOrTuple;
  padding?: ConvPadding;
  dilation?: IntOrTuple;
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  paddingMode?: PaddingMode;
}

export interface ConvTransposeModuleOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  groups?: number;
  bias?: boolean;
  dilation?: IntOrTuple;
  paddingMode?: 'zeros';
}

function tuple(v: IntOrTuple, n: number, what: string): number[] {
  try {
    return expandParam(v, n, what);
  } catch {
    throw new ValueError(`${what} must be an integer or a tuple of ${n} integers, got ${fmtValue(v)}`, { kind: 'argument' });
  }
}

/** The parts shared by all convolution layers (PyTorch's `_ConvNd`). */
export abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  /** Per-dim padding, or the strings 'same' / 'valid'. */
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  readonly transposed: boolean;

  protected constructor(
    nd: number,
    inChannels: number,
    outChannels: number,
    kernelSize: IntOrTuple,
    o: ConvModuleOptions & { outputPadding?: IntOrTuple },
    transposed: boolean,
  ) {
    super();
    const cls = new.target.name;
    for (const [name, v] of [['in_channels', inChannels], ['out_channels', outChannels]] as const) {
      checkArgument(cls, name, v, 'int');
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ValueError(`${name} must be a non-negative integer, got ${fmtValue(v)}`, { kind: 'argument' });
    }
    if (typeof kernelSize !== 'number' && !Array.isArray(kernelSize)) checkArgument(cls, 'kernel_size', kernelSize, 'ints');
    const groups = o.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0) throw new ValueError('groups must be a positive integer', { kind: 'argument' });
    if (inChannels % groups !== 0) throw new ValueError('in_channels must be divisible by groups', { kind: 'argument' });
    if (outChannels % groups !== 0) throw new ValueError('out_channels must be divisible by groups', { kind: 'argument' });
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = tuple(kernelSize, nd, 'kernel_size');
    this.stride = tuple(o.stride ?? 1, nd, 'stride');
    this.dilation = tuple(o.dilation ?? 1, nd, 'dilation');
    this.outputPadding = tuple(o.outputPadding ?? 0, nd, 'output_padding');
    this.groups = groups;
    const p = o.padding ?? 0;
    if (typeof p === 'string') {
      if (p !== 'same' && p !== 'valid') throw new ValueError(`Invalid padding string '${p}', should be one of {'valid', 'same'}`, { kind: 'argument' });
      if (p === 'same' && this.stride.some((s) => s !== 1)) throw new ValueError("padding='same' is not supported for strided convolutions", { kind: 'argument' });
      this.padding = p;
    } else {
      this.padding = tuple(p, nd, 'padding');
    }
    const mode = o.paddingMode ?? 'zeros';
    if (!PADDING_MODES.includes(mode)) {
      throw new ValueError(`padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='${mode}'`, {
        kind: 'argument',
      });
    }
    this.paddingMode = mode;
    this.transposed = transposed;
    const wShape = transposed
      ? [inChannels, outChannels / groups, ...this.kernelSize]
      : [outChannels, inChannels / groups, ...this.kernelSize];
    const weight = Parameter(weightZeros(wShape));
    const bias = (o.bias ?? true) ? Parameter(zeros([outChannels])) : null;
    resetLayerParameters(weight, bias);
    this.registerParameter('weight', weight);
    this.registerParameter('bias', bias);
  }

  get weight(): Tensor {
    return this.getParameter('weight')!;
  }

  get bias(): Tensor | null {
    return this.getParameter('bias');
  }

  /** F.pad amounts for a non-zeros padding mode: (before, after) per dim, last dim first. */
  protected explicitPadding(): number[] {
    const out: number[] = [];
    for (let i = this.kernelSize.length - 1; i >= 0; i--) {
      if (this.padding === 'same') {
        const total = this.dilation[i]! * (this.kernelSize[i]! - 1);
        const before = Math.floor(total / 2);
        out.push(before, total - before);
      } else if (this.padding === 'valid') {
        out.push(0, 0);
      } else {
        out.push(this.padding[i]!, this.padding[i]!);
      }
    }
    return out;
  }

  extraRepr(): string {
    const nd = this.kernelSize.length;
    const zero = new Array<number>(nd).fill(0);
    const one = new Array<number>(nd).fill(1);
    const same = (a: readonly number[], b: readonly number[]) => a.every((v, i) => v === b[i]);
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}`;
    if (typeof this.padding === 'string' || !same(this.padding, zero)) s += `, padding=${py(this.padding)}`;
    if (!same(this.dilation, one)) s += `, dilation=${py(this.dilation)}`;
    if (!same(this.outputPadding, zero)) s += `, output_padding=${py(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

abstract class ConvForward extends ConvNd {
  protected abstract op(x: Tensor, padding: ConvPadding): Tensor;

  forward(x: Tensor): Tensor {
    if (this.paddingMode !== 'zeros') return this.op(pad(x, this.explicitPadding(), this.paddingMode as PadMode), 0);
    return this.op(x, this.padding);
  }
}

/** 1-D convolution over [N, C_in, L] (or [C_in, L]). */
export class Conv1d extends ConvForward {
  static readonly typeName: string = 'Conv1d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvModuleOptions = {}) {
    checkOptions(typeNameOf(new.target), o, CONV_OPTIONS, { position: 4, positional: 'stride' });
    super(1, inChannels, outChannels, kernelSize, o, false);
  }

  protected op(x: Tensor, padding: ConvPadding): Tensor {
    return conv1d(x, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }
}

/** 2-D convolution over [N, C_in, H, W] (or [C_in, H, W]). */
export class Conv2d extends ConvForward {
  static readonly typeName: string = 'Conv2d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvModuleOptions = {}) {
    checkOptions(typeNameOf(new.target), o, CONV_OPTIONS, { position: 4, positional: 'stride' });
    super(2, inChannels, outChannels, kernelSize, o, false);
  }

  /** Under noGrad, padding_mode='reflect' pads as the kernels copy the image (fusedForward) instead of making the padded tensor. */
  forward(x: Tensor): Tensor {
    if (this.paddingMode === 'reflect' && !isGradEnabled()) return this.fusedForward(x, null, null);
    return super.forward(x);
  }

  protected op(x: Tensor, padding: ConvPadding): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }

  /**
   * The forward with `reflect` (F.pad order: left, right, top, bottom) a
   * ReflectionPad2d before it (on a layer without padding of its own), and
   * with the activation `act` after it; padding_mode='reflect' fuses its own
   * padding. Inference only (nn/fusion.ts decides): same values as the
   * modules one after the other, without the intermediates.
   */
  fusedForward(x: Tensor, reflect: readonly number[] | null, act: FusedAct | null): Tensor {
    const o = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode === 'reflect') return conv2dFused(x, this.weight, this.bias, o, this.explicitPadding(), act);
    if (this.paddingMode !== 'zeros') return conv2dFused(pad(x, this.explicitPadding(), this.paddingMode as PadMode), this.weight, this.bias, o, null, act);
    return conv2dFused(x, this.weight, this.bias, { ...o, padding: this.padding }, reflect, act);
  }
}

/** 3-D convolution over [N, C_in, D, H, W] (or [C_in, D, H, W]). */
export class Conv3d extends ConvForward {
  static readonly typeName: string = 'Conv3d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvModuleOptions = {}) {
    checkOptions(typeNameOf(new.target), o, CONV_OPTIONS, { position: 4, positional: 'stride' });
    super(3, inChannels, outChannels, kernelSize, o, false);
  }

  protected op(x: Tensor, padding: ConvPadding): Tensor {
    return conv3d(x, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }
}

/** The transposed convolutions ("deconvolutions"): the adjoints of the convolutions' input gradients. Zeros padding only. */
abstract class ConvTransposeNd extends ConvNd {
  protected abstract op(x: Tensor, o: ConvTransposeOptions): Tensor;

  protected constructor(nd: number, inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvTransposeModuleOptions) {
    const name = `ConvTranspose${nd}d`;
    checkOptions(name, o, { ...CONV_OPTIONS, padding: 'ints', outputPadding: 'ints' }, { position: 4, positional: 'stride' });
    if ((o.paddingMode ?? 'zeros') !== 'zeros') throw new ValueError(`Only "zeros" padding mode is supported for ${name}`, { kind: 'argument' });
    if (typeof o.padding === 'string') throw new ValueError(`${name} does not support padding='${String(o.padding)}'`, { kind: 'argument' });
    super(nd, inChannels, outChannels, kernelSize, o, true);
  }

  forward(x: Tensor): Tensor {
    return this.op(x, {
      stride: this.stride,
      padding: this.padding as number[],
      outputPadding: this.outputPadding,
      groups: this.groups,
      dilation: this.dilation,
    });
  }
}

/** Transposed 1-D convolution over [N, C_in, L] (or [C_in, L]). */
export class ConvTranspose1d extends ConvTransposeNd {
  static readonly typeName: string = 'ConvTranspose1d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvTransposeModuleOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, o);
  }

  protected op(x: Tensor, o: ConvTransposeOptions): Tensor {
    return convTranspose1d(x, this.weight, this.bias, o);
  }
}

/** Transposed 2-D convolution ("deconvolution"), the adjoint of Conv2d's input gradient. */
export class ConvTranspose2d extends ConvTransposeNd {
  static readonly typeName: string = 'ConvTranspose2d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvTransposeModuleOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, o);
  }

  protected op(x: Tensor, o: ConvTransposeOptions): Tensor {
    return convTranspose2d(x, this.weight, this.bias, o);
  }
}

/** Transposed 3-D convolution over [N, C_in, D, H, W] (or [C_in, D, H, W]). */
export class ConvTranspose3d extends ConvTransposeNd {
  static readonly typeName: string = 'ConvTranspose3d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvTransposeModuleOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, o);
  }

  protected op(x: Tensor, o: ConvTransposeOptions): Tensor {
    return convTranspose3d(x, this.weight, this.bias, o);
  }
}
