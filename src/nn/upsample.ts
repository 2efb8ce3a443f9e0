/**
 * `Upsample` and its fixed-mode variants (PyTorch's `nn.Upsample`,
 * `nn.UpsamplingNearest2d`, `nn.UpsamplingBilinear2d`): modules holding the
 * arguments of `interpolate`, which does the work and raises the errors.
 */
import { interpolate, type InterpolateOptions } from '../ops/interpolate.js';
import { checkOptions } from '../options.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { TypeError, pyTypeName } from '../errors.js';

export interface UpsampleOptions {
  /** Output spatial size (one int for all spatial dims, or one per dim). */
  size?: number | readonly number[];
  /** Spatial multiplier (one number, or one per dim). */
  scaleFactor?: number | readonly number[];
  /** 'nearest' (default), 'nearest-exact', 'linear', 'bilinear' or 'trilinear'. */
  mode?: string;
  /** Linear modes only; undefined is PyTorch's `None`. */
  alignCorners?: boolean;
  recomputeScaleFactor?: boolean;
}

/** Python's `str()` of a float: `2.0`, `1.5`. */
function pyFloat(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
}

function pyTuple(items: readonly string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/**
 * Upsamples [N, C, L], [N, C, H, W] or [N, C, D, H, W] input to `size` or by `scaleFactor`.
 *
 * Shape: input (N, C, *spatial) -> output (N, C, *outSpatial), outSpatial = size, or
 * floor(spatial * scaleFactor).
 *
 * @example new Upsample({ scaleFactor: 2, mode: 'nearest' }).call(x)   // [2, 3, 4, 4] -> [2, 3, 8, 8]
 */
export class Upsample extends Module {
  static readonly typeName: string = 'Upsample';
  readonly size: number | readonly number[] | undefined;
  readonly scaleFactor: number | readonly number[] | undefined;
  readonly mode: string;
  readonly alignCorners: boolean | undefined;
  readonly recomputeScaleFactor: boolean | undefined;

  constructor(opts: UpsampleOptions = {}) {
    super();
    checkOptions('Upsample', opts, { size: 'ints', scaleFactor: 'numbers', mode: 'string', alignCorners: 'boolean', recomputeScaleFactor: 'boolean' }, { position: 1, positional: 'size' });
    for (const [name, v] of [['size', opts.size], ['scale_factor', opts.scaleFactor]] as const) {
      if (v !== undefined && v !== null && typeof v !== 'number' && !Array.isArray(v)) {
        throw new TypeError(`Upsample: ${name} must be a number or a list of numbers, not ${pyTypeName(v)}`, { kind: 'argument' });
      }
    }
    this.size = typeof opts.size === 'number' ? opts.size : opts.size ? [...opts.size] : undefined;
    // PyTorch stores `float(scale_factor) if scale_factor else None`: a zero factor counts as unset.
    this.scaleFactor = typeof opts.scaleFactor === 'number' ? opts.scaleFactor || undefined : opts.scaleFactor ? [...opts.scaleFactor] : undefined;
    this.mode = opts.mode ?? 'nearest';
    this.alignCorners = opts.alignCorners;
    this.recomputeScaleFactor = opts.recomputeScaleFactor;
  }

  /** The `interpolate` options this module calls with. */
  get interpolateOptions(): InterpolateOptions {
    return {
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    };
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, this.interpolateOptions);
  }

  extraRepr(): string {
    const sf = this.scaleFactor;
    const sz = this.size;
    const info =
      sf !== undefined
        ? `scale_factor=${typeof sf === 'number' ? pyFloat(sf) : pyTuple(sf.map(pyFloat))}`
        : `size=${sz === undefined ? 'None' : typeof sz === 'number' ? sz : pyTuple(sz.map(String))}`;
    return `${info}, mode=${this.mode}`;
  }
}

/** `Upsample` with mode 'nearest' (PyTorch's deprecated `nn.UpsamplingNearest2d`). */
export class UpsamplingNearest2d extends Upsample {
  static readonly typeName: string = 'UpsamplingNearest2d';
  constructor(opts: Pick<UpsampleOptions, 'size' | 'scaleFactor'> = {}) {
    checkOptions('UpsamplingNearest2d', opts, { size: 'ints', scaleFactor: 'numbers' }, { position: 1, positional: 'size' });
    super({ size: opts.size, scaleFactor: opts.scaleFactor, mode: 'nearest' });
  }
}

/** `Upsample` with mode 'bilinear' and align_corners=True (PyTorch's deprecated `nn.UpsamplingBilinear2d`). */
export class UpsamplingBilinear2d extends Upsample {
  static readonly typeName: string = 'UpsamplingBilinear2d';
  constructor(opts: Pick<UpsampleOptions, 'size' | 'scaleFactor'> = {}) {
    checkOptions('UpsamplingBilinear2d', opts, { size: 'ints', scaleFactor: 'numbers' }, { position: 1, positional: 'size' });
    super({ size: opts.size, scaleFactor: opts.scaleFactor, mode: 'bilinear', alignCorners: true });
  }
}
