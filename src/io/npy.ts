/**
 * NumPy's `.npy` format (version 1.0-3.0): a little-endian float or integer
 * array in C order, read into a float32 tensor. Enough to feed `normkit run`
 * an input saved with `np.save`.
 */
import { SpecError } from '../errors.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Element readers by dtype descr (little-endian or byte-order-free). */
const READERS: Record<string, [number, (v: DataView, at: number) => number]> = {
  '<f4': [4, (v, at) => v.getFloat32(at, true)],
  '<f8': [8, (v, at) => v.getFloat64(at, true)],
  '<f2': [2, (v, at) => half(v.getUint16(at, true))],
  '<i8': [8, (v, at) => Number(v.getBigInt64(at, true))],
  '<i4': [4, (v, at) => v.getInt32(at, true)],
  '<i2': [2, (v, at) => v.getInt16(at, true)],
  '|i1': [1, (v, at) => v.getInt8(at)],
  '|u1': [1, (v, at) => v.getUint8(at)],
  '|b1': [1, (v, at) => v.getUint8(at)],
};

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function loadNpy(bytes: Uint8Array, name = 'the .npy file'): Tensor {
  const fail = (why: string): never => {
    throw new SpecError('', `${name}: ${why}`);
  };
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) fail('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? v.getUint16(8, true) : bytes.length >= 12 ? v.getUint32(8, true) : fail('truncated header');
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) fail('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1] ?? fail(`no dtype in header ${JSON.stringify(header.slice(0, 80))}`);
  if (/'fortran_order'\s*:\s*True/.test(header)) fail('Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail('no shape in header');
  const shape = shapeText.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${shapeText})`);
  const reader = READERS[descr] ?? READERS[descr.replace('=', '<')] ?? fail(`unsupported dtype '${descr}' (float16/32/64, int8/16/32/64, uint8, bool; little-endian)`);
  const [size, read] = reader;
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (bytes.length - dataStart < n * size) fail(`data holds ${Math.floor((bytes.length - dataStart) / size)} elements, shape (${shape.join(', ')}) needs ${n}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = read(v, dataStart + i * size);
  return tensor(out, shape);
}
