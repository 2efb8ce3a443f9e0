/**
 * ONNX files without dependencies: a bounds-checked protobuf decoder for the
 * part of onnx.proto normkit uses, tensor decoding, and an encoder for the
 * same subset. Browser-safe (no `node:` imports); every bad input is an OnnxError.
 */
import { decodeModelProto, decodeTensorBytes, type DecodeOptions, type ModelProto, type TensorProto } from './proto.js';

export { OnnxError } from './errors.js';
export {
  AttributeType,
  DataLocation,
  DataType,
  MAX_GRAPH_DEPTH,
  MAX_IR_VERSION,
  attrString,
  type AttributeProto,
  type DecodeOptions,
  type Dimension,
  type FunctionProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type OperatorSetIdProto,
  type StringStringEntryProto,
  type TensorProto,
  type TensorTypeProto,
  type TypeProto,
  type ValueInfoProto,
} from './proto.js';
export { dataTypeName, elementCount, halfToFloat, tensorData, type OnnxDtype, type OnnxTensor } from './tensor.js';
export { encodeModel, encodeTensor, makeTensor, type DeepPartial } from './encode.js';

/** Decodes a whole `.onnx` file (IR version <= 10, weights inside the file). */
export function decodeModel(bytes: Uint8Array, options?: DecodeOptions): ModelProto {
  return decodeModelProto(bytes, options);
}

/** Decodes a serialized TensorProto (a `.pb` file). */
export function decodeTensor(bytes: Uint8Array, options?: DecodeOptions): TensorProto {
  return decodeTensorBytes(bytes, options);
}
export { importOnnx, supportedOnnxOps, MIN_OPSET, MAX_OPSET, type ImportInfo, type ImportOptions, type ImportResult, type NodeNote } from './import/import.js';
export { scopeFromNodeName, joinSegments } from './import/names.js';
export { toOnnx, exportableModules, exportableFunctions, EXPORT_MIN_OPSET, EXPORT_MAX_OPSET, type ExportOptions } from './export/export.js';
