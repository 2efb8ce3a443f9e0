/**
 * The element types of an ONNX graph's values as normkit keeps them: float
 * data as float32 (float16 and float64 are computed in float32), integers as
 * int64/int32/int8/uint8 (wider or rarer integer types as int64), bool. One
 * rule for what each `onnx_*` op gives (ONNX's type constraints), read by
 * the importer (the type of a folded constant) and the exporter (the type of
 * every value it writes).
 */
import type { DType } from '../../../graph/graph.js';
import { DataType } from '../proto.js';
import type { OnnxDtype } from '../tensor.js';

/** A TensorProto data type as normkit keeps it. */
export function dtypeOfDataType(d: number): DType {
  switch (d) {
    case DataType.FLOAT:
    case DataType.DOUBLE:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return 'float32';
    case DataType.BOOL:
      return 'bool';
    case DataType.INT32:
      return 'int32';
    case DataType.INT8:
      return 'int8';
    case DataType.UINT8:
      return 'uint8';
    default:
      return 'int64';
  }
}

/** A decoded tensor's type as normkit keeps it. */
export function dtypeOfTensor(t: OnnxDtype): DType {
  return t === 'float64' || t === 'float16' ? 'float32' : t;
}

/** The TensorProto data type a value of `t` is written as. */
export function dataTypeOf(t: DType): number {
  return { float32: DataType.FLOAT, int64: DataType.INT64, int32: DataType.INT32, int8: DataType.INT8, uint8: DataType.UINT8, bool: DataType.BOOL }[t];
}

/** The kind the importer decides ops by. */
export const kindOf = (t: DType): 'float' | 'int' | 'bool' => (t === 'float32' ? 'float' : t === 'bool' ? 'bool' : 'int');

/** The default type of a kind (what `onnx_cast {to}` means without `dtype`). */
export const dtypeOfKind = (k: unknown): DType => (k === 'int' ? 'int64' : k === 'bool' ? 'bool' : 'float32');

const BOOL_RESULTS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor']);

/**
 * The types of a node's `count` outputs from its op, attributes and input
 * types: the first input's type but for the ops that say otherwise (a module
 * keeps its input's type too: a Relu or a MaxPool of uint8 gives uint8).
 */
export function outputTypes(op: string, attrs: Record<string, unknown>, ins: readonly DType[], count = 1): DType[] {
  const all = (t: DType | undefined): DType[] => new Array<DType>(count).fill(t ?? 'float32');
  switch (op) {
    case 'onnx_shape':
    case 'onnx_size':
    case 'onnx_arg':
      return all('int64');
    case 'onnx_cast':
      return all((attrs['dtype'] as DType | undefined) ?? dtypeOfKind(attrs['to']));
    case 'onnx_constant_of_shape':
      return all((attrs['dtype'] as DType | undefined) ?? 'float32');
    case 'onnx_binary':
      return all(BOOL_RESULTS.has(attrs['op'] as string) ? 'bool' : ins[0]);
    case 'onnx_unary':
      return all(attrs['op'] === 'Not' || attrs['op'] === 'IsNaN' ? 'bool' : ins[0]);
    case 'onnx_where':
      return all(ins[1]);
    case 'onnx_layer_norm_stats':
      return all('float32');
    default:
      return all(ins[0]);
  }
}
