/**
 * The subset of onnx.proto (IR version <= 10) normkit reads, decoded from the
 * wire format into plain objects whose camelCase names mirror the proto fields.
 * Field numbers follow onnx/onnx.proto. Absent scalars read as the proto2
 * defaults (0, "", empty bytes), absent messages as `undefined`. Unknown
 * fields are skipped; known fields with the wrong wire type are errors.
 *
 * Limits: graphs nest at most MAX_GRAPH_DEPTH deep (attributes holding graphs,
 * graphs inside functions); sparse initializers, tensor segments and external
 * data are refused (see tensor.ts for the last).
 */
import { OnnxError } from './errors.js';
import { Budget, COST, FIXED32, LEN, Reader, VARINT } from './wire.js';

export interface DecodeOptions {
  /**
   * Estimated bytes of JS objects decoding may allocate before it stops with
   * an OnnxError (default: 64 MiB + 32 times the file size). Real models stay
   * far below: their bulk is raw_data, kept as views into the file.
   */
  memoryBudget?: number;
}

const defaultBudget = (bytes: Uint8Array, o?: DecodeOptions) => new Budget(o?.memoryBudget ?? 64 * 2 ** 20 + 32 * bytes.length);

/** Highest IR version read (ONNX 1.15-1.17 write 9-10). */
export const MAX_IR_VERSION = 10;
/** How deep graphs may nest inside attributes (If/Loop/Scan bodies). */
export const MAX_GRAPH_DEPTH = 64;

export interface OperatorSetIdProto {
  domain: string;
  version: number;
}

export interface StringStringEntryProto {
  key: string;
  value: string;
}

export interface ModelProto {
  irVersion: number;
  opsetImport: OperatorSetIdProto[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graph?: GraphProto;
  metadataProps: StringStringEntryProto[];
  functions: FunctionProto[];
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  docString: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: AttributeProto[];
  docString: string;
  /** NodeProto.metadata_props (field 9, onnx 1.16 / IR 10): present only when the file has some (torch 2.x's `pkg.torch.onnx.name_scopes`). */
  metadataProps?: StringStringEntryProto[];
}

/** AttributeProto.AttributeType. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export interface AttributeProto {
  name: string;
  refAttrName: string;
  docString: string;
  /** AttributeType (0 when absent, as in IR version 1 files). */
  type: number;
  f: number;
  i: number;
  /** Bytes; UTF-8 text for string attributes (see attrString). */
  s: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
}

/** TensorProto.DataType. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** TensorProto.DataLocation. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

export interface TensorProto {
  dims: number[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: number[];
  name: string;
  docString: string;
  /** A view into the input bytes (any alignment). */
  rawData: Uint8Array;
  doubleData: number[];
  uint64Data: number[];
  externalData: StringStringEntryProto[];
  dataLocation: number;
}

export interface Dimension {
  /** Set when the dimension is a number (`dim_value`). */
  dimValue?: number;
  /** Set when the dimension is symbolic (`dim_param`, e.g. "batch_size"). */
  dimParam?: string;
}

export interface TensorTypeProto {
  elemType: number;
  /** Absent: rank unknown. */
  shape?: { dim: Dimension[] };
}

export interface TypeProto {
  /** Only tensor types are read; sequence/map/optional/sparse types leave this undefined. */
  tensorType?: TensorTypeProto;
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
  docString: string;
}

export interface FunctionProto {
  name: string;
  input: string[];
  output: string[];
  attribute: string[];
  /** Attributes with default values (onnx >= 1.13, field 11). */
  attributeProto: AttributeProto[];
  node: NodeProto[];
  docString: string;
  opsetImport: OperatorSetIdProto[];
  domain: string;
}

const utf8 = new TextDecoder('utf-8');
/** A string attribute's value (`s` is bytes in the proto). */
export function attrString(a: AttributeProto): string {
  return utf8.decode(a.s);
}

// ---- decoding --------------------------------------------------------------

/** Iterates over the fields of the message under `r`, handing each to `on`, which returns false for unknown fields. */
function fields(r: Reader, on: (field: number, wire: number, at: number) => boolean): void {
  r.charge(COST.message);
  while (!r.done) {
    const at = r.pos;
    const [field, wire] = r.tag();
    if (!on(field, wire, at)) r.skip(wire, field);
  }
}

function str(r: Reader, wire: number, at: number, name: string): string {
  r.expect(wire, LEN, name, at);
  return r.string(name);
}

function bytes(r: Reader, wire: number, at: number, name: string): Uint8Array {
  r.expect(wire, LEN, name, at);
  return r.bytes(name);
}

function int(r: Reader, wire: number, at: number, name: string): number {
  r.expect(wire, VARINT, name, at);
  return r.int64(name);
}

