import { IndexError, RuntimeError, fmtSize } from '../errors.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Wraps a possibly negative dim into [0, rank), with PyTorch's IndexError otherwise. */
export function normDim(dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new IndexError(`Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + r : dim;
}

/** Broadcast two shapes by NumPy/PyTorch rules (PyTorch's message: the first mismatch from the right). */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RuntimeError(`The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`, { kind: 'mismatch' });
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides to read a tensor of `shape` as if broadcast to `target` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const off = target.length - shape.length;
  const out = new Array<number>(target.length).fill(0);
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i]!;
  return out;
}

/** Resolves a shape with at most one -1 against a known element count. */
export function inferShape(shape: readonly number[], total: number, from: Shape): number[] {
  let neg = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (neg >= 0) throw new RuntimeError('only one dimension can be inferred');
      neg = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RuntimeError(`invalid shape dimension ${d}`);
    } else known *= d;
  });
  const out = [...shape];
  if (neg >= 0) {
    if (known === 0 || total % known !== 0) {
      throw new RuntimeError(`shape '${fmtSize(shape)}' is invalid for input of size ${total}`);
    }
    out[neg] = total / known;
  } else if (known !== total) {
    throw new RuntimeError(`shape '${fmtSize(shape)}' is invalid for input of size ${total} (input shape ${fmtSize(from)})`);
  }
  return out;
}

/** Normalizes a dim list (single, array or undefined = all dims), sorted and deduplicated. */
export function normDims(dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const set = new Set(list.map((d) => normDim(d, rank)));
  if (set.size !== list.length) throw new RuntimeError('dim appears multiple times in the list of dims');
  // A 0-d tensor accepts dim 0 / -1 (as PyTorch does) but has no dim to reduce.
  if (rank === 0) return [];
  return [...set].sort((x, y) => x - y);
}
