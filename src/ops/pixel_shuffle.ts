/**
 * `pixelShuffle(x, r)` / `pixelUnshuffle(x, r)` (PyTorch's `F.pixel_shuffle`,
 * `F.pixel_unshuffle`): [*, C*r^2, H, W] <-> [*, C, H*r, W*r]. The shape rules
 * `pixelShuffleOutputShape` / `pixelUnshuffleOutputShape` hold PyTorch's checks
 * and messages. Both are permutations, so the gradient is the inverse move.
 */
import { record } from '../autograd/record.js';
import { RuntimeError, TypeError } from '../errors.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { windowedFacts } from './window_args.js';

function checkInt(r: number, what: string, op: string, input: Shape): void {
  if (!Number.isInteger(r)) {
    throw new TypeError(`${op}(): argument '${what}' (position 2) must be int, not ${typeof r === 'number' ? 'float' : typeof r}`, { inputSize: input, kind: 'argument' });
  }
}

function checkFactor(r: number, what: string, op: string, input: Shape): void {
  if (r <= 0) throw new RuntimeError(`${op} expects a positive ${what}, but got ${r}`, { inputSize: input, kind: 'argument' });
}

function checkRank(input: Shape, op: string): void {
  if (input.length < 3) {
    throw new RuntimeError(`${op} expects input to have at least 3 dimensions, but got input with ${input.length} dimension(s)`, { inputSize: input, kind: 'rank' });
  }
}

/** Output shape of `pixel_shuffle(input, upscaleFactor)`. */
export function pixelShuffleOutputShape(input: Shape, upscaleFactor: number): number[] {
  const op = 'pixel_shuffle';
  checkInt(upscaleFactor, 'upscale_factor', op, input);
  checkRank(input, op);
  checkFactor(upscaleFactor, 'upscale_factor', op, input);
  const n = input.length;
  const c = input[n - 3]!;
  const r2 = upscaleFactor * upscaleFactor;
  if (c % r2 !== 0) {
    throw new RuntimeError(
      `pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${c} is not divisible by ${r2}`,
      { inputSize: input, kind: 'channels' },
    );
  }
  return [...input.slice(0, n - 3), c / r2, input[n - 2]! * upscaleFactor, input[n - 1]! * upscaleFactor];
}

/** Output shape of `pixel_unshuffle(input, downscaleFactor)`. */
export function pixelUnshuffleOutputShape(input: Shape, downscaleFactor: number): number[] {
  const op = 'pixel_unshuffle';
  checkInt(downscaleFactor, 'downscale_factor', op, input);
  checkRank(input, op);
  checkFactor(downscaleFactor, 'downscale_factor', op, input);
  const n = input.length;
  const r = downscaleFactor;
  const [h, w] = [input[n - 2]!, input[n - 1]!];
  if (h % r !== 0) {
    throw new RuntimeError(`pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=${h} is not divisible by ${r}`, {
      inputSize: input,
      kind: 'kernel',
    });
  }
  if (w % r !== 0) {
    throw new RuntimeError(`pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=${w} is not divisible by ${r}`, {
      inputSize: input,
      kind: 'kernel',
    });
  }
  return [...input.slice(0, n - 3), input[n - 3]! * r * r, h / r, w / r];
}

/**
 * Moves values between a [B, C, r, r, H, W] view of the channels-packed side
 * and the [B, C, H, r, W, r] view of the spatial side; `toSpatial` picks the
 * direction. B counts the batch dims, C the unpacked channels.
 */
function shuffle(src: Float32Array, B: number, C: number, H: number, W: number, r: number, toSpatial: boolean): Float32Array {
  const out = new Float32Array(src.length);
  let packed = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const base = (b * C + c) * r * r * H * W;
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < r; j++) {
          for (let h = 0; h < H; h++) {
            const rowBase = base + ((h * r + i) * W) * r + j;
            for (let w = 0; w < W; w++, packed++) {
              const spatial = rowBase + w * r;
              if (toSpatial) out[spatial] = src[packed]!;
              else out[packed] = src[spatial]!;
            }
          }
        }
      }
    }
  }
  return out;
}

function run(x: Tensor, outShape: number[], name: string, packedShape: Shape, r: number, toSpatial: boolean): Tensor {
  const n = packedShape.length;
  const B = packedShape.slice(0, n - 3).reduce((a, b) => a * b, 1);
  const C = packedShape[n - 3]! / (r * r);
  const [H, W] = [packedShape[n - 2]!, packedShape[n - 1]!];
  const out = new Tensor(shuffle(x.data, B, C, H, W, r, toSpatial), outShape);
  return record(out, [x], name, (g) => [new Tensor(shuffle(g.data, B, C, H, W, r, !toSpatial), x.shape)]);
}

/**
 * Rearranges [*, C*r^2, H, W] into [*, C, H*r, W*r]: out[c, h*r + i, w*r + j] = in[c*r^2 + i*r + j, h, w].
 * A constant plane does not stay constant (its r^2 source planes differ).
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  assertTensor(x, 'input');
  const outShape = pixelShuffleOutputShape(x.shape, upscaleFactor);
  if (x.isMeta) return Tensor.meta(outShape, windowedFacts(x, outShape, 2, false));
  return run(x, outShape, 'pixel_shuffle', x.shape, upscaleFactor, true);
}

/** The inverse of `pixelShuffle`: [*, C, H*r, W*r] -> [*, C*r^2, H, W]; constant planes stay constant. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  assertTensor(x, 'input');
  const outShape = pixelUnshuffleOutputShape(x.shape, downscaleFactor);
  if (x.isMeta) return Tensor.meta(outShape, windowedFacts(x, outShape, 2, true));
  return run(x, outShape, 'pixel_unshuffle', outShape, downscaleFactor, false);
}
