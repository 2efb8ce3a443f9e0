/**
 * ONNX out: a normkit model (module tree or graph) as the ONNX file torch
 * 1.13's `torch.onnx.export(model.eval(), x, opset_version=17)` writes for it:
 * one ONNX op (or torch's pattern of ops) per module node, initializers named
 * `<path>.weight` / `<path>.bias` / `<path>.running_mean`, node names
 * `/<scope segments>/<OpType>` so that `importOnnx` maps them back to the
 * module paths. The model is exported in eval mode (running statistics).
 */
import { OnnxError } from '../errors.js';
import { checkOptions, isOptionsObject } from '../../../options.js';
import { encodeModel, type DeepPartial } from '../encode.js';
import { type ValueInfoProto } from '../proto.js';
import { dataTypeOf, outputTypes } from '../import/dtypes.js';
import { lowerModule } from '../../../graph/lower.js';
import { consumers, type DType, type Graph, type GraphNode } from '../../../graph/graph.js';
import { Module } from '../../../nn/module.js';
import { functionNode, noOpSqueeze } from './functions.js';
import { moduleNode } from './modules.js';
import { onnxNode } from './onnx_ops.js';
import { staticDims } from './shapes.js';
import { Writer } from './writer.js';

export { exportableModules } from './modules.js';
export { exportableFunctions } from './functions.js';

export interface ExportOptions {
  /**
   * Graph inputs by name: shape with numbers or dim names (`{ input: ['N', 3, 'H', 'W'] }`).
   * A graph whose inputs declare their shapes (an imported ONNX file's, dim names kept) needs none.
   */
  inputs?: Record<string, readonly (number | string)[]>;
  /** Default-domain opset: 13–18 (default 17). */
  opset?: number;
  /** Names of the graph outputs (default: `output`, `output_1`, ...). */
  outputNames?: readonly string[];
  /** ModelProto.producer_name (default `normkit`). */
  producerName?: string;
  /**
   * Write what the model computes in train mode (torch.onnx.TrainingMode.TRAINING):
   * BatchNorm and InstanceNorm with tracked statistics normalize with the
   * input's own statistics, nn.Dropout drops at random (default false: eval mode).
   */
  training?: boolean;
}

export const EXPORT_MIN_OPSET = 13;

const PASS_THROUGH = new Set(['Identity', 'Dropout', 'Dropout2d']);
export const EXPORT_MAX_OPSET = 18;

/** The modules an auto_pad SAME was imported for (as an `onnx_same_pad` node before them): written with auto_pad again. */
const AUTO_PAD_MODULES = /^(Conv[123]d|MaxPool[12]d|AvgPool[12]d)$/;

/**
 * `onnx_same_pad` nodes whose only reader is the Conv or pool they were
 * imported for (the same kernel, strides and dilations, zero padding): the
 * module is written with `auto_pad` SAME_UPPER / SAME_LOWER, as the file had
 * it, and the pad node not at all.
 */
function samePads(g: Graph): { modules: Map<GraphNode, string>; padOutputs: Set<string> } {
  const modules = new Map<GraphNode, string>();
  const padOutputs = new Set<string>();
  const users = consumers(g);
  const eq = (a: unknown, b: readonly number[]) => {
    const l = typeof a === 'number' ? new Array<number>(b.length).fill(a) : (a as number[] | undefined);
    return Array.isArray(l) && l.length === b.length && l.every((v, i) => v === b[i]);
  };
  for (const n of g.nodes) {
    if (n.op !== 'onnx_same_pad' || g.outputs.includes(n.outputs[0]!)) continue;
    const us = users.get(n.outputs[0]!) ?? [];
    const m = us[0];
    if (us.length !== 1 || m === undefined || m.module === undefined || !AUTO_PAD_MODULES.test(m.op)) continue;
    const a = n.attrs;
    const kernel = a['kernel'] as number[];
    const ones = kernel.map(() => 1);
    const dilation = m.op.startsWith('AvgPool') ? ones : (m.attrs['dilation'] ?? 1);
    const stride = m.op.includes('Pool') && m.attrs['stride'] == null ? kernel : m.attrs['stride'];
    const value = m.op.startsWith('MaxPool') ? -Infinity : 0;
    if (!eq(m.attrs['kernel_size'], kernel) || !eq(stride, a['strides'] as number[]) || !eq(dilation, a['dilations'] as number[]) || !eq(m.attrs['padding'] ?? 0, kernel.map(() => 0)) || a['value'] !== value) continue;
    if (m.op.startsWith('AvgPool') && m.attrs['count_include_pad'] === false) continue;
    modules.set(m, a['upper'] === true ? 'SAME_UPPER' : 'SAME_LOWER');
    padOutputs.add(n.outputs[0]!);
  }
  return { modules, padOutputs };
}

