/**
 * Float32 storage for op outputs, and its recycling.
 *
 * A large output that comes fresh from the allocator costs a page fault per
 * 4 KB the first time it is written: on the machines measured (bench/) that is
 * most of a normalization layer's time on large tensors. So storage can be
 * handed back: when every tensor on an array has been disposed
 * (`Tensor.dispose()`, or `tidy()`), the array goes to a free list, and the
 * next output of the same length (and kind) takes it again, already paged in.
 *
 * Arrays allocated while gradients are off (`noGrad`) are recycled once
 * their tensors are disposed, unless they have been an input or output of a
 * recorded op (`pinStorage`). Arrays allocated while gradients are recorded
 * (a training step's activations) may be saved by backward closures: each
 * recorded op that reads them holds them (`holdStorage`, called by
 * autograd's `record`) until a backward pass frees the op (`dropHold`), and
 * they are recycled only once no op holds them and every tensor on them has
 * been disposed, or handed to `disposeWhenFreed` (the memory planner's
 * intermediates of a training forward, tensor/plan.ts). `tidy()` leaves
 * them alone. Arrays a user passes to `new Tensor` are never recycled.
 */
import { isGradEnabled } from './grad_mode.js';
import { RuntimeError } from '../errors.js';
import { checkNumel } from './shape.js';

/** Smaller arrays come cheaply from the engine; only these and larger are recycled. */
const MIN_RECYCLED = 16384;

/**
 * Recyclable arrays, by their buffer (every recyclable array has a buffer of
 * its own: see fresh()), with the live (not disposed) tensors on the buffer.
 * Keyed by buffer, not by array, so that a tensor built on a `subarray` (or
 * any other view of the same memory) is counted too: the storage is not
 * recycled under it.
 */
interface Owned {
  array: Float32Array;
  refs: number;
  /** Allocated while gradients were recorded: recycled only once no recorded op holds it. */
  recorded: boolean;
  /** Recorded ops (not yet freed by a backward pass) holding the array. */
  holds: number;
  /** Tensors to dispose once the last hold is dropped (disposeWhenFreed). */
  deferred: { dispose(): void }[] | null;
}
const owned = new WeakMap<ArrayBufferLike, Owned>();
const free = new Map<string, Float32Array[]>();
let freeBytes = 0;
let limitBytes = 256 * 1024 * 1024;
let reused = 0;
let allocated = 0;

/** Whether `v` lives in a SharedArrayBuffer (worker threads can use it in place). */
export const isShared = (v: ArrayBufferView): boolean =>
  typeof SharedArrayBuffer === 'function' && v.buffer instanceof SharedArrayBuffer;

const keyOf = (n: number, shared: boolean): string => (shared ? `s${n}` : `${n}`);

/** A fresh array, uninitialized where the engine allows it (every caller writes each element). */
function fresh(n: number, shared: boolean): Float32Array {
  try {
    return freshUnchecked(n, shared);
  } catch (e) {
    // The engine could not allocate (below MAX_NUMEL, but more than the process has): PyTorch's allocator error.
    if (e instanceof RangeError) {
      throw new RuntimeError(`DefaultCPUAllocator: can't allocate memory: you tried to allocate ${n * 4} bytes (${e.message})`);
    }
    throw e;
  }
}

function freshUnchecked(n: number, shared: boolean): Float32Array {
  if (shared) return new Float32Array(new SharedArrayBuffer(n * 4));
  if (n < MIN_RECYCLED || typeof Buffer === 'undefined') return new Float32Array(n);
  const b = Buffer.allocUnsafeSlow(n * 4);
  return new Float32Array(b.buffer, b.byteOffset, n);
}

/**
 * A float32 array of length n for an op's output. Its contents are
 * unspecified (the caller writes every element). `shared`: backed by a
 * SharedArrayBuffer (worker threads write it directly).
 */
export function allocStorage(n: number, shared = false): Float32Array {
  checkNumel(n);
  if (n < MIN_RECYCLED) return fresh(n, shared);
  const recorded = isGradEnabled();
  let a = free.get(keyOf(n, shared))?.pop();
  if (a) {
    freeBytes -= n * 4;
    reused++;
  } else {
    a = fresh(n, shared);
    allocated++;
  }
  owned.set(a.buffer, { array: a, refs: 0, recorded, holds: 0, deferred: null });
  return a;
}

/** Whether allocStorage(n, shared) would be served from the free lists (memory already paged in). */
export function hasCachedStorage(n: number, shared = false): boolean {
  return (free.get(keyOf(n, shared))?.length ?? 0) > 0;
}

/**
 * Hands back an array from allocStorage that no tensor was made on (an op's
 * scratch): recycled like a disposed output when it is recyclable.
 */
