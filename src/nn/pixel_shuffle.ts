/**
 * `PixelShuffle(upscaleFactor)` and `PixelUnshuffle(downscaleFactor)`:
 * [*, C*r^2, H, W] <-> [*, C, H*r, W*r] (sub-pixel convolution upsampling).
 * As in PyTorch, the factor is checked when the layer runs.
 */
import { pixelShuffle, pixelUnshuffle } from '../ops/pixel_shuffle.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export class PixelShuffle extends Module {
  static readonly typeName: string = 'PixelShuffle';
  readonly upscaleFactor: number;

  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = upscaleFactor;
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

  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = downscaleFactor;
  }

  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }

  extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}
