/** normkit: tensors, autograd and PyTorch-faithful normalization layers. */
import './ops/methods.js';

export * from './errors.js';
export { Tensor, isTensor, type MetaFacts } from './tensor/tensor.js';
export { tidy } from './tensor/tidy.js';
export { setMemoryPlanning, memoryPlanning } from './tensor/plan.js';
export { setStorageCacheLimit, emptyStorageCache, storageInfo, type StorageInfo } from './tensor/storage.js';
export * from './tensor/creation.js';
export { Generator, manualSeed, defaultGenerator } from './tensor/random.js';
export { numel, broadcastShapes, MAX_NUMEL, setMaxNumel, type Shape } from './tensor/shape.js';
export { formatTensor } from './tensor/print.js';
export { backward, SECOND_BACKWARD_MESSAGE, type BackwardOptions } from './autograd/backward.js';
export { noGrad, isGradEnabled, withGradMode } from './tensor/grad_mode.js';
export * from './ops/elementwise.js';
export { sum, mean, variance, variance as var_, std, max, min, argmax, type ReduceOptions, type VarOptions } from './ops/reduce.js';
export * from './ops/shape_ops.js';
export { matmul } from './ops/matmul.js';
export { interpolate, interpolateOutputShape, interpolatePlan, type InterpolateOptions } from './ops/interpolate.js';
export { fromSpec, toSpec, type SpecNode } from './spec/spec.js';
export { isGeneralSpec, graphFromGeneral, graphToGeneral, type GeneralSpec } from './spec/general.js';
export { printGraph, producers, consumers, type Graph, type GraphNode, type GraphInput, type ScopeInfo } from './graph/graph.js';
export { lowerModule } from './graph/lower.js';
export { interpret, runGraph, withTraining, type Execution, type NodeRun, type InterpretOptions } from './graph/interpret.js';
export { GraphModule } from './graph/graph_module.js';
export { getOp, knownOps, type OpDef, type ModuleOp, type FunctionOp } from './graph/registry.js';
export { withMetaParameters } from './tensor/meta_mode.js';
export { onWarning, type NormkitWarning } from './nn/warnings.js';
export * as nn from './nn/index.js';
export * as F from './nn/functional.js';
export * as optim from './optim/index.js';
export * as io from './io/index.js';
export { SafetensorsError, type SafetensorsErrorKind } from './io/safetensors.js';
export { analyze, sweep, suggestFixes, type AnalyzeOptions, type SweepOptions } from './analysis/index.js';
export type { Analysis, Fix, NormReport, ModuleRecord, Failure, CauseStep, SweepResult, SweepPoint } from './analysis/types.js';
export {
  setNormBackend,
  getNormBackend,
  setNormThreads,
  setNumThreads,
  warmNormThreads,
  normBackendInfo,
  type NormBackendName,
  type NormBackendInfo,
} from './kernels/backend.js';
export { initWasm, type WasmInit } from './kernels/wasm_init.js';
export { setConvPath, getConvPath, type ConvPathName } from './kernels/conv_fwd.js';
export { gemmInfo, setGemmBackend, type GemmBackendName, type GemmInfo } from './kernels/gemm.js';
export { importOnnx, OnnxError, type ImportInfo, type ImportOptions, type ImportResult } from './formats/onnx/index.js';
export { toOnnx, type ExportOptions } from './formats/onnx/index.js';
