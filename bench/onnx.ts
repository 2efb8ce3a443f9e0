/**
 * Tiny ONNX models built here (no model files): the few onnx.proto messages a
 * one-node graph needs, encoded with protobufjs, run by onnxruntime-node.
 */
import protobuf from 'protobufjs';
import * as ort from 'onnxruntime-node';

// Field numbers as in onnx/onnx.proto (ModelProto, GraphProto, NodeProto, ...).
const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message AttributeProto { optional string name = 1; optional float f = 2; optional int64 i = 3; repeated int64 ints = 8; optional int32 type = 20; }
message TensorProto { repeated int64 dims = 1; optional int32 data_type = 2; optional string name = 8; optional bytes raw_data = 9; }
message NodeProto { repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4; repeated AttributeProto attribute = 5; }
message Dimension { optional int64 dim_value = 1; }
message TensorShapeProto { repeated Dimension dim = 1; }
message TypeTensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
message TypeProto { optional TypeTensor tensor_type = 1; }
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message GraphProto { repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto { optional int64 ir_version = 1; optional string producer_name = 2; optional GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8; }
`;

const ModelProto = protobuf.parse(ONNX_PROTO).root.lookupType('onnx.ModelProto');
const FLOAT = 1; // TensorProto.DataType.FLOAT and AttributeProto.AttributeType.FLOAT
const INT = 2; // AttributeProto.AttributeType.INT
const INTS = 7; // AttributeProto.AttributeType.INTS

export interface OnnxNodeSpec {
  opType: string;
  opset: number;
  /** Constant inputs after X, in the node's input order. */
  initializers: { name: string; dims: number[]; data: Float32Array }[];
  floatAttrs?: Record<string, number>;
  intAttrs?: Record<string, number>;
  intListAttrs?: Record<string, number[]>;
  /** Y's shape when it differs from X's (e.g. Conv). */
  outputDims?: number[];
  /** Extra outputs the node must declare (e.g. BatchNormalization's running statistics in training mode). */
  extraOutputs?: { name: string; dims: number[] }[];
}

const valueInfo = (name: string, dims: readonly number[]) => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

/** A model computing Y = op(X, initializers...) for an input of `shape`. */
export function buildModel(shape: readonly number[], spec: OnnxNodeSpec): Uint8Array {
  const attribute = [
    ...Object.entries(spec.floatAttrs ?? {}).map(([name, f]) => ({ name, f, type: FLOAT })),
    ...Object.entries(spec.intAttrs ?? {}).map(([name, i]) => ({ name, i, type: INT })),
    ...Object.entries(spec.intListAttrs ?? {}).map(([name, ints]) => ({ name, ints, type: INTS })),
  ];
  const extra = spec.extraOutputs ?? [];
  const model = {
    irVersion: 10,
    producerName: 'normkit-bench',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: spec.opType,
      node: [{ name: 'n0', opType: spec.opType, input: ['X', ...spec.initializers.map((i) => i.name)], output: ['Y', ...extra.map((e) => e.name)], attribute }],
      initializer: spec.initializers.map((i) => ({
        name: i.name,
        dims: i.dims,
        dataType: FLOAT,
        rawData: new Uint8Array(i.data.buffer, i.data.byteOffset, i.data.byteLength),
      })),
      input: [valueInfo('X', shape)],
      output: [valueInfo('Y', spec.outputDims ?? shape), ...extra.map((e) => valueInfo(e.name, e.dims))],
    },
  };
  const err = ModelProto.verify(model);
  if (err) throw new Error(`onnx model: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

export interface OrtRunner {
  /** One run into a fresh output; resolves to Y. */
  run(): Promise<Float32Array>;
  /** One run into the output tensor made up front (onnxruntime's pre-allocated fetches); resolves to Y. */
  runInto(): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * A session on `threads` intra-op threads, fed `x` each run. `spin: false`
 * stops its pool threads spinning after each run (they would take the CPU
 * from whatever runs next: bench/models.ts --interleave alternates libraries).
 */
export async function ortRunner(model: Uint8Array, x: Float32Array, shape: readonly number[], threads: number, spin = true): Promise<OrtRunner> {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
  const feeds = { X: new ort.Tensor('float32', x, shape as number[]) };
  const y = new ort.Tensor('float32', new Float32Array(x.length), shape as number[]);
  return {
    async run() {
      const out = await session.run(feeds, ['Y']);
      return out['Y']!.data as Float32Array;
    },
    async runInto() {
      const out = await session.run(feeds, { Y: y });
      return out['Y']!.data as Float32Array;
    },
    release: () => session.release(),
  };
}
