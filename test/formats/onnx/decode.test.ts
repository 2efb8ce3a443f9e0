/**
 * The decoder against the truth: every model and every tensor `.pb` of the
 * ONNX backend node tests (../shared/external/onnx-node-tests and Debian's
 * libonnx-testdata), decoded here and by protobufjs from the real onnx.proto,
 * compared field by field (normalized forms, deep equality); tensor values
 * from tensorData against the reference's typed fields or raw bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, decodeModel, decodeTensor, tensorData, OnnxError, type ModelProto, type TensorProto, type TypeProto } from '../../../src/formats/onnx/index.js';
import { CORPORA, canon, corpusCases, read, referenceModel, referenceTensor } from './corpus.js';

const cases = corpusCases();

test('the corpora are there', () => {
  assert.ok(CORPORA.length >= 1, 'no ONNX node-test corpus found');
  assert.ok(cases.length >= 30, `only ${cases.length} node tests found`);
});

function tensorTypeOf(m: ModelProto, io: 'input' | 'output', i: number): TypeProto | undefined {
  // input_i feeds the i-th graph input that is not an initializer
  const inits = new Set(m.graph!.initializer.map((t) => t.name));
  const list = io === 'input' ? m.graph!.input.filter((v) => !inits.has(v.name)) : m.graph!.output;
  return list[i]?.type;
}

/** Element values of a reference tensor, straight from its fields (raw bytes little-endian). */
function referenceValues(t: TensorProto): number[] {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData;
  if (raw.length > 0) {
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const get: Record<number, (i: number) => number> = {
      [DataType.FLOAT]: (i) => v.getFloat32(4 * i, true),
      [DataType.DOUBLE]: (i) => Math.fround(v.getFloat64(8 * i, true)),
      [DataType.INT64]: (i) => Number(v.getBigInt64(8 * i, true)),
      [DataType.INT32]: (i) => v.getInt32(4 * i, true),
      [DataType.INT8]: (i) => v.getInt8(i),
      [DataType.UINT8]: (i) => v.getUint8(i),
      [DataType.BOOL]: (i) => (v.getUint8(i) ? 1 : 0),
      [DataType.FLOAT16]: (i) => half(v.getUint16(2 * i, true)),
    };
    return Array.from({ length: n }, (_, i) => get[t.dataType]!(i));
  }
  if (t.dataType === DataType.FLOAT) return t.floatData;
  if (t.dataType === DataType.DOUBLE) return t.doubleData.map(Math.fround);
  if (t.dataType === DataType.INT64) return t.int64Data;
  if (t.dataType === DataType.FLOAT16) return t.int32Data.map(half);
  if (t.dataType === DataType.BOOL) return t.int32Data.map((b) => (b ? 1 : 0));
  return t.int32Data;
}

// float16 via Math.pow, independent of the decoder's halfToFloat
function half(h: number): number {
  const e = (h >> 10) & 31;
  const f = h & 1023;
  const s = h >> 15 ? -1 : 1;
  if (e === 31) return f ? NaN : s * Infinity;
  return e === 0 ? s * Math.pow(2, -14) * (f / 1024) : s * Math.pow(2, e - 15) * (1 + f / 1024);
}

const SUPPORTED = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.INT32, DataType.INT8, DataType.UINT8, DataType.BOOL, DataType.FLOAT16]);

test('every node-test model decodes exactly as protobufjs reads it from onnx.proto', () => {
  let nodes = 0;
  for (const c of cases) {
    const bytes = read(c.model);
    const m = decodeModel(bytes);
    assert.deepStrictEqual(canon(m), canon(referenceModel(bytes)), c.name);
    nodes += m.graph!.node.length;
  }
  assert.ok(nodes >= cases.length);
});

test('every tensor .pb decodes like protobufjs, and tensorData gives its dims, dtype and values', () => {
  let checked = 0;
  let unsupported = 0;
  const dtypes = new Set<string>();
  for (const c of cases) {
    const m = decodeModel(read(c.model));
    for (const d of c.data) {
      // sequences, maps and optionals are other messages (SequenceProto, OptionalProto)
      if (tensorTypeOf(m, d.io, d.index)?.tensorType === undefined) continue;
      const bytes = read(d.file);
      const t = decodeTensor(bytes);
      const ref = referenceTensor(bytes) as TensorProto;
      assert.deepStrictEqual(canon(t), canon(ref), d.file);
      if (!SUPPORTED.has(t.dataType)) {
        assert.throws(() => tensorData(t), (e: Error) => e instanceof OnnxError && /unsupported data type/.test(e.message), d.file);
        unsupported++;
        continue;
      }
      const td = tensorData(t);
      assert.deepEqual(td.dims, ref.dims, d.file);
      dtypes.add(td.dtype);
      assert.deepStrictEqual(canon([...td.data]), canon(referenceValues(ref)), d.file);
      checked++;
    }
  }
  assert.ok(checked > 100, `only ${checked} tensors checked`);
  for (const dt of ['float32', 'int64', 'int32', 'bool', 'uint8', 'int8', 'float64', 'float16']) assert.ok(dtypes.has(dt), `no ${dt} tensor in the corpus`);
  assert.ok(unsupported > 0);
});

test('models with subgraphs and functions are in the corpus and decode', () => {
  const names = cases.map((c) => c.name);
  for (const want of ['test_if', 'test_loop11', 'test_scan_sum']) {
    const c = cases.find((x) => x.name.endsWith(`/${want}`));
    assert.ok(c, `${want} missing from ${names.length} cases`);
    const m = decodeModel(read(c.model));
    assert.ok(m.graph!.node.some((n) => n.attribute.some((a) => a.g !== undefined)), want);
  }
});