/** A graph's own input shapes, when every input declares one. */
function declaredInputs(g: Graph): Record<string, (number | string)[]> | undefined {
  if (g.inputs.some((gi) => gi.shape === null)) return undefined;
  return Object.fromEntries(g.inputs.map((gi) => [gi.name, gi.shape!]));
}

/**
 * Writes `model` as an ONNX file: `toOnnx(model, { inputs: { input: ['N', 3, 'H', 'W'] } })`.
 * A module is lowered with the input names of `opts.inputs` (in order); a
 * graph keeps its own (and its declared shapes when `inputs` is left out:
 * `toOnnx(importOnnx(bytes).graph)` writes the file back, dim names kept).
 * Unsupported nodes raise an OnnxError naming them.
 */
export function toOnnx(model: Module | Graph, options?: ExportOptions): Uint8Array {
  checkOptions('toOnnx', options, { inputs: 'any', opset: 'int', outputNames: 'any', producerName: 'string', training: 'boolean' }, { position: 2 });
  const training = options?.training === true;
  const given = options?.inputs ?? (model instanceof Module ? undefined : declaredInputs(model));
  if (!isOptionsObject(given)) {
    throw new OnnxError('', model instanceof Module || options?.inputs !== undefined ? 'toOnnx needs the input shapes: toOnnx(model, { inputs: { input: [1, 3, 64, 64] } })' : `toOnnx needs the input shapes: the graph's inputs ${model.inputs.filter((gi) => gi.shape === null).map((gi) => `'${gi.name}'`).join(', ')} declare none (toOnnx(graph, { inputs: { ${model.inputs[0]?.name ?? 'input'}: [1, 3, 64, 64] } }))`);
  }
  const opts = { ...options, inputs: given as Record<string, readonly (number | string)[]> };
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < EXPORT_MIN_OPSET || opset > EXPORT_MAX_OPSET) {
    throw new OnnxError('', `opset ${opset} is not supported for export (${EXPORT_MIN_OPSET}–${EXPORT_MAX_OPSET})`);
  }
  const names = Object.keys(opts.inputs);
  if (names.length === 0 && model instanceof Module) throw new OnnxError('', 'toOnnx needs at least one input shape (opts.inputs)');
  const graph = model instanceof Module ? lowerModule(model, names) : model;
  for (const gi of graph.inputs) if (opts.inputs[gi.name] === undefined) throw new OnnxError('', `no shape given for graph input '${gi.name}' (inputs: ${names.join(', ')})`);
  const meta = [...graph.initializers].find(([, t]) => t.isMeta);
  if (meta !== undefined) throw new OnnxError('', `the graph holds shape-only tensors (initializer '${meta[0]}'): import the file with its weights (not under withMetaParameters) to write it`);
  const w = new Writer(opset);
  // value names the graph will write under its own names: fresh ones avoid them
  w.reserve(graph.inputs.map((gi) => gi.name));
  w.reserve(graph.initializers.keys());
  for (const n of graph.nodes) w.reserve(n.outputs);
  for (const sc of graph.scopes) w.scopeTypes.set(sc.path, sc.type);
  const dims = staticDims(graph, opts.inputs);
  // torch writes no node for nn.Identity, the dropouts in eval and a squeeze that keeps its input: their outputs are their inputs
  const alias = new Map<string, string>();
  // the scope of the node whose output is an alias: an Identity written for a graph output keeps it
  const aliasScope = new Map<string, string>();
  const autoPad = samePads(graph);
  for (const n of graph.nodes) {
    const dropping = training && n.op.startsWith('Dropout') && Number(n.attrs['p'] ?? 0.5) > 0;
    const same = n.module !== undefined ? PASS_THROUGH.has(n.op) && n.inputs.length === 1 && !dropping : noOpSqueeze(n, dims.get(n.inputs[0]!)) || autoPad.padOutputs.has(n.outputs[0]!);
    if (same) {
      alias.set(n.outputs[0]!, alias.get(n.inputs[0]!) ?? n.inputs[0]!);
      aliasScope.set(n.outputs[0]!, n.scope);
    }
  }
  const resolve = (name: string) => alias.get(name) ?? name;
  const rename = new Map<string, string>();
  const outNames = graph.outputs.map((o, i) => opts.outputNames?.[i] ?? (graph.outputs.length === 1 ? 'output' : `output_${i}`));
  const inputNames = new Set(graph.inputs.map((gi) => gi.name));
  // a graph output that is a graph input, an initializer, or the same value as another output, gets an Identity
  const identities: [string, string, string][] = [];
  graph.outputs.forEach((o, i) => {
    const r = resolve(o);
    if (graph.initializers.has(r) || (inputNames.has(r) ? r !== o : rename.has(r))) identities.push([r, outNames[i]!, aliasScope.get(o) ?? '']);
    else if (!inputNames.has(r)) rename.set(r, outNames[i]!);
  });
  const v = (name: string): string => rename.get(resolve(name)) ?? resolve(name);
  const ranks = new Map<string, number>();
  // element types: float32 but where an imported file said otherwise (int64 shapes, bool masks), by ONNX's rules for the onnx_* ops
  const types = new Map<string, DType>();
  for (const gi of graph.inputs) {
    ranks.set(gi.name, opts.inputs[gi.name]!.length);
    types.set(gi.name, gi.dtype);
  }
  for (const [name, t] of graph.initializers) {
    const dtype = graph.dtypes?.get(name) ?? 'float32';
    w.initTyped(name, t, dtype);
    ranks.set(name, t.shape.length);
    types.set(name, dtype);
  }
  const typeOf = (name: string): DType => types.get(name) ?? 'float32';
  for (const n of graph.nodes) {
    const inTypes = n.inputs.map(typeOf);
    outputTypes(n.module !== undefined ? '' : n.op, n.attrs, inTypes, n.outputs.length).forEach((t, k) => types.set(n.outputs[k]!, t));
    if (alias.has(n.outputs[0]!)) continue;
    const c = {
      w,
      n,
      ins: n.inputs.map(v),
      outs: n.outputs.map(v),
      ranks: n.inputs.map((i) => ranks.get(i) ?? dims.get(i)?.length ?? 0),
      dims: n.inputs.map((i) => dims.get(i)),
      types: inTypes,
      consts: n.inputs.map((i) => graph.initializers.get(i)),
      outDims: n.outputs.map((o) => dims.get(o)),
      ...(autoPad.modules.has(n) ? { autoPad: autoPad.modules.get(n)! } : {}),
      training,
    };
    const isModule = n.module !== undefined || n.op[0] !== n.op[0]!.toLowerCase();
    if (!isModule && n.op.startsWith('onnx_')) {
      // a shape-only run's sizes where the writer cannot tell the rank
      const outRanks = onnxNode(c);
      n.outputs.forEach((o, k) => ranks.set(o, dims.get(o)?.length ?? outRanks[k] ?? -1));
      continue;
    }
    const outRanks = isModule ? moduleNode(c) : functionNode(c);
    n.outputs.forEach((o, k) => ranks.set(o, outRanks[k] ?? outRanks[0]!));
  }
  for (const [from, to, scope] of identities) w.emit(scope, 'Identity', [graph.initializers.has(from) ? from : v(from)], {}, to);
  const input: DeepPartial<ValueInfoProto>[] = graph.inputs.map((gi) => ({
    name: gi.name,
    type: { tensorType: { elemType: dataTypeOf(gi.dtype), shape: { dim: opts.inputs[gi.name]!.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  }));
  const output: DeepPartial<ValueInfoProto>[] = graph.outputs.map((o, i) => ({
    name: identities.some(([, to]) => to === outNames[i]) ? outNames[i]! : v(o),
    type: { tensorType: { elemType: dataTypeOf(typeOf(o)) } },
  }));
  return encodeModel({
    irVersion: 8,
    producerName: opts.producerName ?? 'normkit',
    producerVersion: '0.1.0',
    graph: { node: w.nodes, name: 'main_graph', initializer: w.initializers, input, output },
    opsetImport: [{ domain: '', version: opset }],
  });
}
