/**
 * Winograd's transformed weights (G g G^T of every channel pair, in the
 * wg4Gemm panel layout: asm/gemm.ts wg4Weight) computed once and handed to
 * whoever runs the forward: this thread copies them into wasm memory instead
 * of transforming, and the pool's workers (which would each transform the
 * whole tensor for their share of the rows) read them from shared memory.
 *
 * A layer's weights are transformed once per value: the cache is keyed by
 * the weight array and checked against a copy of the weights it was made
 * from, bit for bit, on every use (an optimizer step, load_state_dict or a
 * user's write to `.data` changes the values in place; comparing, a native
 * memcmp in Node, costs a fraction of the transform, and no writer can forget
 * to bump a version). Arrays made for one call (a flipped kernel in the
 * backward) are not cached.
 */
import { platform } from '#platform';
import { wasmGemm } from './gemm.js';
import { wg4Plane } from './winograd_plane.js';

interface Entry {
  /** The weights last seen (as int32 bits, so NaNs and -0 compare exactly). */
  from: Int32Array;
  Cout: number;
  /** The transform's buffer, and whether it holds the transform of `from`. */
  u: Float32Array | null;
  valid: boolean;
  /** `u`'s name and how many times it was (re)made: a wasm memory keeps a resident copy by these (residentStamp). */
  id: number;
  version: number;
}

const cache = new WeakMap<Float32Array, Entry>();
/** The entry of each transform buffer handed out. */
const byBuffer = new WeakMap<Float32Array, Entry>();
let ids = 0;

/**
 * The name and version of a transform this cache handed out, or of a pool
 * worker's view of one (adoptStamp; null for any other array): this thread's
 * wasm memory may keep it (or its share of channels) resident
 * (WasmGemm.resident) and copy it again only when the version moves, i.e.
 * when the weights changed and it was remade.
 */
export function residentStamp(u: Float32Array): { id: number; version: number } | null {
  const e = byBuffer.get(u);
  if (e !== undefined) return e.valid && e.u === u ? { id: e.id, version: e.version } : null;
  return adopted.get(u) ?? null;
}

/** Stamps of the views of transforms the pool's workers were sent (a message makes a new view of the same shared memory). */
const adopted = new WeakMap<Float32Array, { id: number; version: number }>();

/** A worker's view `u` of a transform the sending thread stamped `stamp` (its residentStamp when it sent the task). */
export function adoptStamp(u: Float32Array, stamp: { id: number; version: number }): void {
  adopted.set(u, stamp);
}

/** Floats of the transformed weights of Cout x C 3x3 kernels. */
export const winogradWeightFloats = (Cout: number, C: number): number => 36 * wg4Plane(Math.ceil(Cout / 4) * 4 * C);

const bitsOf = (wd: Float32Array): Int32Array => new Int32Array(wd.buffer, wd.byteOffset, wd.length);

/** An array of `floats` in shared memory where the host has any (a page without cross-origin isolation has none, and no workers). */
const sharedFloats = (floats: number): Float32Array =>
  new Float32Array(typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(floats * 4) : new ArrayBuffer(floats * 4));

/** The transform of `wd` (Cout x C x 3 x 3; with `flip` the C x Cout kernel it is the input-gradient kernel of: wg4Weight) into `u` (or a new shared array), through this thread's wasm memory (which it resets). */
function transform(wd: Float32Array, Cout: number, C: number, u: Float32Array | null, flip = false): Float32Array {
  const w = wasmGemm!;
  const floats = winogradWeightFloats(Cout, C);
  const dst = u && u.length === floats ? u : sharedFloats(floats);
  w.reset(null);
  const wOff = w.alloc(wd.length);
  const uOff = w.alloc(floats);
  const tmp = w.alloc(160);
  w.f32().set(wd, wOff);
  w.wg4Weight(wOff, Cout, C, uOff, tmp, flip);
  dst.set(w.f32().subarray(uOff, uOff + floats));
  w.reset(null);
  return dst;
}

/**
 * The transformed weights of `wd`, in shared memory: from the cache while
 * `wd` holds the values they were made from. `need` false (one thread, which
 * can transform in its own memory as fast): null for values seen for the
 * first time, so that weights changing every call (training) cost only the
 * comparison and a copy; the second call with the same values fills the
 * cache. `keep` false: made fresh and not kept, for an array used once
 * (`flip`: read as an input gradient's kernel, wg4Weight).
 */
export function winogradWeights(wd: Float32Array, Cout: number, C: number, need = true, keep = true, flip = false): Float32Array | null {
  if (!keep || flip) return transform(wd, Cout, C, null, flip);
  const bits = bitsOf(wd);
  let e = cache.get(wd);
  const same = e !== undefined && e.Cout === Cout && platform.sameBytes(e.from, bits);
  if (same && e!.valid) return e!.u;
  if (!same) {
    if (e && e.from.length === bits.length) e.from.set(bits);
    else cache.set(wd, (e = { from: bits.slice(), Cout, u: e?.u ?? null, valid: false, id: e?.id ?? ++ids, version: e?.version ?? 0 }));
    e.Cout = Cout;
    e.valid = false;
    if (!need) return null;
  }
  e!.u = transform(wd, Cout, C, e!.u);
  e!.valid = true;
  e!.version++;
  byBuffer.set(e!.u, e!);
  return e!.u;
}
