/**
 * Padding layers (PyTorch's ReflectionPad1d/2d, ReplicationPad1d/2d,
 * ZeroPad2d, ConstantPad1d/2d). `padding` is an int (every side) or the
 * explicit (left, right[, top, bottom]); the layers call `F.pad`.
 *
 *     new nn.ReflectionPad2d(1).call(randn([1, 3, 8, 8])).shape; // [1, 3, 10, 10]
 */
import { pad, type PadMode } from '../ops/pad.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkArgument } from '../options.js';
import { Module } from './module.js';
import { py } from './py_repr.js';

abstract class PadNd extends Module {
  /** (left, right[, top, bottom]) — F.pad order, last dim first. */
  readonly padding: number[];
  protected abstract readonly mode: PadMode;

  constructor(padding: number | readonly number[], sides: number) {
    super();
    checkArgument(new.target.name, 'padding', padding, 'ints');
    this.padding = typeof padding === 'number' ? new Array<number>(sides).fill(padding) : [...padding];
  }

  extraRepr(): string {
    return py(this.padding);
  }
}

abstract class ModePad extends PadNd {
  forward(x: Tensor): Tensor {
    return pad(x, this.padding, this.mode);
  }
}

export class ReflectionPad1d extends ModePad {
  static readonly typeName: string = 'ReflectionPad1d';
  protected readonly mode = 'reflect';
  constructor(padding: number | readonly number[]) {
    super(padding, 2);
  }
}

/** Mirrors the map at its borders (the border row itself is not repeated); padding must be < the size. */
export class ReflectionPad2d extends ModePad {
  static readonly typeName: string = 'ReflectionPad2d';
  protected readonly mode = 'reflect';
  constructor(padding: number | readonly number[]) {
    super(padding, 4);
  }
}

export class ReplicationPad1d extends ModePad {
  static readonly typeName: string = 'ReplicationPad1d';
  protected readonly mode = 'replicate';
  constructor(padding: number | readonly number[]) {
    super(padding, 2);
  }
}

/** Repeats the border rows and columns. */
export class ReplicationPad2d extends ModePad {
  static readonly typeName: string = 'ReplicationPad2d';
  protected readonly mode = 'replicate';
  constructor(padding: number | readonly number[]) {
    super(padding, 4);
  }
}

abstract class ConstantPadNd extends PadNd {
  protected readonly mode = 'constant';
  readonly value: number;

  constructor(padding: number | readonly number[], value: number, sides: number) {
    super(padding, sides);
    checkArgument(new.target.name, 'value', value, 'number');
    this.value = value;
  }

  forward(x: Tensor): Tensor {
    return pad(x, this.padding, 'constant', this.value);
  }

  extraRepr(): string {
    return `padding=${py(this.padding)}, value=${py(this.value, true)}`;
  }
}

export class ConstantPad1d extends ConstantPadNd {
  static readonly typeName: string = 'ConstantPad1d';
  constructor(padding: number | readonly number[], value: number) {
    super(padding, value, 2);
  }
}

export class ConstantPad2d extends ConstantPadNd {
  static readonly typeName: string = 'ConstantPad2d';
  constructor(padding: number | readonly number[], value: number) {
    super(padding, value, 4);
  }
}

/** Pads with zeros. */
export class ZeroPad2d extends ConstantPadNd {
  static readonly typeName: string = 'ZeroPad2d';
  constructor(padding: number | readonly number[]) {
    super(padding, 0, 4);
  }
}
