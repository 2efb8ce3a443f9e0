import { IndexError, RuntimeError, TypeError, fmtSize, pyTypeName } from '../errors.js';

export type Shape = readonly number[];

/**
 * The largest tensor normkit allocates: 2^31 - 1 float32 elements (8 GB).
 * Anything larger is refused with a RuntimeError before any allocation
 * (PyTorch's allocator error, with normkit's bound).
 */
export const MAX_NUMEL = 2 ** 31 - 1;

let maxNumel = MAX_NUMEL;

/**
 * Lowers (or restores, up to MAX_NUMEL) the largest element count a tensor
 * may have; returns the previous bound. A server facing untrusted sizes, or a
 * fuzz run, sets it to what it can afford.
 */
export function setMaxNumel(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_NUMEL) {
    throw new RuntimeError(`setMaxNumel: expected an integer in [0, 2^31 - 1], got ${n}`, { kind: 'argument' });
  }
  const prev = maxNumel;
  maxNumel = n;
  return prev;
}

/** Refuses an element count above the bound (MAX_NUMEL, or setMaxNumel's), or not a count at all, before anything is allocated. */
export function checkNumel(n: number, shape?: Shape): number {
  if (Number.isSafeInteger(n) && n >= 0 && n <= maxNumel) return n;
  if (shape !== undefined && !Number.isSafeInteger(n)) {
    throw new RuntimeError(`Storage size calculation overflowed with sizes=${fmtSize(shape.slice(0, 64))}`, { kind: 'argument', inputSize: shape.slice(0, 64) });
  }
  throw new RuntimeError(
    `DefaultCPUAllocator: can't allocate memory: you tried to allocate ${n * 4} bytes (normkit refuses tensors of more than ${maxNumel === MAX_NUMEL ? '2^31 - 1' : maxNumel} elements)`,
    { kind: 'argument' },
  );
}

/**
 * Checks a size argument as PyTorch's argument parser does: a list of
 * integers (`fn(): argument 'size' (position 1) must be tuple of SymInts, not
 * float`). `varargs`: the sizes were passed one by one (the message names the
 * bad element's type; for a list PyTorch names the list). Negative sizes are
 * left to the caller (their messages differ per op).
 */
export function checkSizeArg(shape: unknown, fn: string, opts: { name?: string; varargs?: boolean; elements?: boolean; pos?: number } = {}): asserts shape is number[] {
  const name = opts.name ?? 'size';
  const pos = opts.pos ?? 1;
  if (!Array.isArray(shape)) {
    throw new TypeError(`${fn}(): argument '${name}' (position ${pos}) must be tuple of ints, not ${pyTypeName(shape)}`, { kind: 'argument' });
  }
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d)) {
      // PyTorch 1.13's parser words these three ways: x.expand(2.5, 6), zeros(2, 2.5), zeros([2, inf]).
      throw new TypeError(
        opts.elements
          ? `${fn}(): argument '${name}' must be tuple of SymInts, but found element of type ${pyTypeName(d)} at pos ${i + 1}`
          : `${fn}(): argument '${name}' (position ${pos}) must be tuple of SymInts, not ${opts.varargs ? pyTypeName(d) : 'list'}`,
        { kind: 'argument' },
      );
    }
  }
}

/** An int argument (PyTorch's parser: `fn(): argument 'dim' (position 1) must be int, not float`). */
export function checkIntArg(v: unknown, fn: string, name: string, pos: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`${fn}(): argument '${name}' (position ${pos}) must be int, not ${pyTypeName(v)}`, { kind: 'argument' });
  }
}

/** A number argument (`fn(): argument 'fill_value' (position 2) must be Number, not str`). */
export function checkNumberArg(v: unknown, fn: string, name: string, pos: number): asserts v is number {
  if (typeof v !== 'number') {
    throw new TypeError(`${fn}(): argument '${name}' (position ${pos}) must be Number, not ${pyTypeName(v)}`, { kind: 'argument' });
  }
}

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
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    throw new TypeError(`argument 'dim' must be int, not ${pyTypeName(dim)}`, { kind: 'argument' });
  }
  if (dim < -r || dim >= r) {
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
    } else if (typeof d !== 'number' || !Number.isInteger(d)) {
      throw new TypeError(`reshape(): argument 'shape' (position 1) must be tuple of SymInts, not ${pyTypeName(d)}`, { kind: 'argument' });
    } else if (d < 0) {
      throw new RuntimeError(`invalid shape dimension ${d}`, { kind: 'argument' });
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
  if (dims === undefined || dims === null) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(dims) ? (dims as readonly number[]) : [dims as number];
  const set = new Set(list.map((d) => normDim(d, rank)));
  if (set.size !== list.length) throw new RuntimeError('dim appears multiple times in the list of dims');
  // A 0-d tensor accepts dim 0 / -1 (as PyTorch does) but has no dim to reduce.
  if (rank === 0) return [];
  return [...set].sort((x, y) => x - y);
}
