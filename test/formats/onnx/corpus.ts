/**
 * Test support for the ONNX reader: where the conformance corpora are, and an
 * independent decoding of the same bytes by protobufjs from the real onnx.proto
 * (test/fixtures/onnx/onnx.proto), normalized to the decoder's object shape.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProtobuf } from '../../optional_peers.js';

/** The repository root (tests run from dist/test/formats/onnx). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const FIXTURES = join(ROOT, 'test/fixtures/onnx');

/** Folders of ONNX backend node tests (`test_*` holding `model.onnx` and `test_data_set_*`). */
export const CORPORA = [join(ROOT, '../shared/external/onnx-node-tests'), '/usr/share/libonnx-testdata/data/node'].filter((d) => existsSync(d));

export interface CorpusCase {
  name: string;
  dir: string;
  model: string;
  /** `.pb` files with the graph input/output index they feed or hold. */
  data: { file: string; io: 'input' | 'output'; index: number }[];
}

export function corpusCases(): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const root of CORPORA) {
    for (const name of readdirSync(root).sort()) {
      const dir = join(root, name);
      const model = join(dir, 'model.onnx');
      if (!name.startsWith('test_') || !existsSync(model)) continue;
      const data: CorpusCase['data'] = [];
      for (const ds of readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort()) {
        for (const f of readdirSync(join(dir, ds)).sort()) {
          const m = /^(input|output)_(\d+)\.pb$/.exec(f);
          if (m) data.push({ file: join(dir, ds, f), io: m[1] as 'input' | 'output', index: Number(m[2]) });
        }
      }
      out.push({ name: `${root.includes('libonnx') ? 'libonnx' : 'shared'}/${name}`, dir, model, data });
    }
  }
  return out;
}

/** libonnx-testdata's other folders: old PyTorch exports of modules and operators, and simple models. */
const EXTRA = ['pytorch-converted', 'pytorch-operator', 'simple'].map((d) => `/usr/share/libonnx-testdata/data/${d}`).filter((d) => existsSync(d));

/** The models of those folders (`model.onnx` with `test_data_set_*`), named `<folder>/<test>`. */
export function extraCases(): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const root of EXTRA) {
    for (const name of readdirSync(root).sort()) {
      const dir = join(root, name);
      const model = join(dir, 'model.onnx');
      if (!existsSync(model)) continue;
      const data: CorpusCase['data'] = [];
      for (const ds of readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort()) {
        for (const f of readdirSync(join(dir, ds)).sort()) {
          const m = /^(input|output)_(\d+)\.pb$/.exec(f);
          if (m) data.push({ file: join(dir, ds, f), io: m[1] as 'input' | 'output', index: Number(m[2]) });
        }
      }
      out.push({ name: `${root.replace(/.*\//, '')}/${name}`, dir, model, data });
    }
  }
  return out;
}

export const read = (f: string): Uint8Array => new Uint8Array(readFileSync(f));

/** The part of protobufjs the cross-check uses (its own types come with the optional peer). */
interface PbType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
const protobuf = await loadProtobuf<{ loadSync(path: string): { lookupType(name: string): PbType } }>();
/** Why the protobufjs cross-checks are skipped, or false. */
export const NO_PROTOBUF = protobuf === null ? 'protobufjs is not installed (npm run setup:full)' : false;
const root = protobuf?.loadSync(join(FIXTURES, 'onnx.proto'));
const PbModel = root?.lookupType('onnx.ModelProto') as PbType;
const PbTensor = root?.lookupType('onnx.TensorProto') as PbType;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const OPTS: Record<string, unknown> = { longs: Number, enums: Number, defaults: true, arrays: true };

const u8 = (b: unknown): Uint8Array => (b instanceof Uint8Array ? new Uint8Array(b) : new Uint8Array(0));
const opset = (o: Obj) => ({ domain: o.domain, version: o.version });
const entry = (e: Obj) => ({ key: e.key, value: e.value });

