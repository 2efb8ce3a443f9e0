/**
 * The checks and statistics rules of the normalization ops: one place, used by
 * the functional ops, the modules and the shape-flow analyzer alike.
 * Messages are PyTorch 1.13's, word for word.
 */
import { IndexError, RuntimeError, TypeError, ValueError, ZeroDivisionError, fmtSize, fmtValue, pyTypeName } from '../../errors.js';
import { numel, type Shape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/** PyTorch's `_verify_spatial_size`: instance statistics need more than one spatial element. */
export function verifySpatialSize(shape: Shape): void {
  if (numel(shape.slice(2)) === 1) {
    throw new ValueError(`Expected more than 1 spatial element when training, got input size ${fmtSize(shape)}`, { kind: 'statistics', inputSize: shape });
  }
}

/** PyTorch's `_verify_batch_size`: batch statistics need more than one value per channel. */
export function verifyBatchSize(shape: Shape): void {
  if ((shape[0] ?? 1) * numel(shape.slice(2)) === 1) {
    throw new ValueError(`Expected more than 1 value per channel when training, got input size ${fmtSize(shape)}`, { kind: 'statistics', inputSize: shape });
  }
}

/** ATen's `check_dims_match_num_input_features`. */
export function checkFeatureCount(name: string, expected: number, actual: number, inputShape: Shape): void {
  if (expected !== actual) {
    throw new RuntimeError(`${name} should contain ${expected} elements not ${actual}`, { kind: 'channels', inputSize: inputShape });
  }
}

/**
 * ATen's batch norm kernel reads weight[0] / bias[0] when there are no
 * channels (for instance norm: no instance x channel planes, N * C = 0), and
 * PyTorch 1.13 raises this IndexError (checked: BatchNorm2d(0) on [2, 0, 3, 3],
 * InstanceNorm2d(3, affine=True) on [0, 3, 3, 3]). Without weight and bias it runs.
 */
export function checkNoChannelsAffine(channels: number, hasAffine: boolean, inputShape: Shape): void {
  if (channels === 0 && hasAffine) {
    throw new IndexError('select(): index 0 out of range for tensor of size [0] at dimension 0', { inputSize: inputShape, kind: 'channels' });
  }
}

/** A norm module's accepted input ranks (`_check_input_dim`), with its message. */
export function checkInputDim(shape: Shape, allowed: readonly number[]): void {
  if (!allowed.includes(shape.length)) {
    const want = allowed.length === 1 ? `${allowed[0]}D` : `${allowed[0]}D or ${allowed[1]}D`;
    throw new ValueError(`expected ${want} input (got ${shape.length}D input)`, { kind: 'rank', inputSize: shape });
  }
}

export function checkAtLeast2d(shape: Shape, op: string): void {
  if (shape.length < 2) {
    throw new ValueError(`${op}: expected an input with at least 2 dimensions (N, C, ...), got input size ${fmtSize(shape)}`, { inputSize: shape });
  }
}

/** ATen's layer_norm input check. */
export function checkLayerNormShape(shape: Shape, normalizedShape: readonly number[], weightShape?: Shape, biasShape?: Shape): void {
  const ns = fmtSize(normalizedShape);
  if (normalizedShape.length < 1) {
    throw new RuntimeError(`Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = ${ns}`, { kind: 'channels' });
  }
  if (weightShape && fmtSize(weightShape) !== ns) {
    throw new RuntimeError(`Expected weight to be of same shape as normalized_shape, but got weight of shape ${fmtSize(weightShape)} and normalized_shape = ${ns}`, { kind: 'channels' });
  }
  if (biasShape && fmtSize(biasShape) !== ns) {
    throw new RuntimeError(`Expected bias to be of same shape as normalized_shape, but got bias of shape ${fmtSize(biasShape)} and normalized_shape = ${ns}`, { kind: 'channels' });
  }
  const tail = shape.slice(shape.length - normalizedShape.length);
  if (shape.length < normalizedShape.length || fmtSize(tail) !== ns) {
    throw new RuntimeError(
      `Given normalized_shape=${ns}, expected input with shape [*, ${normalizedShape.join(', ')}], but got input of size${fmtSize(shape)}`,
      { kind: 'channels', inputSize: shape },
    );
  }
}

/** F.group_norm's batch-size check and ATen's channel checks. */
export function checkGroupNorm(shape: Shape, numGroups: number, weightLen?: number, biasLen?: number): void {
  // F.group_norm's argument parser, then its batch-size check (a Python division: num_groups=0 divides by zero).
  if (typeof numGroups !== 'number' || !Number.isInteger(numGroups)) {
    throw new TypeError(`group_norm(): argument 'num_groups' (position 2) must be int, not ${pyTypeName(numGroups)}`, { kind: 'argument' });
  }
  if (shape.length < 2) {
    throw new RuntimeError(`Expected at least 2 dimensions for input tensor but received ${shape.length}`, { kind: 'rank', inputSize: shape });
  }
  const C = shape[1]!;
  if (numGroups === 0) throw new ZeroDivisionError('integer division or modulo by zero', { kind: 'argument', inputSize: shape });
  verifyBatchSize([Math.floor((shape[0]! * C) / numGroups), numGroups, ...shape.slice(2)]);
  if (numGroups < 0) throw new RuntimeError(`Expected num groups to be greater than 0, got ${numGroups}`, { kind: 'argument', inputSize: shape });
  if (C % numGroups !== 0) {
    throw new RuntimeError(
      `Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmtSize(shape)} and num_groups=${numGroups}`,
      { kind: 'channels', inputSize: shape },
    );
  }
  if (weightLen !== undefined && weightLen !== C) {
    throw new RuntimeError(
      `Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [${weightLen}] and input of shape ${fmtSize(shape)}`,
      { kind: 'channels', inputSize: shape },
    );
  }
  if (biasLen !== undefined && biasLen !== C) {
    throw new RuntimeError(
      `Expected bias to be a vector of size equal to the number of channels in input, but got bias of shape [${biasLen}] and input of shape ${fmtSize(shape)}`,
      { kind: 'channels', inputSize: shape },
    );
  }
}

/** An optional tensor argument of a norm (weight, bias, running statistics): a Tensor, null or undefined. */
export function checkOptionalTensor(v: unknown, fn: string, name: string): void {
  if (v !== undefined && v !== null && !(v instanceof Tensor)) {
    throw new TypeError(`${fn}(): argument '${name}' must be Tensor, not ${pyTypeName(v)}`, { kind: 'argument' });
  }
}

/** Checks an option that must be a finite number (eps, momentum). */
export function checkFiniteOption(name: string, v: number, opts: { positive?: boolean } = {}): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.positive && v <= 0)) {
    throw new ValueError(`${name} must be a finite${opts.positive ? ' positive' : ''} number, got ${fmtValue(v)}`, { kind: 'argument' });
  }
}
