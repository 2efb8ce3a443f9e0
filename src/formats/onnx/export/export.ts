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
import { DataType, type ValueInfoProto } from '../proto.js';
import { lowerModule } from '../../../graph/lower.js';
import type { Graph } from '../../../graph/graph.js';
import { Module } from '../../../nn/module.js';
import { functionNode, noOpSqueeze } from './functions.js';
import { moduleNode } from './modules.js';
import { staticDims } from './shapes.js';
import { Writer } from './writer.js';

export { exportableModules } from './modules.js';
export { exportableFunctions } from './functions.js';

export interface ExportOptions {
  /** Graph inputs by name: shape with numbers or dim names (`{ input: ['N', 3, 'H', 'W'] }`). */
  inputs: Record<string, readonly (number | string)[]>;
  /** Default-domain opset: 13–18 (default 17). */
  opset?: number;
  /** Names of the graph outputs (default: `output`, `output_1`, ...). */
  outputNames?: readonly string[];
  /** ModelProto.producer_name (default `normkit`). */
  producerName?: string;
}

export const EXPORT_MIN_OPSET = 13;

const PASS_THROUGH = new Set(['Identity', 'Dropout', 'Dropout2d']);
export const EXPORT_MAX_OPSET = 18;

/**
 * Writes `model` as an ONNX file: `toOnnx(model, { inputs: { input: ['N', 3, 'H', 'W'] } })`.
 * A module is lowered with the input names of `opts.inputs` (in order); a
 * graph keeps its own. Unsupported nodes raise an OnnxError naming them.
 */
export function toOnnx(model: Module | Graph, opts: ExportOptions): Uint8Array {
  checkOptions('toOnnx', opts, { inputs: 'any', opset: 'int', outputNames: 'any', producerName: 'string' }, { position: 2 });
  if (opts === undefined || !isOptionsObject(opts.inputs)) throw new OnnxError('', 'toOnnx needs the input shapes: toOnnx(model, { inputs: { input: [1, 3, 64, 64] } })');
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < EXPORT_MIN_OPSET || opset > EXPORT_MAX_OPSET) {
    throw new OnnxError('', `opset ${opset} is not supported for export (${EXPORT_MIN_OPSET}–${EXPORT_MAX_OPSET})`);
  }
  const names = Object.keys(opts.inputs);
  if (names.length === 0) throw new OnnxError('', 'toOnnx needs at least one input shape (opts.inputs)');
  const graph = model instanceof Module ? lowerModule(model, names) : model;
  for (const gi of graph.inputs) if (opts.inputs[gi.name] === undefined) throw new OnnxError('', `no shape given for graph input '${gi.name}' (inputs: ${names.join(', ')})`);
  const w = new Writer(opset);
  for (const sc of graph.scopes) w.scopeTypes.set(sc.path, sc.type);
  const dims = staticDims(graph, opts.inputs);
  // torch writes no node for nn.Identity, the dropouts in eval and a squeeze that keeps its input: their outputs are their inputs
  const alias = new Map<string, string>();
  for (const n of graph.nodes) {
    const same = n.module !== undefined ? PASS_THROUGH.has(n.op) && n.inputs.length === 1 : noOpSqueeze(n, dims.get(n.inputs[0]!));
    if (same) alias.set(n.outputs[0]!, alias.get(n.inputs[0]!) ?? n.inputs[0]!);
  }
  const resolve = (name: string) => alias.get(name) ?? name;
  const rename = new Map<string, string>();
  const outNames = graph.outputs.map((o, i) => opts.outputNames?.[i] ?? (graph.outputs.length === 1 ? 'output' : `output_${i}`));
  const inputNames = new Set(graph.inputs.map((gi) => gi.name));
  // a graph output that is a graph input, or the same value as another output, gets an Identity
  const identities: [string, string][] = [];
  graph.outputs.forEach((o, i) => {
    const r = resolve(o);
    if (inputNames.has(r) ? r !== o : rename.has(r)) identities.push([r, outNames[i]!]);
    else if (!inputNames.has(r)) rename.set(r, outNames[i]!);
  });
  const v = (name: string): string => rename.get(resolve(name)) ?? resolve(name);
  const ranks = new Map<string, number>();
  for (const gi of graph.inputs) ranks.set(gi.name, opts.inputs[gi.name]!.length);
  for (const [name, t] of graph.initializers) {
    w.init(name, t);
    ranks.set(name, t.shape.length);
  }
  for (const n of graph.nodes) {
    if (alias.has(n.outputs[0]!)) continue;
    const c = { w, n, ins: n.inputs.map(v), outs: n.outputs.map(v), ranks: n.inputs.map((i) => ranks.get(i) ?? dims.get(i)?.length ?? 0), dims: n.inputs.map((i) => dims.get(i)) };
    const isModule = n.module !== undefined || n.op[0] !== n.op[0]!.toLowerCase();
    const outRanks = isModule ? moduleNode(c) : functionNode(c);
    n.outputs.forEach((o, k) => ranks.set(o, outRanks[k] ?? outRanks[0]!));
  }
  for (const [from, to] of identities) w.emit('', 'Identity', [v(from)], {}, to);
  const input: DeepPartial<ValueInfoProto>[] = graph.inputs.map((gi) => ({
    name: gi.name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: opts.inputs[gi.name]!.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  }));
  const output: DeepPartial<ValueInfoProto>[] = graph.outputs.map((o, i) => ({ name: identities.some(([, to]) => to === outNames[i]) ? outNames[i]! : v(o), type: { tensorType: { elemType: DataType.FLOAT } } }));
  return encodeModel({
    irVersion: 8,
    producerName: opts.producerName ?? 'normkit',
    producerVersion: '0.1.0',
    graph: { node: w.nodes, name: 'main_graph', initializer: w.initializers, input, output },
    opsetImport: [{ domain: '', version: opset }],
  });
}
