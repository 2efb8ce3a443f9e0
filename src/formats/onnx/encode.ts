/**
 * Encodes the same onnx.proto subset the decoder reads, laid out as the
 * reference (C++ protobuf) writer does: fields in field-number order, packed
 * encoding only where onnx.proto declares `[packed = true]`. Missing fields
 * are the proto2 defaults and are not written. onnxruntime loads the result.
 */
import { OnnxError } from './errors.js';
import type { AttributeProto, FunctionProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto, ValueInfoProto } from './proto.js';
import { DataType } from './proto.js';
import { FIXED32, VARINT, Writer } from './wire.js';

/** Every field optional, recursively (Uint8Array kept whole). */
export type DeepPartial<T> = T extends Uint8Array
  ? T
  : T extends (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

type P<T> = DeepPartial<T>;

function int(w: Writer, field: number, v: number | undefined): void {
  if (v === undefined || v === 0) return;
  w.tag(field, VARINT);
  w.varint(v);
}

function str(w: Writer, field: number, v: string | undefined): void {
  if (v === undefined || v === '') return;
  w.stringField(field, v);
}

function byt(w: Writer, field: number, v: Uint8Array | undefined): void {
  if (v === undefined || v.length === 0) return;
  w.bytesField(field, v);
}

function ints(w: Writer, field: number, vs: number[] | undefined): void {
  for (const v of vs ?? []) {
    w.tag(field, VARINT);
    w.varint(v);
  }
}

function packed(w: Writer, field: number, vs: number[] | undefined, kind: 'varint' | 'float' | 'double'): void {
  if (vs === undefined || vs.length === 0) return;
  w.messageField(field, (inner) => {
    for (const v of vs) {
      if (kind === 'varint') inner.varint(v);
      else if (kind === 'float') inner.float32(v);
      else inner.float64(v);
    }
  });
}

function each<T>(w: Writer, field: number, vs: T[] | undefined, enc: (w: Writer, v: T) => void): void {
  for (const v of vs ?? []) w.messageField(field, (inner) => enc(inner, v));
}

const encOpset = (w: Writer, o: P<OperatorSetIdProto>) => {
  str(w, 1, o.domain);
  // version 0 is meaningless but written when asked, so it survives a round trip
  if (o.version !== undefined) {
    w.tag(2, VARINT);
    w.varint(o.version);
  }
};

const encEntry = (w: Writer, e: P<StringStringEntryProto>) => {
  str(w, 1, e.key);
  str(w, 2, e.value);
};

export function encodeTensorProto(w: Writer, t: P<TensorProto>): void {
  ints(w, 1, t.dims);
  int(w, 2, t.dataType);
  packed(w, 4, t.floatData, 'float');
  packed(w, 5, t.int32Data, 'varint');
  for (const s of t.stringData ?? []) w.bytesField(6, s);
  packed(w, 7, t.int64Data, 'varint');
  str(w, 8, t.name);
  byt(w, 9, t.rawData);
  packed(w, 10, t.doubleData, 'double');
  packed(w, 11, t.uint64Data, 'varint');
  str(w, 12, t.docString);
  each(w, 13, t.externalData, encEntry);
  int(w, 14, t.dataLocation);
}

const encValueInfo = (w: Writer, v: P<ValueInfoProto>) => {
  str(w, 1, v.name);
  const tt = v.type?.tensorType;
  if (v.type !== undefined) {
    w.messageField(2, (tw) => {
      if (tt === undefined) return;
      tw.messageField(1, (ttw) => {
        int(ttw, 1, tt.elemType);
        if (tt.shape !== undefined) {
          ttw.messageField(2, (sw) =>
            each(sw, 1, tt.shape!.dim, (dw, d) => {
              if (d.dimValue !== undefined) {
                dw.tag(1, VARINT);
                dw.varint(d.dimValue);
              } else if (d.dimParam !== undefined) dw.stringField(2, d.dimParam);
            }),
          );
        }
      });
    });
  }
  str(w, 3, v.docString);
};

function encAttribute(w: Writer, a: P<AttributeProto>): void {
  str(w, 1, a.name);
  if (a.f !== undefined && (a.f !== 0 || Object.is(a.f, -0))) {
    w.tag(2, FIXED32);
    w.float32(a.f);
  }
  int(w, 3, a.i);
  byt(w, 4, a.s);
  if (a.t !== undefined) w.messageField(5, (tw) => encodeTensorProto(tw, a.t!));
  if (a.g !== undefined) w.messageField(6, (gw) => encGraph(gw, a.g!));
  for (const f of a.floats ?? []) {
    w.tag(7, FIXED32);
    w.float32(f);
  }
  ints(w, 8, a.ints);
  for (const s of a.strings ?? []) w.bytesField(9, s);
  each(w, 10, a.tensors, encodeTensorProto);
  each(w, 11, a.graphs, encGraph);
  str(w, 13, a.docString);
  int(w, 20, a.type);
  str(w, 21, a.refAttrName);
}

function encNode(w: Writer, n: P<NodeProto>): void {
  for (const s of n.input ?? []) w.stringField(1, s);
  for (const s of n.output ?? []) w.stringField(2, s);
  str(w, 3, n.name);
  str(w, 4, n.opType);
  each(w, 5, n.attribute, encAttribute);
  str(w, 6, n.docString);
  str(w, 7, n.domain);
  each(w, 9, n.metadataProps, encEntry);
}

function encGraph(w: Writer, g: P<GraphProto>): void {
  each(w, 1, g.node, encNode);
  str(w, 2, g.name);
  each(w, 5, g.initializer, encodeTensorProto);
  str(w, 10, g.docString);
  each(w, 11, g.input, encValueInfo);
  each(w, 12, g.output, encValueInfo);
  each(w, 13, g.valueInfo, encValueInfo);
}

function encFunction(w: Writer, f: P<FunctionProto>): void {
  str(w, 1, f.name);
  for (const s of f.input ?? []) w.stringField(4, s);
  for (const s of f.output ?? []) w.stringField(5, s);
  for (const s of f.attribute ?? []) w.stringField(6, s);
  each(w, 7, f.node, encNode);
  str(w, 8, f.docString);
  each(w, 9, f.opsetImport, encOpset);
  str(w, 10, f.domain);
  each(w, 11, f.attributeProto, encAttribute);
}

/** Serializes a model (fields left out are the proto2 defaults). */
export function encodeModel(m: P<ModelProto>): Uint8Array {
  if (m.graph === undefined) throw new OnnxError('ModelProto.graph', 'a model needs a graph');
  const w = new Writer();
  int(w, 1, m.irVersion);
  str(w, 2, m.producerName);
  str(w, 3, m.producerVersion);
  str(w, 4, m.domain);
  int(w, 5, m.modelVersion);
  str(w, 6, m.docString);
  w.messageField(7, (gw) => encGraph(gw, m.graph!));
  each(w, 8, m.opsetImport, encOpset);
  each(w, 14, m.metadataProps, encEntry);
  each(w, 25, m.functions, encFunction);
  return w.finish();
}

/** Serializes one TensorProto (the `.pb` format of the ONNX test data). */
export function encodeTensor(t: P<TensorProto>): Uint8Array {
  const w = new Writer();
  encodeTensorProto(w, t);
  return w.finish();
}

/** A TensorProto holding `values` in raw_data (little-endian), for initializers and constants. */
export function makeTensor(
  name: string,
  dtype: 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool',
  dims: number[],
  values: ArrayLike<number>,
): TensorProto {
  const size = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 }[dtype];
  const raw = new Uint8Array(values.length * size);
  const v = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (dtype === 'float32') v.setFloat32(4 * i, x, true);
    else if (dtype === 'float64') v.setFloat64(8 * i, x, true);
    // 2^63 (a double cannot hold INT64_MAX) is torch's "to the end": it saturates.
    else if (dtype === 'int64') v.setBigInt64(8 * i, x >= 2 ** 63 ? 2n ** 63n - 1n : x <= -(2 ** 63) ? -(2n ** 63n) : BigInt(x), true);
    else if (dtype === 'int32') v.setInt32(4 * i, x, true);
    else if (dtype === 'int8') v.setInt8(i, x);
    else v.setUint8(i, dtype === 'bool' ? (x ? 1 : 0) : x);
  }
  const dataType = { float32: DataType.FLOAT, float64: DataType.DOUBLE, int64: DataType.INT64, int32: DataType.INT32, int8: DataType.INT8, uint8: DataType.UINT8, bool: DataType.BOOL }[dtype];
  return {
    dims: [...dims],
    dataType,
    floatData: [],
    int32Data: [],
    stringData: [],
    int64Data: [],
    name,
    docString: '',
    rawData: raw,
    doubleData: [],
    uint64Data: [],
    externalData: [],
    dataLocation: 0,
  };
}