function tensor(t: Obj) {
  return {
    dims: t.dims,
    dataType: t.dataType,
    floatData: t.floatData,
    int32Data: t.int32Data,
    stringData: t.stringData.map(u8),
    int64Data: t.int64Data,
    name: t.name,
    docString: t.docString,
    rawData: u8(t.rawData),
    doubleData: t.doubleData,
    uint64Data: t.uint64Data,
    externalData: t.externalData.map(entry),
    dataLocation: t.dataLocation,
  };
}

function valueInfo(v: Obj) {
  const out: Obj = { name: v.name, docString: v.docString };
  if (v.type) {
    const tt = v.type.tensorType;
    out.type = {};
    if (tt) {
      out.type.tensorType = { elemType: tt.elemType };
      if (tt.shape) {
        out.type.tensorType.shape = {
          dim: tt.shape.dim.map((d: Obj) => {
            const dim: Obj = {};
            if (d.value === 'dimValue') dim.dimValue = d.dimValue;
            if (d.value === 'dimParam') dim.dimParam = d.dimParam;
            return dim;
          }),
        };
      }
    }
  }
  return out;
}

function attribute(a: Obj): Obj {
  const out: Obj = {
    name: a.name,
    refAttrName: a.refAttrName,
    docString: a.docString,
    type: a.type,
    f: a.f,
    i: a.i,
    s: u8(a.s),
    floats: a.floats,
    ints: a.ints,
    strings: a.strings.map(u8),
    tensors: a.tensors.map(tensor),
    graphs: a.graphs.map(graph),
  };
  if (a.t) out.t = tensor(a.t);
  if (a.g) out.g = graph(a.g);
  return out;
}

function node(n: Obj) {
  return { input: n.input, output: n.output, name: n.name, opType: n.opType, domain: n.domain, attribute: n.attribute.map(attribute), docString: n.docString };
}

function graph(g: Obj): Obj {
  return {
    node: g.node.map(node),
    name: g.name,
    initializer: g.initializer.map(tensor),
    docString: g.docString,
    input: g.input.map(valueInfo),
    output: g.output.map(valueInfo),
    valueInfo: g.valueInfo.map(valueInfo),
  };
}

function fn(f: Obj) {
  return {
    name: f.name,
    input: f.input,
    output: f.output,
    attribute: f.attribute,
    attributeProto: f.attributeProto.map(attribute),
    node: f.node.map(node),
    docString: f.docString,
    opsetImport: f.opsetImport.map(opset),
    domain: f.domain,
  };
}

/** protobufjs's decoding of a model, in the decoder's shape. */
export function referenceModel(bytes: Uint8Array): Obj {
  const m = PbModel.toObject(PbModel.decode(bytes), { ...OPTS, oneofs: true });
  const out: Obj = {
    irVersion: m.irVersion,
    opsetImport: m.opsetImport.map(opset),
    producerName: m.producerName,
    producerVersion: m.producerVersion,
    domain: m.domain,
    modelVersion: m.modelVersion,
    docString: m.docString,
    metadataProps: m.metadataProps.map(entry),
    functions: m.functions.map(fn),
  };
  if (m.graph) out.graph = graph(m.graph);
  return out;
}

/** protobufjs's decoding of a TensorProto, in the decoder's shape. */
export function referenceTensor(bytes: Uint8Array): Obj {
  return tensor(PbTensor.toObject(PbTensor.decode(bytes), OPTS));
}

/** A comparable form: bytes as hex, NaN and -0 spelled out, keys sorted. */
export function canon(x: unknown): unknown {
  if (x instanceof Uint8Array) return `bytes:${Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex')}`;
  if (typeof x === 'number') return Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x;
  if (Array.isArray(x)) return x.map(canon);
  if (x !== null && typeof x === 'object') {
    return Object.fromEntries(
      Object.entries(x)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canon(v)]),
    );
  }
  return x;
}