function sub(r: Reader, wire: number, at: number, path: string): Reader {
  r.expect(wire, LEN, path.slice(path.lastIndexOf('.') + 1), at);
  return r.message(path);
}

function decodeOpset(r: Reader): OperatorSetIdProto {
  const o: OperatorSetIdProto = { domain: '', version: 0 };
  fields(r, (f, w, at) => {
    if (f === 1) o.domain = str(r, w, at, 'domain');
    else if (f === 2) o.version = int(r, w, at, 'version');
    else return false;
    return true;
  });
  return o;
}

function decodeEntry(r: Reader): StringStringEntryProto {
  const e: StringStringEntryProto = { key: '', value: '' };
  fields(r, (f, w, at) => {
    if (f === 1) e.key = str(r, w, at, 'key');
    else if (f === 2) e.value = str(r, w, at, 'value');
    else return false;
    return true;
  });
  return e;
}

export function decodeTensorProto(r: Reader): TensorProto {
  const t: TensorProto = {
    dims: [],
    dataType: 0,
    floatData: [],
    int32Data: [],
    stringData: [],
    int64Data: [],
    name: '',
    docString: '',
    rawData: new Uint8Array(0),
    doubleData: [],
    uint64Data: [],
    externalData: [],
    dataLocation: 0,
  };
  fields(r, (f, w, at) => {
    const p = r.path;
    switch (f) {
      case 1:
        r.repeated(w, 'int64', 'dims', t.dims);
        break;
      case 2:
        t.dataType = int(r, w, at, 'data_type');
        break;
      case 3:
        r.fail('tensor segments (TensorProto.segment) are not supported', at);
        break;
      case 4:
        r.repeated(w, 'float', 'float_data', t.floatData);
        break;
      case 5:
        r.repeated(w, 'int64', 'int32_data', t.int32Data);
        break;
      case 6:
        t.stringData.push(bytes(r, w, at, 'string_data'));
        break;
      case 7:
        r.repeated(w, 'int64sat', 'int64_data', t.int64Data);
        break;
      case 8:
        t.name = str(r, w, at, 'name');
        break;
      case 9:
        t.rawData = bytes(r, w, at, 'raw_data');
        break;
      case 10:
        r.repeated(w, 'double', 'double_data', t.doubleData);
        break;
      case 11:
        r.repeated(w, 'uint64', 'uint64_data', t.uint64Data);
        break;
      case 12:
        t.docString = str(r, w, at, 'doc_string');
        break;
      case 13:
        t.externalData.push(decodeEntry(sub(r, w, at, `${p}.external_data[${t.externalData.length}]`)));
        break;
      case 14:
        t.dataLocation = int(r, w, at, 'data_location');
        break;
      default:
        return false;
    }
    return true;
  });
  return t;
}

function decodeDimension(r: Reader): Dimension {
  const d: Dimension = {};
  fields(r, (f, w, at) => {
    // a oneof: the last one read wins
    if (f === 1) {
      d.dimValue = int(r, w, at, 'dim_value');
      delete d.dimParam;
    } else if (f === 2) {
      d.dimParam = str(r, w, at, 'dim_param');
      delete d.dimValue;
    } else return false;
    return true;
  });
  return d;
}

function decodeTensorType(r: Reader): TensorTypeProto {
  const t: TensorTypeProto = { elemType: 0 };
  fields(r, (f, w, at) => {
    if (f === 1) t.elemType = int(r, w, at, 'elem_type');
    else if (f === 2) {
      const s = sub(r, w, at, `${r.path}.shape`);
      const shape = (t.shape ??= { dim: [] });
      fields(s, (f2, w2, at2) => {
        if (f2 !== 1) return false;
        shape.dim.push(decodeDimension(sub(s, w2, at2, `${s.path}.dim[${shape.dim.length}]`)));
        return true;
      });
    } else return false;
    return true;
  });
  return t;
}

function decodeType(r: Reader): TypeProto {
  const t: TypeProto = {};
  fields(r, (f, w, at) => {
    if (f === 1) t.tensorType = decodeTensorType(sub(r, w, at, `${r.path}.tensor_type`));
    else if (f === 4 || f === 5 || f === 8 || f === 9) {
      // sequence/map/sparse/optional types: one of a oneof, not read
      delete t.tensorType;
      return false;
    } else return false;
    return true;
  });
  return t;
}

function decodeValueInfo(r: Reader): ValueInfoProto {
  const v: ValueInfoProto = { name: '', docString: '' };
  fields(r, (f, w, at) => {
    if (f === 1) v.name = str(r, w, at, 'name');
    else if (f === 2) v.type = decodeType(sub(r, w, at, `${r.path}.type`));
    else if (f === 3) v.docString = str(r, w, at, 'doc_string');
    else return false;
    return true;
  });
  return v;
}

