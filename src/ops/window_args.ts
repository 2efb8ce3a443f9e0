/**
 * Argument helpers shared by the windowed ops (conv, pooling): PyTorch's
 * `_single`/`_pair` expansion of an int-or-tuple argument, and the facts that
 * shape-only execution carries through a windowed op.
 */
import { RuntimeError, TypeError, fmtValue, pyTypeName } from '../errors.js';
import type { MetaFacts, Tensor } from '../tensor/tensor.js';

export type IntOrTuple = number | readonly number[];

/**
 * Expands `value` to `n` ints; `what` names the argument in the error, whose
 * wording is PyTorch's convolution one unless `message` is given.
 */
export function expandParam(value: IntOrTuple, n: number, what: string, message?: string): number[] {
  if (typeof value !== 'number' && !Array.isArray(value)) {
    throw new TypeError(`${what} must be an int or a tuple of ints, not ${pyTypeName(value)}`, { kind: 'argument' });
  }
  const list = typeof value === 'number' ? new Array<number>(n).fill(value) : [...value];
  const bad = (list.length !== n && list.length !== 1) || !list.every((v) => Number.isInteger(v));
  if (bad) {
    throw new RuntimeError(
      message ??
        `expected ${what} to be a single integer value or a list of ${n} values to match the convolution dimensions, but got ${what}=${fmtValue(list)}`,
      { kind: 'argument' },
    );
  }
  return list.length === n ? list : new Array<number>(n).fill(list[0]!);
}

/**
 * Facts of a windowed op's output under meta execution. A map whose spatial
 * sizes are all 1 is trivially constant; otherwise constancy survives only when
 * the op provably maps a constant map to a constant map (`preserves`).
 */
export function windowedFacts(input: Tensor, outShape: readonly number[], spatialDims: number, preserves: boolean): MetaFacts {
  const spatial = outShape.slice(outShape.length - spatialDims);
  const since = input.facts.constantSince;
  const inputConstant = input.facts.spatiallyConstant === true;
  if (spatial.length > 0 && spatial.every((d) => d === 1)) {
    return inputConstant && since !== undefined ? { spatiallyConstant: true, constantSince: since } : { spatiallyConstant: true };
  }
  if (preserves && inputConstant) return { ...input.facts };
  return {};
}