export function freeScratch(a: Float32Array): void {
  const o = owned.get(a.buffer);
  if (o === undefined || o.refs !== 0 || o.array !== a) return;
  o.refs = 1;
  releaseStorage(a);
}

/** Open tidy() scopes: the tensors made in each on recyclable storage. */
const scopes: { dispose(): void }[][] = [];

/** Tensor `t` now lives on `a` or on a part of it (called by the Tensor constructor). */
export function retainStorage(a: Float32Array, t: { dispose(): void }): void {
  const o = owned.get(a.buffer);
  if (o === undefined) return;
  o.refs++;
  if (!o.recorded) scopes[scopes.length - 1]?.push(t);
}

/** Starts collecting the tensors made on recyclable storage (tidy). */
export function openScope(): void {
  scopes.push([]);
}

/** Ends the innermost scope and returns what it collected. */
export function closeScope(): { dispose(): void }[] {
  return scopes.pop() ?? [];
}

/** Hands tensors kept by an inner scope to the enclosing one (if any). */
export function adoptInScope(ts: Iterable<{ dispose(): void }>): void {
  const s = scopes[scopes.length - 1];
  if (s) for (const t of ts) s.push(t);
}

/** A tensor on `a` was disposed: the array is recycled once no live tensor is left on it. */
export function releaseStorage(view: Float32Array): void {
  const o = owned.get(view.buffer);
  if (o === undefined) return;
  if (o.refs > 1) {
    o.refs--;
    return;
  }
  o.refs = 0;
  // A recorded op still holds it: recycled when the last hold is dropped.
  if (o.holds > 0) return;
  recycle(o);
}

function recycle(o: Owned): void {
  owned.delete(o.array.buffer);
  const a = o.array;
  const bytes = a.length * 4;
  if (freeBytes + bytes > limitBytes) return;
  const key = keyOf(a.length, isShared(a));
  let list = free.get(key);
  if (!list) free.set(key, (list = []));
  list.push(a);
  freeBytes += bytes;
}

/** Whether disposing every tensor on `a` would recycle it now (made under noGrad, never pinned). */
export function isRecyclable(a: Float32Array): boolean {
  return owned.get(a.buffer)?.recorded === false;
}

/** `a` may be held by a backward closure or a leaf's gradient: never recycle it. */
export function pinStorage(a: Float32Array): void {
  owned.delete(a.buffer);
}

/**
 * A recorded op's backward may read `a` (`reads`): an array allocated while
 * recording is held until the op is freed (dropHold); any other is pinned.
 * Returns whether it is held (the op must drop it).
 */
export function holdStorage(a: Float32Array, reads = true): boolean {
  const o = owned.get(a.buffer);
  if (o === undefined) return false;
  if (!o.recorded) {
    owned.delete(a.buffer);
    return false;
  }
  // An op whose backward reads no values (autograd/record.ts SAVES_NOTHING) needs no hold.
  if (!reads) return false;
  o.holds++;
  return true;
}

/** A backward pass freed an op that held `a`: with no hold left, the deferred tensors are disposed and the array recycled once none is live. */
export function dropHold(a: Float32Array): void {
  const o = owned.get(a.buffer);
  if (o === undefined || !o.recorded || o.holds <= 0) return;
  if (--o.holds > 0) return;
  const ts = o.deferred;
  o.deferred = null;
  if (ts) for (const t of ts) t.dispose();
  else if (o.refs === 0) recycle(o);
}

/**
 * Tensor `t` (on `a`, allocated while recording) will not be read again but
 * by the backward closures holding `a`: disposed now if none does, else once
 * the last is freed. Returns false (nothing done) for other arrays.
 */
export function disposeWhenFreed(a: Float32Array, t: { dispose(): void }): boolean {
  const o = owned.get(a.buffer);
  if (o === undefined || !o.recorded) return false;
  if (o.holds === 0) t.dispose();
  else (o.deferred ??= []).push(t);
  return true;
}

/** Caps the bytes kept on the free lists (0 turns recycling off and empties them). */
export function setStorageCacheLimit(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RuntimeError(`setStorageCacheLimit: expected a non-negative number of bytes, got ${bytes}`);
  limitBytes = bytes;
  if (freeBytes > limitBytes) emptyStorageCache();
}

/** Drops every cached array (the garbage collector frees them). */
export function emptyStorageCache(): void {
  free.clear();
  freeBytes = 0;
}

export interface StorageInfo {
  /** Bytes waiting on the free lists. */
  cachedBytes: number;
  /** The cap on cachedBytes. */
  limitBytes: number;
  /** Allocations served from the free lists so far. */
  reused: number;
  /** Arrays of a recyclable size (64 KB and more) that had to come fresh from the engine so far. */
  allocated: number;
}

export function storageInfo(): StorageInfo {
  return { cachedBytes: freeBytes, limitBytes, reused, allocated };
}
