/**
 * TensorProto → typed data. Values come from `raw_data` (little-endian, read
 * through a DataView or a copy, so any offset in the file is fine) or from
 * the typed field the ONNX spec assigns to the data type. The element count
 * must equal the product of the dims. External data is refused.
 */
import { fmtSize } from '../../errors.js';
import { OnnxError } from './errors.js';
import { DataLocation, DataType, type TensorProto } from './proto.js';
import { saturate } from './wire.js';

export type OnnxDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool' | 'float16';

export interface OnnxTensor {
  name: string;
  /** The stored type (float64 and float16 are converted to float32 values in `data`). */
  dtype: OnnxDtype;
  dims: number[];
  /**
   * float32/float64/float16: Float32Array; int32: Int32Array; int8: Int8Array;
   * uint8 and bool: Uint8Array (bool as 0/1); int64: number[] (exact: values beyond ±(2^53 - 1) are an error).
   */
  data: Float32Array | Int32Array | Int8Array | Uint8Array | number[];
}

const DTYPES: Partial<Record<number, { dtype: OnnxDtype; size: number }>> = {
  [DataType.FLOAT]: { dtype: 'float32', size: 4 },
  [DataType.DOUBLE]: { dtype: 'float64', size: 8 },
  [DataType.INT64]: { dtype: 'int64', size: 8 },
  [DataType.INT32]: { dtype: 'int32', size: 4 },
  [DataType.INT8]: { dtype: 'int8', size: 1 },
  [DataType.UINT8]: { dtype: 'uint8', size: 1 },
  [DataType.BOOL]: { dtype: 'bool', size: 1 },
  [DataType.FLOAT16]: { dtype: 'float16', size: 2 },
};

const TYPE_NAMES = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k])) as Record<number, string>;
export const dataTypeName = (t: number): string => TYPE_NAMES[t] ?? `data type ${t}`;

/** IEEE half-precision bits to a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The element count of `dims`, checked (non-negative safe integers, product a safe integer). */
export function elementCount(dims: readonly number[], where: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxError(where, `invalid dimension ${d} in dims ${fmtSize(dims)}`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new OnnxError(where, `dims ${fmtSize(dims)} hold too many elements`);
  }
  return n;
}

const TWO32 = 4294967296;

/** Whether typed arrays are little-endian here (every current engine and CPU; big-endian hosts read element by element). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Decodes a TensorProto's values. `where` names it in errors (default: `tensor "<name>"`). */
export function tensorData(t: TensorProto, where = `tensor ${JSON.stringify(t.name)}`): OnnxTensor {
  if (t.dataLocation === DataLocation.EXTERNAL || t.externalData.length > 0) {
    const loc = t.externalData.find((e) => e.key === 'location')?.value;
    throw new OnnxError(where, `external data is not supported (tensor ${JSON.stringify(t.name)} keeps its values in ${loc === undefined ? 'another file' : JSON.stringify(loc)}); save the model with its weights inside`);
  }
  const info = DTYPES[t.dataType];
  if (info === undefined) throw new OnnxError(where, `unsupported data type ${dataTypeName(t.dataType)} (${t.dataType})`);
  const { dtype, size } = info;
  const n = elementCount(t.dims, where);
  const mismatch = (got: number, from: string): never => {
    throw new OnnxError(where, `dims ${fmtSize(t.dims)} need ${n} elements, ${from} holds ${got}`);
  };

  if (t.rawData.length > 0) {
    const raw = t.rawData;
    if (raw.length !== n * size) {
      if (raw.length % size !== 0) throw new OnnxError(where, `raw_data of ${raw.length} bytes is not a whole number of ${dtype} elements (${size} bytes each)`);
      mismatch(raw.length / size, 'raw_data');
    }
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    switch (dtype) {
      case 'float32': {
        const out = new Float32Array(n);
        // ONNX's raw_data is little-endian, as every host normkit runs on: one byte copy (any alignment)
        if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(raw);
        else for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
        return { name: t.name, dtype, dims: [...t.dims], data: out };
      }
      case 'float64': {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true);
        return { name: t.name, dtype, dims: [...t.dims], data: out };
      }
      case 'float16': {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = halfToFloat(v.getUint16(2 * i, true));
        return { name: t.name, dtype, dims: [...t.dims], data: out };
      }
      case 'int32': {
        const out = new Int32Array(n);
        if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(raw);
        else for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true);
        return { name: t.name, dtype, dims: [...t.dims], data: out };
      }
      case 'int64': {
        const out = new Array<number>(n);
        for (let i = 0; i < n; i++) {
          // torch writes INT64_MAX / INT64_MIN as "to the end" sentinels (Slice): they saturate to ±(2^53 - 1).
          out[i] = saturate(v.getUint32(8 * i, true), v.getUint32(8 * i + 4, true));
        }
        return { name: t.name, dtype, dims: [...t.dims], data: out };
      }
      case 'int8':
        return { name: t.name, dtype, dims: [...t.dims], data: new Int8Array(raw) };
      case 'uint8':
        return { name: t.name, dtype, dims: [...t.dims], data: new Uint8Array(raw) };
      case 'bool':
        return { name: t.name, dtype, dims: [...t.dims], data: Uint8Array.from(raw, (b) => (b !== 0 ? 1 : 0)) };
    }
  }

  // typed fields: float_data (float), double_data (double), int64_data (int64),
  // int32_data (int32, int8, uint8, bool, float16 as bit patterns)
  const field = dtype === 'float32' ? t.floatData : dtype === 'float64' ? t.doubleData : dtype === 'int64' ? t.int64Data : t.int32Data;
  const fieldName = dtype === 'float32' ? 'float_data' : dtype === 'float64' ? 'double_data' : dtype === 'int64' ? 'int64_data' : 'int32_data';
  if (field.length !== n) mismatch(field.length, fieldName);
  const dims = [...t.dims];
  switch (dtype) {
    case 'float32':
    case 'float64':
      return { name: t.name, dtype, dims, data: Float32Array.from(field) };
    case 'float16':
      return { name: t.name, dtype, dims, data: Float32Array.from(field, (h) => halfToFloat(h & 0xffff)) };
    case 'int64':
      return { name: t.name, dtype, dims, data: [...field] };
    case 'int32':
      return { name: t.name, dtype, dims, data: Int32Array.from(field) };
    case 'int8':
      return { name: t.name, dtype, dims, data: Int8Array.from(field) };
    case 'uint8':
      return { name: t.name, dtype, dims, data: Uint8Array.from(field) };
    case 'bool':
      return { name: t.name, dtype, dims, data: Uint8Array.from(field, (b) => (b !== 0 ? 1 : 0)) };
  }
}
