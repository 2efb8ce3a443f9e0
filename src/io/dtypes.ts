/**
 * Element codecs for safetensors dtypes: every readable dtype decodes to
 * float32; F32, F64, I64 and I32 can be written. All data is little-endian.
 */

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export type WriteDtype = 'F32' | 'F64' | 'I64' | 'I32';

export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.hasOwn(DTYPE_SIZE, s);
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half precision to a double (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * An int64 as the nearest float32, rounded once (round half to even) from the
 * exact integer: `Math.fround(Number(v))` would round twice (to a double,
 * then to a float32) and can land one float32 step off.
 */
export function int64ToFloat32(v: bigint): number {
  const neg = v < 0n;
  const a = neg ? -v : v;
  // Up to 2^53 the double is exact: fround is the only rounding.
  if (a <= 9007199254740992n) return Math.fround(Number(v));
  let bits = 53;
  while (a >> BigInt(bits) > 0n) bits++;
  const shift = BigInt(bits - 24);
  let m = a >> shift;
  const rem = a - (m << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  // m <= 2^24: the product is exact in a double and representable in a float32.
  const r = Number(m) * 2 ** (bits - 24);
  return neg ? -r : r;
}

/** Decodes `count` elements of `dtype` starting at `bytes[0]` into float32. */
export function decodeElements(bytes: Uint8Array, dtype: Dtype, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === 'F32' && HOST_LITTLE_ENDIAN) {
    // A byte copy keeps every bit (NaN payloads, -0) exactly.
    new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32':
        u32[i] = view.getUint32(i * 4, true);
        break;
      case 'F64':
        out[i] = view.getFloat64(i * 8, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(i * 2, true));
        break;
      case 'BF16':
        // bfloat16 is the upper half of a float32.
        u32[i] = view.getUint16(i * 2, true) << 16;
        break;
      case 'I64':
        out[i] = int64ToFloat32(view.getBigInt64(i * 8, true));
        break;
      case 'I32':
        out[i] = view.getInt32(i * 4, true);
        break;
      case 'I16':
        out[i] = view.getInt16(i * 2, true);
        break;
      case 'I8':
        out[i] = view.getInt8(i);
        break;
      case 'U8':
        out[i] = view.getUint8(i);
        break;
      case 'BOOL':
        out[i] = view.getUint8(i) !== 0 ? 1 : 0;
        break;
    }
  }
  return out;
}

/**
 * Encodes float32 values as `dtype` into `out` (of exactly the right length).
 * Returns the index of a value an integer dtype cannot hold, or -1.
 */
export function encodeElements(values: Float32Array, dtype: WriteDtype, out: Uint8Array): number {
  if (dtype === 'F32' && HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return -1;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    switch (dtype) {
      case 'F32':
        view.setUint32(i * 4, new Uint32Array(values.buffer, values.byteOffset + i * 4, 1)[0]!, true);
        break;
      case 'F64':
        view.setFloat64(i * 8, v, true);
        break;
      case 'I64':
        if (!Number.isInteger(v)) return i;
        view.setBigInt64(i * 8, BigInt(v), true);
        break;
      case 'I32':
        if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) return i;
        view.setInt32(i * 4, v, true);
        break;
    }
  }
  return -1;
}