function decodeAttribute(r: Reader, depth: number): AttributeProto {
  const a: AttributeProto = {
    name: '',
    refAttrName: '',
    docString: '',
    type: 0,
    f: 0,
    i: 0,
    s: new Uint8Array(0),
    floats: [],
    ints: [],
    strings: [],
    tensors: [],
    graphs: [],
  };
  fields(r, (f, w, at) => {
    const p = r.path;
    switch (f) {
      case 1:
        a.name = str(r, w, at, 'name');
        break;
      case 21:
        a.refAttrName = str(r, w, at, 'ref_attr_name');
        break;
      case 13:
        a.docString = str(r, w, at, 'doc_string');
        break;
      case 20:
        a.type = int(r, w, at, 'type');
        break;
      case 2:
        r.expect(w, FIXED32, 'f', at);
        a.f = r.float32('f');
        break;
      case 3:
        r.expect(w, VARINT, 'i', at);
        a.i = r.int64Saturating('i');
        break;
      case 4:
        a.s = bytes(r, w, at, 's');
        break;
      case 5:
        a.t = decodeTensorProto(sub(r, w, at, `${p}.t`));
        break;
      case 6:
        a.g = decodeGraph(sub(r, w, at, `${p}.g`), depth + 1);
        break;
      case 7:
        r.repeated(w, 'float', 'floats', a.floats);
        break;
      case 8:
        r.repeated(w, 'int64sat', 'ints', a.ints);
        break;
      case 9:
        a.strings.push(bytes(r, w, at, 'strings'));
        break;
      case 10:
        a.tensors.push(decodeTensorProto(sub(r, w, at, `${p}.tensors[${a.tensors.length}]`)));
        break;
      case 11:
        a.graphs.push(decodeGraph(sub(r, w, at, `${p}.graphs[${a.graphs.length}]`), depth + 1));
        break;
      default:
        return false;
    }
    return true;
  });
  return a;
}

function decodeNode(r: Reader, depth: number): NodeProto {
  const n: NodeProto = { input: [], output: [], name: '', opType: '', domain: '', attribute: [], docString: '' };
  fields(r, (f, w, at) => {
    switch (f) {
      case 1:
        n.input.push(str(r, w, at, 'input'));
        break;
      case 2:
        n.output.push(str(r, w, at, 'output'));
        break;
      case 3:
        n.name = str(r, w, at, 'name');
        break;
      case 4:
        n.opType = str(r, w, at, 'op_type');
        break;
      case 7:
        n.domain = str(r, w, at, 'domain');
        break;
      case 5:
        n.attribute.push(decodeAttribute(sub(r, w, at, `${r.path}.attribute[${n.attribute.length}]`), depth));
        break;
      case 6:
        n.docString = str(r, w, at, 'doc_string');
        break;
      case 9:
        (n.metadataProps ??= []).push(decodeEntry(sub(r, w, at, `${r.path}.metadata_props[${n.metadataProps?.length ?? 0}]`)));
        break;
      default:
        return false;
    }
    return true;
  });
  return n;
}

function decodeGraph(r: Reader, depth: number): GraphProto {
  if (depth > MAX_GRAPH_DEPTH) r.fail(`graphs nested more than ${MAX_GRAPH_DEPTH} deep`);
  const g: GraphProto = { node: [], name: '', initializer: [], docString: '', input: [], output: [], valueInfo: [] };
  fields(r, (f, w, at) => {
    const p = r.path;
    switch (f) {
      case 1:
        g.node.push(decodeNode(sub(r, w, at, `${p}.node[${g.node.length}]`), depth));
        break;
      case 2:
        g.name = str(r, w, at, 'name');
        break;
      case 5:
        g.initializer.push(decodeTensorProto(sub(r, w, at, `${p}.initializer[${g.initializer.length}]`)));
        break;
      case 15:
        r.fail('sparse initializers (GraphProto.sparse_initializer) are not supported', at);
        break;
      case 10:
        g.docString = str(r, w, at, 'doc_string');
        break;
      case 11:
        g.input.push(decodeValueInfo(sub(r, w, at, `${p}.input[${g.input.length}]`)));
        break;
      case 12:
        g.output.push(decodeValueInfo(sub(r, w, at, `${p}.output[${g.output.length}]`)));
        break;
      case 13:
        g.valueInfo.push(decodeValueInfo(sub(r, w, at, `${p}.value_info[${g.valueInfo.length}]`)));
        break;
      default:
        return false;
    }
    return true;
  });
  return g;
}

