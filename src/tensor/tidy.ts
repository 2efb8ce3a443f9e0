/**
 * `tidy(fn)`: runs fn and disposes the tensors it made on recyclable storage
 * (outputs of ops run under noGrad) that are not part of its result, so their
 * memory serves the next outputs (see storage.ts). Tensors reachable from the
 * result (a tensor, or arrays and plain objects holding tensors) are kept and
 * belong to the enclosing tidy, if any. Parameters, buffers and anything made
 * while gradients are recorded are left alone.
 */
import { RuntimeError } from '../errors.js';
import { adoptInScope, closeScope, isRecyclable, openScope } from './storage.js';
import { Tensor } from './tensor.js';

function collect(v: unknown, into: Set<unknown>, seen: Set<unknown>, depth: number): void {
  if (v instanceof Tensor) {
    into.add(v);
    return;
  }
  if (depth > 8 || v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (Array.isArray(v)) for (const x of v) collect(x, into, seen, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype || v instanceof Map) {
    for (const x of v instanceof Map ? v.values() : Object.values(v)) collect(x, into, seen, depth + 1);
  }
}

/** Disposes those of `made` whose storage can still be recycled (not pinned since: a leaf's gradient, an input of a recorded op). */
function disposeRecyclable(made: readonly { dispose(): void }[]): void {
  for (const t of made) if (t instanceof Tensor && !t.isDisposed && isRecyclable(t.data)) t.dispose();
}

export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new RuntimeError('tidy: expected a function');
  openScope();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    disposeRecyclable(closeScope());
    throw err;
  }
  const made = closeScope();
  if (result instanceof Promise) {
    disposeRecyclable(made);
    throw new RuntimeError('tidy: fn must not be async (its tensors would be disposed before it finished)');
  }
  const keep = new Set<unknown>();
  collect(result, keep, new Set(), 0);
  disposeRecyclable(made.filter((t) => !keep.has(t)));
  adoptInScope(made.filter((t) => keep.has(t)));
  return result;
}
