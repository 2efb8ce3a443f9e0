/**
 * `PixelShuffle(upscaleFactor)` and `PixelUnshuffle(downscaleFactor)`:
 * [*, C*r^2, H, W] <-> [*, C, H*r, W*r] (sub-pixel convolution upsampling).
 * As in PyTorch, the factor is checked when the layer runs.
 */
import { TypeError } from '../errors.js';
import { pixelShuffle, pixelUnshuffle } from '../ops/pixel_shuffle.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkArgument, checkOptions, isOptionsObject } from '../options.js';
import { Module } from './module.js';

/** The factor by position or as PyTorch's keyword (`{ upscaleFactor: 2 }`); a number (PyTorch checks that it is an int when the layer runs). */
function factorArg(where: string, name: 'upscaleFactor' | 'downscaleFactor', v: unknown): number {
  if (isOptionsObject(v)) {
    const o = checkOptions(where, v, { [name]: 'number' }, { position: 1 });
    v = o[name];
    if (v === undefined) throw new TypeError(`${where}: missing required argument '${name}'`, { kind: 'argument' });
  }
  checkArgument(where, name === 'upscaleFactor' ? 'upscale_factor' : 'downscale_factor', v, 'number');
  return v as number;
}

export class PixelShuffle extends Module {
  static readonly typeName: string = 'PixelShuffle';
  readonly upscaleFactor: number;

  constructor(upscaleFactor: number | { upscaleFactor: number }) {
    super();
    this.upscaleFactor = factorArg('PixelShuffle', 'upscaleFactor', upscaleFactor);
  }

  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }

  extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

export class PixelUnshuffle extends Module {
  static readonly typeName: string = 'PixelUnshuffle';
  readonly downscaleFactor: number;

  constructor(downscaleFactor: number | { downscaleFactor: number }) {
    super();
    this.downscaleFactor = factorArg('PixelUnshuffle', 'downscaleFactor', downscaleFactor);
  }

  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }

  extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}