function decodeFunction(r: Reader, depth: number): FunctionProto {
  const fn: FunctionProto = { name: '', input: [], output: [], attribute: [], attributeProto: [], node: [], docString: '', opsetImport: [], domain: '' };
  fields(r, (f, w, at) => {
    const p = r.path;
    switch (f) {
      case 1:
        fn.name = str(r, w, at, 'name');
        break;
      case 4:
        fn.input.push(str(r, w, at, 'input'));
        break;
      case 5:
        fn.output.push(str(r, w, at, 'output'));
        break;
      case 6:
        fn.attribute.push(str(r, w, at, 'attribute'));
        break;
      case 11:
        fn.attributeProto.push(decodeAttribute(sub(r, w, at, `${p}.attribute_proto[${fn.attributeProto.length}]`), depth));
        break;
      case 7:
        fn.node.push(decodeNode(sub(r, w, at, `${p}.node[${fn.node.length}]`), depth));
        break;
      case 8:
        fn.docString = str(r, w, at, 'doc_string');
        break;
      case 9:
        fn.opsetImport.push(decodeOpset(sub(r, w, at, `${p}.opset_import[${fn.opsetImport.length}]`)));
        break;
      case 10:
        fn.domain = str(r, w, at, 'domain');
        break;
      default:
        return false;
    }
    return true;
  });
  return fn;
}

/** ModelProto fields and their wire types, to tell a model from other bytes by its first tag. */
const MODEL_FIELDS: Record<number, number> = { 1: VARINT, 2: LEN, 3: LEN, 4: LEN, 5: VARINT, 6: LEN, 7: LEN, 8: LEN, 14: LEN, 20: LEN, 25: LEN };

/** Decodes a whole `.onnx` file. Every problem is an OnnxError. */
export function decodeModelProto(bytes: Uint8Array, options?: DecodeOptions): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new OnnxError('', 'not an ONNX model: expected the file as a Uint8Array');
  if (bytes.length === 0) throw new OnnxError('', 'not an ONNX model: the file is empty');
  const r = new Reader(bytes, 'ModelProto', 0, bytes.length, defaultBudget(bytes, options));
  {
    const probe = new Reader(bytes, 'ModelProto');
    let field = 0;
    let wire = 0;
    try {
      [field, wire] = probe.tag();
    } catch (e) {
      throw new OnnxError('', `not an ONNX model: ${(e as Error).message}`);
    }
    if (MODEL_FIELDS[field] !== wire) {
      throw new OnnxError('', `not an ONNX model: the first field (number ${field}, wire type ${wire}) is not a ModelProto field (first byte 0x${bytes[0]!.toString(16).padStart(2, '0')})`);
    }
  }
  const m: ModelProto = {
    irVersion: 0,
    opsetImport: [],
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadataProps: [],
    functions: [],
  };
  let sawIr = false;
  fields(r, (f, w, at) => {
    const p = r.path;
    switch (f) {
      case 1:
        m.irVersion = int(r, w, at, 'ir_version');
        sawIr = true;
        if (m.irVersion > MAX_IR_VERSION) {
          throw new OnnxError('ModelProto.ir_version', `IR version ${m.irVersion} is newer than the highest supported (${MAX_IR_VERSION})`);
        }
        break;
      case 8:
        m.opsetImport.push(decodeOpset(sub(r, w, at, `${p}.opset_import[${m.opsetImport.length}]`)));
        break;
      case 2:
        m.producerName = str(r, w, at, 'producer_name');
        break;
      case 3:
        m.producerVersion = str(r, w, at, 'producer_version');
        break;
      case 4:
        m.domain = str(r, w, at, 'domain');
        break;
      case 5:
        m.modelVersion = int(r, w, at, 'model_version');
        break;
      case 6:
        m.docString = str(r, w, at, 'doc_string');
        break;
      case 7:
        // proto2 merges repeated occurrences of a message field; ONNX writers emit it once
        if (m.graph !== undefined) r.fail('ModelProto.graph appears twice', at);
        m.graph = decodeGraph(sub(r, w, at, `${p}.graph`), 0);
        break;
      case 14:
        m.metadataProps.push(decodeEntry(sub(r, w, at, `${p}.metadata_props[${m.metadataProps.length}]`)));
        break;
      case 25:
        m.functions.push(decodeFunction(sub(r, w, at, `${p}.functions[${m.functions.length}]`), 0));
        break;
      default:
        return false;
    }
    return true;
  });
  if (!sawIr || m.irVersion < 1) throw new OnnxError('ModelProto.ir_version', `not an ONNX model: ir_version is ${sawIr ? m.irVersion : 'missing'}`);
  if (m.graph === undefined) throw new OnnxError('ModelProto.graph', 'not an ONNX model: it has no graph');
  return m;
}

/** Decodes a serialized TensorProto (a `.pb` file of the ONNX test data). */
export function decodeTensorBytes(bytes: Uint8Array, options?: DecodeOptions): TensorProto {
  if (!(bytes instanceof Uint8Array)) throw new OnnxError('', 'not a TensorProto: expected the file as a Uint8Array');
  return decodeTensorProto(new Reader(bytes, 'TensorProto', 0, bytes.length, defaultBudget(bytes, options)));
}
