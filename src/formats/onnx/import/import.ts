/**
 * ONNX → normkit graph. `importOnnx(bytes)` decodes a model and builds a
 * `Graph` the interpreter and the shape-flow doctor run:
 *
 * - where torch wrote a module, a module node (`op` the PyTorch class,
 *   `attrs` its constructor arguments, `module` the built module with the
 *   file's weights): Conv → Conv2d, InstanceNormalization → InstanceNorm2d,
 *   Gemm → Linear, Resize → Upsample, Pad → ReflectionPad2d, ...;
 * - the patterns torch writes for one module reported as that module
 *   (GroupNorm's Reshape → InstanceNormalization → Reshape → Mul → Add;
 *   `export_modules_as_functions` calls);
 * - the integer shape arithmetic as `onnx_*` functional nodes (values known
 *   from shapes even in shape-only analysis), folded at import when constant;
 * - every node's `scope` the PyTorch module path recovered from its name.
 *
 * Every problem is an OnnxError; unsupported ops are reported all at once.
 */
import { NormkitError } from '../../../errors.js';
import { checkOptions } from '../../../options.js';
import { GraphBuilder } from '../../../graph/builder.js';
import type { Graph } from '../../../graph/graph.js';
import '../../../graph/ops/index.js';
import { getOp, type ModuleOp } from '../../../graph/registry.js';
import type { Module } from '../../../nn/module.js';
import { withoutInit } from '../../../nn/init.js';
import { ArgReader } from '../../../spec/args.js';
import { metaParametersActive } from '../../../tensor/meta_mode.js';
import { Tensor } from '../../../tensor/tensor.js';
import { OnnxError } from '../errors.js';
import { scopeFromMetadata, scopeFromNodeName } from './names.js';
import { attrString, AttributeType, DataLocation, DataType, decodeModelProto, type AttributeProto, type FunctionProto, type ModelProto, type NodeProto } from '../proto.js';
import { elementCount, tensorData, type OnnxTensor } from '../tensor.js';
import { intTensor, UNARY, valuesOf } from '../../../graph/ops/onnx_int.js';
import type { DType } from '../../../graph/graph.js';
import { dtypeOfDataType, dtypeOfKind, dtypeOfTensor, outputTypes } from './dtypes.js';

export interface ImportOptions {
  /**
   * Values for graph inputs, taken as constants (ONNX lets initializers
   * shadow inputs): e.g. the weights of a node test given as inputs.
   */
  constants?: Record<string, OnnxTensor>;
}

export interface NodeNote {
  /** The ONNX node's name. */
  node: string;
  /** PyTorch module path. */
  scope: string;
  note: string;
}

export interface ImportInfo {
  producer: string;
  irVersion: number;
  /** The default domain's opset version. */
  opset: number;
  /** Every imported opset: domain ('' = ai.onnx) → version. */
  opsets: Record<string, number>;
  /** Whether BatchNorms were folded into Convs (an eval-mode export). */
  foldedBatchNorm: boolean;
  /** Module paths of the Convs that carry a folded BatchNorm. */
  foldedConvs: string[];
  /** Whole-file notes, e.g. the eval-mode export warning. */
  notes: string[];
  /** Per-node notes: where onnxruntime accepts what PyTorch refuses, and other differences. */
  nodeNotes: NodeNote[];
  /** ONNX op types imported, with their counts. */
  ops: Record<string, number>;
}

export interface ImportResult {
  graph: Graph;
  info: ImportInfo;
}

/** The lowest and highest default-domain opsets read (22 changed only the data types of the ops converted here). */
export const MIN_OPSET = 9;
export const MAX_OPSET = 22;

/** Ops whose semantics have not changed since opset 1-6: a model of an older opset that uses only these is read too. */
/** Ops whose opset-7 versions broadcast as today's (numpy rules). */
const BROADCAST_SINCE_7 = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'And', 'Or', 'Xor', 'Equal', 'Less', 'Greater']);
/**
 * Ops read at opsets 6-8 too (old torch exports), with their older forms
 * handled: attribute forms (Pad-2, Slice-1, Clip-6, Squeeze-1, Split-2,
 * Upsample-7's scales), legacy `broadcast`/`axis` of Add-6 and Gemm-6,
 * BatchNormalization-6's is_test/spatial.
 */
const READ_FROM_6 = new Set([
  'MaxPool', 'AveragePool', 'BatchNormalization', 'Pad', 'Gemm', 'Softmax', 'LogSoftmax', 'Flatten', 'Concat', 'Transpose', 'Reshape', 'ReduceMean',
  'ReduceSum', 'ReduceMax', 'ReduceMin', 'Sum', 'Max', 'Min', 'Mean', 'Clip', 'Slice', 'Squeeze', 'Unsqueeze', 'Split', 'Gather', 'Dropout', 'Cast',
  'MatMul', 'Upsample', 'PRelu', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'DepthToSpace', 'Shape', 'Size', 'Sqrt', 'Tile', 'Expand',
]);
const STABLE_BEFORE_9 = new Set(['Conv', 'ConvTranspose', 'Elu', 'Selu', 'Softplus', 'InstanceNormalization', 'GlobalAveragePool', 'GlobalMaxPool', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Identity', 'Constant']);

const EVAL_NOTE =
  'exported in eval mode: a BatchNorm after a Conv was folded into it; its train-mode failure cannot be seen; re-export with training=torch.onnx.TrainingMode.PRESERVE';

type Kind = 'float' | 'int' | 'bool';

/** Constant inputs up to this many elements are folded at import. */
const FOLD_LIMIT = 1 << 16;

interface Value {
  /** Graph value name. */
  name: string;
  kind: Kind;
  /** Known rank (undefined when not known). */
  rank?: number;
  /** The value, when known at import. */
  const?: Tensor;
  /** The element type as the file gives it (default: the kind's, float32 / int64 / bool). */
  dtype?: DType;
}

const dtypeOf = (v: Value): DType => v.dtype ?? dtypeOfKind(v.kind);

type AttrValue = number | string | number[] | string[] | OnnxTensor | undefined;

function attrValue(a: AttributeProto, where: string): AttrValue {
  switch (a.type) {
    case AttributeType.FLOAT:
      return a.f;
    case AttributeType.INT:
      return a.i;
    case AttributeType.STRING:
      return attrString(a);
    case AttributeType.FLOATS:
      return [...a.floats];
    case AttributeType.INTS:
      return [...a.ints];
    case AttributeType.STRINGS:
      return a.strings.map((s) => new TextDecoder().decode(s));
    case AttributeType.TENSOR:
      return a.t ? tensorData(a.t, `${where}.${a.name}`) : undefined;
    default:
      return undefined;
  }
}

const kindOfDtype = (d: number): Kind => (d === DataType.FLOAT || d === DataType.DOUBLE || d === DataType.FLOAT16 || d === 16 ? 'float' : d === DataType.BOOL ? 'bool' : 'int');
const kindOfTensor = (t: OnnxTensor): Kind => (t.dtype.startsWith('float') ? 'float' : t.dtype === 'bool' ? 'bool' : 'int');

/** A float weight whose values shape-only analysis never needs: rank >= 2, not a per-channel vector, over 1024 values. */
function isBulkWeight(dims: readonly number[], dataType: number): boolean {
  if (kindOfDtype(dataType) !== 'float' || dims.length < 2 || dims.slice(1).every((d) => d === 1)) return false;
  return dims.reduce((p, d) => p * d, 1) > 1024;
}

/** A 2-D constant transposed (a meta one keeps only its shape). */
function transpose2d(t: Tensor): Tensor {
  const [r, c] = t.shape as [number, number];
  if (t.isMeta) return Tensor.meta([c, r]);
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
  return new Tensor(out, [c, r]);
}

function toTensor(t: OnnxTensor): Tensor {
  // Integer values keep their exact values beside float32's (sizes, indices past 2^24).
  if (kindOfTensor(t) !== 'float') return intTensor(t.data as ArrayLike<number>, t.dims);
  const data = t.data instanceof Float32Array ? Float32Array.from(t.data) : Float32Array.from(t.data as ArrayLike<number>);
  return new Tensor(data, t.dims);
}

/** An ONNX node while converting: its attributes decoded, its scope resolved. */
class Node {
  readonly attrs = new Map<string, AttrValue>();
  readonly scope: string;
  constructor(
    readonly proto: NodeProto,
    readonly name: string,
    scope: string,
  ) {
    this.scope = scope;
    for (const a of proto.attribute) this.attrs.set(a.name, attrValue(a, name));
  }
  get op(): string {
    return this.proto.opType;
  }
  int(k: string, d: number): number;
  int(k: string): number | undefined;
  int(k: string, d?: number): number | undefined {
    const v = this.attrs.get(k);
    return typeof v === 'number' ? v : d;
  }
  float(k: string, d: number): number {
    const v = this.attrs.get(k);
    return typeof v === 'number' ? v : d;
  }
  str(k: string, d: string): string {
    const v = this.attrs.get(k);
    return typeof v === 'string' ? v : d;
  }
  ints(k: string): number[] | undefined {
    const v = this.attrs.get(k);
    return Array.isArray(v) ? (v as number[]) : undefined;
  }
  floats(k: string): number[] | undefined {
    return this.ints(k);
  }
  tensor(k: string): OnnxTensor | undefined {
    const v = this.attrs.get(k);
    return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  }
}

/** Thrown inside a converter: this node (variant) is not supported; collected and reported together. */
class Unsupported extends Error {}

const unsupported = (why: string): never => {
  throw new Unsupported(why);
};

/** A few significant digits: ONNX stores float32 (0.1 → 0.10000000149). */
const tidy = (x: number) => Number(x.toPrecision(7));

function sameOnes(t: Tensor | undefined, v: number): boolean {
  return t !== undefined && !t.isMeta && t.data.every((x) => x === v);
}

/** The op types converted (default domain). */
const SUPPORTED = new Set([
  'Conv', 'ConvTranspose', 'InstanceNormalization', 'BatchNormalization', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool',
  'Gemm', 'MatMul', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'PRelu', 'Softplus', 'Clip', 'HardSwish', 'Gelu', 'Softmax',
  'Resize', 'Upsample', 'Pad', 'DepthToSpace', 'Flatten', 'Dropout', 'Identity', 'LayerNormalization', 'GroupNormalization',
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'ReduceMean', 'Shape', 'Size', 'Gather', 'Slice', 'Concat', 'Unsqueeze', 'Squeeze', 'Cast',
  'ConstantOfShape', 'Expand', 'Tile', 'Range', 'Reshape', 'Transpose', 'Constant', 'Split', 'SpaceToDepth', 'LogSoftmax',
  'ArgMax', 'ArgMin', 'Hardmax', 'CumSum', 'Trilu',
  'Where', 'Mean', 'Max', 'Min', 'Sum', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Mod',
  'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp',
]);

/** The ONNX op types `importOnnx` converts (default domain). */
export function supportedOnnxOps(): string[] {
  return [...SUPPORTED, ...Object.keys(UNARY)].sort();
}

/** Decodes and imports an ONNX model. */
export function importOnnx(bytes: Uint8Array | ModelProto, opts: ImportOptions = {}): ImportResult {
  const model = bytes instanceof Uint8Array ? decodeModelProto(bytes) : bytes;
  return new Importer(model, checkOptions('importOnnx', opts, { constants: 'any' }, { position: 2 })).run();
}

class Importer {
  private readonly b = new GraphBuilder();
  private readonly values = new Map<string, Value>();
  private readonly opset: number;
  private readonly opsets: Record<string, number> = {};
  private readonly functions = new Map<string, FunctionProto>();
  private readonly problems = new Map<string, string[]>();
  private readonly nodeNotes: NodeNote[] = [];
  private readonly opCounts: Record<string, number> = {};
  private readonly meta = metaParametersActive();
  private readonly usedNames = new Set<string>();
  private nodes: Node[] = [];
  /** Nodes folded into a pattern (skipped), and the pattern emitted at its last node. */
  private readonly skip = new Set<Node>();
  private readonly patterns = new Map<Node, () => void>();
  private readonly rankHints = new Map<string, number>();

  constructor(
    private readonly model: ModelProto,
    private readonly opts: ImportOptions,
  ) {
    for (const o of model.opsetImport) this.opsets[o.domain === 'ai.onnx' ? '' : o.domain] = o.version;
    const v = this.opsets[''];
    if (v === undefined) throw new OnnxError('ModelProto.opset_import', 'the model imports no default-domain (ai.onnx) opset');
    const stable = (op: string) => STABLE_BEFORE_9.has(op) || UNARY[op] !== undefined || (v >= 7 && BROADCAST_SINCE_7.has(op)) || (v >= 6 && READ_FROM_6.has(op));
    const old = v >= 1 && v < MIN_OPSET && (model.graph?.node ?? []).every((n) => stable(n.opType) && n.domain === '');
    if ((v < MIN_OPSET && !old) || v > MAX_OPSET) {
      throw new OnnxError('ModelProto.opset_import', `opset ${v} of the default domain is not supported (${MIN_OPSET} to ${MAX_OPSET}; older ones only for ${[...STABLE_BEFORE_9].join(', ')}, the pointwise ops and, from opset 6, ${[...READ_FROM_6].join(', ')})`);
    }
    this.opset = v;
    for (const f of model.functions) this.functions.set(`${f.domain}::${f.name}`, f);
  }

  run(): ImportResult {
    const g = this.model.graph;
    if (g === undefined) throw new OnnxError('ModelProto.graph', 'the model has no graph');
    for (const vi of [...g.valueInfo, ...g.output]) {
      const dims = vi.type?.tensorType?.shape?.dim;
      if (dims !== undefined) this.rankHints.set(vi.name, dims.length);
    }
    // Initializers and bound constants.
    g.initializer.forEach((t, k) => {
      const where = `ModelProto.graph.initializer[${k}]`;
      // Shape-only import (withMetaParameters): weights stay undecoded, only their shapes are used.
      // Statistics and per-channel vectors ([C], [C, 1, 1]) are decoded: they tell affine from not.
      const external = t.dataLocation === DataLocation.EXTERNAL || t.externalData.length > 0;
      if (this.meta && !external && isBulkWeight(t.dims, t.dataType)) {
        elementCount(t.dims, where);
        this.setConst(t.name, Tensor.meta(t.dims), 'float');
        return;
      }
      const ot = tensorData(t, where);
      this.setConst(t.name, toTensor(ot), kindOfTensor(ot), dtypeOfTensor(ot.dtype));
    });
    for (const [name, t] of Object.entries(this.opts.constants ?? {})) this.setConst(name, toTensor(t), kindOfTensor(t), dtypeOfTensor(t.dtype));
    for (const [k, vi] of g.input.entries()) {
      if (this.values.has(vi.name)) continue;
      const tt = vi.type?.tensorType;
      if (tt === undefined) throw new OnnxError(`ModelProto.graph.input[${k}]`, `input '${vi.name}' is not a tensor`);
      const shape = tt.shape ? tt.shape.dim.map((d, i) => (d.dimValue !== undefined ? d.dimValue : d.dimParam !== undefined && d.dimParam !== '' ? d.dimParam : `${vi.name}_${i}`)) : null;
      const name = this.b.input(vi.name, shape);
      const kind = kindOfDtype(tt.elemType);
      const dtype = dtypeOfDataType(tt.elemType);
      this.b.graph.inputs[this.b.graph.inputs.length - 1]!.dtype = dtype;
      this.values.set(vi.name, { name, kind, dtype, ...(shape ? { rank: shape.length } : {}) });
    }
    this.nodes = this.order(this.expand(g.node, '', ''));
    const missing = new Map<string, string[]>();
    for (const n of this.nodes) {
      if (n.proto.domain === '' || n.proto.domain === 'ai.onnx') {
        if (!SUPPORTED.has(n.op) && UNARY[n.op] === undefined && !(n.op === 'If' && this.torchSqueeze(n) !== undefined)) (missing.get(n.op) ?? missing.set(n.op, []).get(n.op)!).push(n.name);
      } else if (!this.isModuleCall(n)) {
        (missing.get(`${n.proto.domain}.${n.op}`) ?? missing.set(`${n.proto.domain}.${n.op}`, []).get(`${n.proto.domain}.${n.op}`)!).push(n.name);
      }
    }
    if (missing.size) {
      throw new OnnxError('', `unsupported ONNX op${missing.size > 1 ? 's' : ''}: ${[...missing].map(([op, ns]) => `${op} (${ns.slice(0, 5).join(', ')}${ns.length > 5 ? `, ... ${ns.length} nodes` : ''})`).join('; ')}`);
    }
    this.findPatterns();
    for (const n of this.nodes) {
      this.opCounts[n.op] = (this.opCounts[n.op] ?? 0) + 1;
      const pattern = this.patterns.get(n);
      if (pattern) {
        this.guard(n, pattern);
        continue;
      }
      if (this.skip.has(n)) continue;
      this.guard(n, () => this.convert(n));
    }
    if (this.problems.size) {
      throw new OnnxError('', `unsupported ONNX node${this.problems.size > 1 ? 's' : ''}: ${[...this.problems].map(([why, ns]) => `${why} (${ns.slice(0, 5).join(', ')}${ns.length > 5 ? `, ... ${ns.length} nodes` : ''})`).join('; ')}`);
    }
    const outs = g.output.map((o, k) => {
      const v = this.values.get(o.name);
      if (v === undefined) throw new OnnxError(`ModelProto.graph.output[${k}]`, `output '${o.name}' is not computed by any node`);
      return this.materialize(v);
    });
    this.b.outputs(outs);
    const root = this.b.openScope('', 'GraphModule', this.b.graph.inputs.map((i) => i.name));
    root.outputs = outs;
    return { graph: this.b.graph, info: this.info() };
  }

  private guard(n: Node, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof Unsupported) {
        const why = `${n.op}: ${e.message}`;
        (this.problems.get(why) ?? this.problems.set(why, []).get(why)!).push(n.name);
        // A stand-in value, so that the nodes after it are checked too and every problem is reported at once.
        const rank = this.values.get(n.proto.input[0] ?? '')?.rank;
        for (const o of n.proto.output) if (o !== '' && !this.values.has(o)) this.values.set(o, { name: o, kind: 'float', ...(rank !== undefined ? { rank } : {}) });
        return;
      }
      if (e instanceof OnnxError) throw e;
      if (e instanceof NormkitError) throw new OnnxError(n.name, e.message);
      if (e instanceof Error) throw new OnnxError(n.name, `${e.name}: ${e.message}`);
      throw e;
    }
  }

  private info(): ImportInfo {
    const convs = this.nodes.filter((n) => n.op === 'Conv');
    const hasBn = this.nodes.some((n) => n.op === 'BatchNormalization' || /^BatchNorm[123]d$/.test(n.op));
    // torch renames a Conv's weight to onnx::Conv_<k> when a BatchNorm was folded into it.
    const folded = hasBn ? [] : convs.filter((n) => /^onnx::Conv_\d+$/.test(n.proto.input[1] ?? '')).map((n) => n.scope);
    const notes: string[] = [];
    if (folded.length) notes.push(`${EVAL_NOTE} (folded into the Conv${folded.length > 1 ? 's' : ''} at ${folded.join(', ')})`);
    return {
      producer: `${this.model.producerName}${this.model.producerVersion ? ' ' + this.model.producerVersion : ''}`,
      irVersion: this.model.irVersion,
      opset: this.opset,
      opsets: { ...this.opsets },
      foldedBatchNorm: folded.length > 0,
      foldedConvs: folded,
      notes,
      nodeNotes: this.nodeNotes,
      ops: this.opCounts,
    };
  }

  // ---- structure ------------------------------------------------------------

  private scopeOf(p: NodeProto, fallback: string): string {
    // torch 2.x: the node's own metadata lists its scope chain.
    const own = scopeFromMetadata(p.metadataProps?.find((e) => e.key === 'pkg.torch.onnx.name_scopes')?.value);
    if (own !== null) return own;
    return scopeFromNodeName(p.name) ?? fallback;
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.usedNames.has(name); k++) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  /** Wraps node protos, inlining calls of local functions that are not torch module calls. */
  private expand(protos: readonly NodeProto[], prefix: string, scope: string, depth = 0): Node[] {
    const out: Node[] = [];
    protos.forEach((p, k) => {
      const base = p.name !== '' ? prefix + p.name : `${prefix}${p.opType}_${k}`;
      const n = new Node(p, this.uniqueName(base), prefix === '' ? this.scopeOf(p, p.name !== '' ? p.name : base) : scope);
      const f = this.functions.get(`${p.domain}::${p.opType}`);
      if (f !== undefined && !this.isModuleCall(n)) {
        if (depth > 16) throw new OnnxError(n.name, 'local functions nest too deep');
        out.push(...this.expand(this.inline(f, p, n.name), `${n.name}/`, n.scope, depth + 1));
      } else out.push(n);
    });
    return out;
  }

  private inline(f: FunctionProto, call: NodeProto, prefix: string): NodeProto[] {
    const rename = new Map<string, string>();
    f.input.forEach((x, i) => rename.set(x, call.input[i] ?? ''));
    f.output.forEach((x, i) => rename.set(x, call.output[i] ?? ''));
    const r = (x: string) => (x === '' ? '' : rename.get(x) ?? `${prefix}/${x}`);
    const callAttrs = new Map(call.attribute.map((a) => [a.name, a]));
    for (const a of f.attributeProto) if (!callAttrs.has(a.name)) callAttrs.set(a.name, a);
    return f.node.map((n) => ({
      ...n,
      input: n.input.map(r),
      output: n.output.map(r),
      attribute: n.attribute.flatMap((a) => {
        if (a.refAttrName === '') return [a];
        const v = callAttrs.get(a.refAttrName);
        return v ? [{ ...v, name: a.name, refAttrName: '' }] : [];
      }),
    }));
  }

  /** An `export_modules_as_functions` call: the domain names a torch.nn module whose class normkit builds. */
  private isModuleCall(n: Node): boolean {
    return n.proto.domain.startsWith('torch.nn.modules') && getOp(n.op)?.kind === 'module';
  }

  /** Topological order; a dangling input or a cycle is an OnnxError. */
  private order(nodes: Node[]): Node[] {
    const known = new Set<string>(this.values.keys());
    known.add('');
    const byOutput = new Map<string, Node>();
    for (const n of nodes) for (const o of n.proto.output) if (o !== '') byOutput.set(o, n);
    for (const n of nodes) {
      for (const i of n.proto.input) {
        if (!known.has(i) && !byOutput.has(i)) throw new OnnxError(n.name, `input '${i}' is not a graph input, an initializer or any node's output`);
      }
    }
    const done = new Set<Node>();
    const out: Node[] = [];
    const state = new Map<Node, number>();
    const visit = (n: Node) => {
      // iterative DFS
      const stack: [Node, number][] = [[n, 0]];
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const [cur, k] = top;
        if (k === 0) {
          if (done.has(cur)) {
            stack.pop();
            continue;
          }
          state.set(cur, 1);
        }
        const ins = cur.proto.input;
        if (k < ins.length) {
          top[1] = k + 1;
          const p = byOutput.get(ins[k]!);
          if (p !== undefined && !known.has(ins[k]!) && !done.has(p)) {
            if (state.get(p) === 1) throw new OnnxError(cur.name, `the graph has a cycle through '${ins[k]}' (${p.name} → ${cur.name})`);
            stack.push([p, 0]);
          }
          continue;
        }
        stack.pop();
        state.set(cur, 2);
        done.add(cur);
        out.push(cur);
      }
    };
    for (const n of nodes) visit(n);
    return out;
  }

  // ---- values ---------------------------------------------------------------

  private setConst(onnxName: string, t: Tensor, kind: Kind, dtype?: DType): void {
    this.values.set(onnxName, { name: onnxName, kind, rank: t.ndim, const: t, ...(dtype !== undefined ? { dtype } : {}) });
  }

  /** A constant used by a node becomes an initializer (its type recorded when not float32); returns the value name. */
  private materialize(v: Value): string {
    if (v.const && !this.b.graph.initializers.has(v.name)) {
      this.b.graph.initializers.set(v.name, v.const);
      const t = dtypeOf(v);
      if (t !== 'float32') (this.b.graph.dtypes ??= new Map()).set(v.name, t);
    }
    return v.name;
  }

  private val(n: Node, i: number): Value {
    const name = n.proto.input[i];
    if (name === undefined || name === '') throw new OnnxError(n.name, `${n.op} needs input ${i}`);
    const v = this.values.get(name);
    if (v === undefined) throw new OnnxError(n.name, `input '${name}' is not defined before this node`);
    return v;
  }

  private has(n: Node, i: number): boolean {
    return (n.proto.input[i] ?? '') !== '';
  }

  private constOf(n: Node, i: number): Tensor | undefined {
    return this.has(n, i) ? this.val(n, i).const : undefined;
  }

  private needConst(n: Node, i: number, what: string): Tensor {
    const t = this.constOf(n, i);
    if (t === undefined) unsupported(`${what} must be a constant`);
    return t!;
  }

  private constInts(n: Node, i: number, what: string): number[] {
    return Array.from(valuesOf(this.needConst(n, i, what)), (v) => (Number.isFinite(v) ? Math.trunc(v) : v > 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER));
  }

  /** The graph value of input i (constants become initializers when first used by a node). */
  private ref(n: Node, i: number): string {
    return this.materialize(this.val(n, i));
  }

  private define(onnxName: string, v: Value): void {
    if (onnxName === '') return;
    if (v.rank === undefined) {
      // The file's own shape inference (value_info, graph outputs), when the rank did not follow from the ops.
      const hint = this.rankHints.get(onnxName);
      if (hint !== undefined) v = { ...v, rank: hint };
    }
    this.values.set(onnxName, v);
  }

  /** Emits a functional node (or folds it when every input is a constant). */
  private fnNode(n: Node, op: string, inputs: number[] | string[], attrs: Record<string, unknown>, kind: Kind, rank: number | undefined, nOut = 1): void {
    const ins = (inputs as (number | string)[]).map((i) => (typeof i === 'number' ? this.val(n, i) : this.values.get(i)!));
    const outNames = n.proto.output.slice(0, nOut);
    const def = getOp(op);
    if (def === undefined || def.kind !== 'function') throw new OnnxError(n.name, `internal: no functional op ${op}`);
    const types = outputTypes(op, attrs, ins.map(dtypeOf), nOut);
    // Fold small constant subgraphs (shape arithmetic, pad amounts); large constant data is computed when the graph runs.
    if (ins.every((v) => v.const !== undefined && v.const.numel() <= FOLD_LIMIT)) {
      try {
        const ys = def.run(ins.map((v) => v.const!), attrs);
        outNames.forEach((o, k) => this.define(o, { name: o, kind, rank: ys[k]!.ndim, const: ys[k]!, dtype: types[k]! }));
        return;
      } catch (e) {
        if (!(e instanceof NormkitError)) throw e;
        // Not foldable: the node raises when it runs.
      }
    }
    const names = ins.map((v) => this.materialize(v));
    const outs = this.b.node(op, names, { scope: n.scope, name: n.name, attrs, outputNames: outNames.map((o, k) => (o === '' ? `${n.name}:${k}` : o)) });
    outNames.forEach((o, k) => this.define(o, { name: outs[k]!, kind, dtype: types[k]!, ...(rank !== undefined ? { rank } : {}) }));
  }

  /** Emits a module node built from constructor args, with weights (by state-dict name) loaded. */
  private moduleNode(n: Node, cls: string, args: Record<string, unknown>, input: string, weights: Record<string, Tensor | undefined>, rank: number | undefined, output = n.proto.output[0]!, name = n.name, scope = n.scope): Module {
    const def = getOp(cls) as ModuleOp | undefined;
    if (def === undefined || def.kind !== 'module') throw new OnnxError(name, `internal: no module op ${cls}`);
    let m: Module;
    try {
      // the file's weights replace the random ones: none are drawn (a meta import, loading no weights, keeps them)
      const build = () => def.build(new ArgReader(args, name, cls));
      m = this.meta ? build() : withoutInit(build);
    } catch (e) {
      if (e instanceof NormkitError) throw new OnnxError(name, `${cls}(${JSON.stringify(args)}): ${e.message}`);
      throw e;
    }
    if (!this.meta) {
      const state = m.stateDict();
      for (const [k, t] of Object.entries(weights)) {
        if (t === undefined) continue;
        const own = state.get(k);
        if (own === undefined) throw new OnnxError(name, `internal: ${cls} has no ${k}`);
        if (own.numel() !== t.numel()) throw new OnnxError(name, `${cls}: ${k} holds ${t.numel()} values, the module needs ${own.numel()} (shape [${own.shape.join(', ')}])`);
        own.data.set(t.data);
      }
    }
    const inName = this.values.get(input);
    if (inName === undefined) throw new OnnxError(name, `input '${input}' is not defined before this node`);
    this.materialize(inName);
    const [out] = this.b.node(cls, [inName.name], { scope, name, attrs: def.toArgs(m), module: m, outputNames: [output] });
    this.define(output, { name: out!, kind: 'float', ...(rank !== undefined ? { rank } : {}) });
    return m;
  }

  /**
   * torch 1.13 writes `x.squeeze(dim)` of a dimension whose size the export
   * did not know as If(Equal(Gather(Shape(x), dim), 1)) with a Squeeze(x, [dim])
   * branch and an Identity(x) one: torch.squeeze's own rule (squeeze only a
   * size-1 dim). Returns x and dim when node `n` is exactly that.
   */
  private torchSqueeze(n: Node): { x: string; dim: number } | undefined {
    const branch = (k: string) => n.proto.attribute.find((a) => a.name === k)?.g;
    const then = branch('then_branch');
    const other = branch('else_branch');
    if (then === undefined || other === undefined || n.proto.output.length !== 1 || then.output.length !== 1 || other.output.length !== 1) return undefined;
    const id = other.node.length === 1 && other.node[0]!.opType === 'Identity' && other.node[0]!.output[0] === other.output[0]!.name ? other.node[0]!.input[0] : undefined;
    const sq = then.node.find((m) => m.opType === 'Squeeze' && m.output[0] === then.output[0]!.name);
    if (id === undefined || sq === undefined || sq.input[0] !== id || then.node.some((m) => m !== sq && m.opType !== 'Constant')) return undefined;
    const intsOf = (m: NodeProto | undefined): number[] | undefined => {
      const a = m?.attribute.find((x) => x.name === 'value' || x.name === 'value_ints' || x.name === 'value_int');
      if (a?.t) return Array.from(toTensor(tensorData(a.t, m!.name)).data);
      return a === undefined ? undefined : a.ints.length ? a.ints : [a.i];
    };
    const axes = sq.input.length > 1 ? intsOf(then.node.find((m) => m.opType === 'Constant' && m.output[0] === sq.input[1])) : sq.attribute.find((a) => a.name === 'axes')?.ints;
    if (axes?.length !== 1) return undefined;
    // the condition: Equal(Gather(Shape(x), dim), 1) in the outer graph
    const producer = (v: string) => this.nodes.find((m) => m.proto.output.includes(v));
    const constVal = (v: string | undefined): number[] | undefined => {
      if (v === undefined) return undefined;
      const c = this.values.get(v)?.const;
      if (c) return Array.from(c.data);
      const p = producer(v);
      return p?.op === 'Constant' ? intsOf(p.proto) : undefined;
    };
    const eq = producer(n.proto.input[0] ?? '');
    if (eq?.op !== 'Equal') return undefined;
    const [gv, one] = constVal(eq.proto.input[1])?.[0] === 1 ? [eq.proto.input[0], 1] : [eq.proto.input[1], constVal(eq.proto.input[0])?.[0]];
    const gather = producer(gv ?? '');
    if (one !== 1 || gather?.op !== 'Gather' || gather.int('axis', 0) !== 0) return undefined;
    const shape = producer(gather.proto.input[0] ?? '');
    const at = constVal(gather.proto.input[1]);
    if (shape?.op !== 'Shape' || shape.proto.input[0] !== id || shape.attrs.size > 0 || at?.length !== 1 || at[0] !== axes[0]) return undefined;
    return { x: id, dim: axes[0]! };
  }

  private rankOf(n: Node, i: number): number | undefined {
    return this.has(n, i) ? this.val(n, i).rank : undefined;
  }

  private needRank(n: Node, i: number): number {
    const r = this.rankOf(n, i);
    if (r === undefined) unsupported('the input rank is not known at import');
    return r!;
  }

  private note(n: Node, note: string): void {
    this.nodeNotes.push({ node: n.name, scope: n.scope, note });
  }

  // ---- patterns -------------------------------------------------------------

  private findPatterns(): void {
    const producer = new Map<string, Node>();
    const consumers = new Map<string, Node[]>();
    for (const n of this.nodes) {
      for (const o of n.proto.output) producer.set(o, n);
      for (const i of n.proto.input) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
    }
    const graphOutputs = new Set(this.model.graph!.output.map((o) => o.name));
    const only = (v: string): Node | undefined => {
      const cs = consumers.get(v) ?? [];
      return cs.length === 1 && !graphOutputs.has(v) ? cs[0] : undefined;
    };
    const constant = (name: string | undefined): Tensor | undefined => {
      if (name === undefined || name === '') return undefined;
      const v = this.values.get(name);
      if (v?.const) return v.const;
      const p = producer.get(name);
      if (p?.op === 'Constant') {
        const t = p.tensor('value');
        return t ? toTensor(t) : undefined;
      }
      // torch writes one initializer for equal ones (every GroupNorm's ones) and Identity nodes for the others
      if (p?.op === 'Identity') return constant(p.proto.input[0]);
      return undefined;
    };
    this.layerNormPatterns(producer, consumers, only, constant);
    this.linearPatterns(only, constant);
    this.activationPatterns(consumers, only, constant);
    this.reshapePatterns(producer, only, constant);
    this.avgPoolPatterns(producer, only, constant);
    this.trackedInstanceNormPatterns(producer, only, constant);
    this.batchStatsBatchNormPatterns(producer, consumers, constant);
    for (const inorm of this.nodes) {
      if (inorm.op !== 'InstanceNormalization') continue;
      // GroupNorm: Reshape(x, [0, G, -1]) → InstanceNormalization(ones, zeros) → Reshape(·, Shape(x)) → Mul(·, w) → Add(·, b)
      const r1 = producer.get(inorm.proto.input[0]!);
      if (r1?.op !== 'Reshape' || r1.scope !== inorm.scope || only(r1.proto.output[0]!) !== inorm) continue;
      const spec = constant(r1.proto.input[1]);
      if (spec === undefined || spec.numel() !== 3 || spec.data[2] !== -1) continue;
      const G = spec.data[1]!;
      const scale = constant(inorm.proto.input[1]);
      const bias = constant(inorm.proto.input[2]);
      if (!sameOnes(scale, 1) || !sameOnes(bias, 0) || scale!.numel() !== G) continue;
      const r2 = only(inorm.proto.output[0]!);
      if (r2?.op !== 'Reshape' || r2.scope !== inorm.scope) continue;
      const shapeNode = producer.get(r2.proto.input[1]!);
      const x = r1.proto.input[0]!;
      if (shapeNode?.op !== 'Shape' || shapeNode.proto.input[0] !== x || shapeNode.attrs.size > 0) continue;
      const mulNode = only(r2.proto.output[0]!);
      let last = r2;
      let w: Tensor | undefined;
      let bb: Tensor | undefined;
      const group = [r1, inorm, r2];
      // the affine's weight and bias: constants of shape [C, 1, ...], or (without constant folding) Unsqueeze(<path>.weight, axes >= 1)
      const affine = (user: Node, name: string): { t: Tensor | undefined; feeder?: Node } => {
        const t = constant(name);
        if (t !== undefined) return { t };
        const u = producer.get(name);
        if (u?.op !== 'Unsqueeze' || only(name) !== user) return { t: undefined };
        const axes = u.proto.input.length > 1 ? constant(u.proto.input[1]) : undefined;
        const ax = axes ? Array.from(axes.data) : u.ints('axes');
        const base = constant(u.proto.input[0]);
        return base !== undefined && base.ndim === 1 && ax !== undefined && ax.length > 0 && ax.every((a) => a >= 1) ? { t: base, feeder: u } : { t: undefined };
      };
      if (mulNode?.op === 'Mul' && mulNode.scope === inorm.scope) {
        const wi = mulNode.proto.input[0] === r2.proto.output[0] ? 1 : 0;
        const wa = affine(mulNode, mulNode.proto.input[wi]!);
        w = wa.t;
        const addNode = only(mulNode.proto.output[0]!);
        if (w && addNode?.op === 'Add' && addNode.scope === inorm.scope) {
          const bi = addNode.proto.input[0] === mulNode.proto.output[0] ? 1 : 0;
          const ba = affine(addNode, addNode.proto.input[bi]!);
          bb = ba.t;
          if (bb && bb.numel() === w.numel() && w.numel() % G === 0 && w.shape.slice(1).every((d) => d === 1) && bb.shape.slice(1).every((d) => d === 1)) {
            group.push(mulNode, addNode, ...[wa.feeder, ba.feeder].filter((f): f is Node => f !== undefined));
            last = addNode;
          } else w = undefined;
        } else w = undefined;
      }
      const shapeUsers = consumers.get(shapeNode.proto.output[0]!) ?? [];
      if (shapeUsers.length === 1) group.push(shapeNode);
      for (const g of group) this.skip.add(g);
      const eps = inorm.float('epsilon', 1e-5);
      this.patterns.set(last, () => {
        if (w === undefined) {
          // Without its affine the channel count is not in the graph: take it from a known input shape.
          unsupported('GroupNorm without affine (num_channels unknown)');
        }
        this.moduleNode(inorm, 'GroupNorm', { num_groups: G, num_channels: w!.numel(), eps: tidy(eps), affine: true }, x, { weight: w, bias: bb }, this.values.get(x)?.rank, last.proto.output[0]!, this.patternName(inorm, 'GroupNorm'), inorm.scope);
      });
    }
  }

  /** LayerNorm below opset 17: ReduceMean → Sub → Pow(2) → ReduceMean → Add(eps) → Sqrt → Div (→ Mul(w) → Add(b)), one scope. */
  private layerNormPatterns(producer: Map<string, Node>, consumers: Map<string, Node[]>, only: (v: string) => Node | undefined, constant: (n: string | undefined) => Tensor | undefined): void {
    for (const rm1 of this.nodes) {
      if (rm1.op !== 'ReduceMean' || this.skip.has(rm1)) continue;
      const x = rm1.proto.input[0]!;
      const axesOf = (n: Node) => (this.opset >= 18 ? (constant(n.proto.input[1]) ? Array.from(constant(n.proto.input[1])!.data) : undefined) : n.ints('axes'));
      const axes = axesOf(rm1);
      if (axes === undefined || rm1.int('keepdims', 1) !== 1) continue;
      const k = axes.length;
      if (!axes.every((a, i) => a === i - k)) continue;
      const same = (n: Node | undefined, op: string): n is Node => n !== undefined && n.op === op && n.scope === rm1.scope;
      const sub = (consumers.get(rm1.proto.output[0]!) ?? []).find((c) => c.op === 'Sub' && c.proto.input[0] === x && c.proto.input[1] === rm1.proto.output[0]);
      if (!same(sub, 'Sub')) continue;
      const subUsers = consumers.get(sub.proto.output[0]!) ?? [];
      const pow = subUsers.find((c) => c.op === 'Pow');
      const div = subUsers.find((c) => c.op === 'Div');
      if (!same(pow, 'Pow') || !same(div, 'Div') || subUsers.length !== 2 || constant(pow.proto.input[1])?.data[0] !== 2) continue;
      const rm2 = only(pow.proto.output[0]!);
      if (!same(rm2, 'ReduceMean') || (axesOf(rm2) ?? []).join() !== axes.join()) continue;
      const addEps = only(rm2.proto.output[0]!);
      if (!same(addEps, 'Add')) continue;
      const eps = constant(addEps.proto.input[1]);
      const sqrt = only(addEps.proto.output[0]!);
      if (eps === undefined || eps.numel() !== 1 || !same(sqrt, 'Sqrt') || only(sqrt.proto.output[0]!) !== div || div.proto.input[1] !== sqrt.proto.output[0]) continue;
      const group = [rm1, sub, pow, rm2, addEps, sqrt, div];
      let last: Node = div;
      let w: Tensor | undefined;
      let b: Tensor | undefined;
      const mul = only(div.proto.output[0]!);
      if (same(mul, 'Mul')) {
        w = constant(mul.proto.input[mul.proto.input[0] === div.proto.output[0] ? 1 : 0]);
        const add = w ? only(mul.proto.output[0]!) : undefined;
        if (w && same(add, 'Add')) {
          b = constant(add.proto.input[add.proto.input[0] === mul.proto.output[0] ? 1 : 0]);
          if (b && b.numel() === w.numel() && w.ndim === k) {
            group.push(mul, add);
            last = add;
          } else w = undefined;
        } else w = undefined;
      }
      if (w === undefined) continue; // without affine the normalized shape is not in the graph
      for (const g of group) this.skip.add(g);
      const epsilon = eps.data[0]!;
      const anchor = rm1;
      this.patterns.set(last, () => {
        this.moduleNode(anchor, 'LayerNorm', { normalized_shape: [...w!.shape], eps: tidy(epsilon) }, x, { weight: w, bias: b }, this.values.get(x)?.rank, last.proto.output[0]!, this.patternName(anchor, 'LayerNorm'), anchor.scope);
      });
    }
  }

  /**
   * nn.Linear on inputs of rank > 2: torch writes MatMul(x, W^T) → Add(<path>.bias), one scope.
   * Only with torch's bias name: a bare torch.matmul with a constant stays a matmul.
   */
  private linearPatterns(only: (v: string) => Node | undefined, constant: (n: string | undefined) => Tensor | undefined): void {
    for (const mm of this.nodes) {
      if (mm.op !== 'MatMul' || this.skip.has(mm)) continue;
      const B = constant(mm.proto.input[1]);
      if (B === undefined || B.ndim !== 2) continue;
      const add = only(mm.proto.output[0]!);
      if (add?.op !== 'Add' || add.scope !== mm.scope) continue;
      const bi = add.proto.input[0] === mm.proto.output[0] ? 1 : 0;
      const biasName = add.proto.input[bi]!;
      const bias = constant(biasName);
      if (bias === undefined || bias.ndim !== 1 || bias.numel() !== B.shape[1] || biasName !== `${mm.scope}.bias`) continue;
      this.skip.add(mm);
      const x = mm.proto.input[0]!;
      this.patterns.set(add, () => {
        // any rank from 1 (nn.Linear's own rule); unknown where torch's attention reshapes by computed shapes
        const r = this.values.get(x)?.rank;
        if (r !== undefined && r < 1) unsupported('nn.Linear pattern on a scalar input');
        this.moduleNode(mm, 'Linear', { in_features: B.shape[0], out_features: B.shape[1], bias: true }, x, { weight: transpose2d(B), bias }, r, add.proto.output[0]!, this.patternName(mm, 'Linear'), mm.scope);
      });
    }
  }

  /** nn.SiLU: Sigmoid(x) → Mul(x, ·); nn.GELU: Div(x, √2) → Erf → Add(1) → Mul(x, ·) → Mul(0.5); one scope each. */
  private activationPatterns(consumers: Map<string, Node[]>, only: (v: string) => Node | undefined, constant: (n: string | undefined) => Tensor | undefined): void {
    const scalar = (name: string | undefined, v: number, tol = 1e-6) => {
      const t = constant(name);
      return t !== undefined && t.numel() === 1 && !t.isMeta && Math.abs(t.data[0]! - v) <= tol;
    };
    const other = (n: Node, v: string) => (n.proto.input[0] === v ? n.proto.input[1] : n.proto.input[0]);
    for (const sig of this.nodes) {
      if (sig.op !== 'Sigmoid' || this.skip.has(sig)) continue;
      const x = sig.proto.input[0]!;
      const mul = only(sig.proto.output[0]!);
      if (mul?.op !== 'Mul' || mul.scope !== sig.scope || other(mul, sig.proto.output[0]!) !== x || scopeFromNodeName(sig.name) === null) continue;
      this.skip.add(sig);
      this.patterns.set(mul, () => void this.moduleNode(sig, 'SiLU', {}, x, {}, this.values.get(x)?.rank, mul.proto.output[0]!, this.patternName(sig, 'SiLU'), sig.scope));
    }
    for (const div of this.nodes) {
      if (div.op !== 'Div' || this.skip.has(div) || !scalar(div.proto.input[1], Math.SQRT2, 1e-4)) continue;
      const x = div.proto.input[0]!;
      const same = (n: Node | undefined, op: string): n is Node => n !== undefined && n.op === op && n.scope === div.scope;
      const erf = only(div.proto.output[0]!);
      if (!same(erf, 'Erf')) continue;
      const add = only(erf.proto.output[0]!);
      if (!same(add, 'Add') || !scalar(other(add, erf.proto.output[0]!), 1)) continue;
      const mul = only(add.proto.output[0]!);
      if (!same(mul, 'Mul') || other(mul, add.proto.output[0]!) !== x) continue;
      const half = only(mul.proto.output[0]!);
      if (!same(half, 'Mul') || !scalar(other(half, mul.proto.output[0]!), 0.5)) continue;
      if ((consumers.get(x) ?? []).filter((c) => c === div || c === mul).length !== 2) continue;
      for (const g of [div, erf, add, mul]) this.skip.add(g);
      this.patterns.set(half, () => void this.moduleNode(div, 'GELU', {}, x, {}, this.values.get(x)?.rank, half.proto.output[0]!, this.patternName(div, 'GELU'), div.scope));
    }
  }

  /**
   * What torch writes with shape arithmetic for one module, one scope each:
   * nn.Hardswish below opset 14 (HardSigmoid(x, 1/6) → Mul(x, ·)),
   * nn.PixelUnshuffle (Reshape [-1, C, h, r, w, r] → Transpose [0,1,3,5,2,4] →
   * Reshape [-1, C·r², h, w]; with dynamic sizes Unsqueeze → Reshape → Reshape →
   * Transpose → Reshape → Squeeze), and nn.Upsample / F.interpolate with a
   * constant size (Resize to Concat(Shape(x)[0:2], size)).
   */
  private reshapePatterns(producer: Map<string, Node>, only: (v: string) => Node | undefined, constant: (n: string | undefined) => Tensor | undefined): void {
    const same = (n: Node | undefined, op: string, scope: string): n is Node => n !== undefined && n.op === op && n.scope === scope && !this.skip.has(n);
    const ints = (name: string | undefined) => {
      const t = constant(name);
      return t === undefined || t.isMeta ? undefined : Array.from(valuesOf(t), Math.trunc);
    };
    const axesOf = (n: Node) => (this.opset >= 13 ? ints(n.proto.input[1]) : n.ints('axes'));
    const eq = (a: number[] | undefined, b: number[]) => a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
    for (const hs of this.nodes) {
      if (hs.op !== 'HardSigmoid' || this.skip.has(hs) || Math.abs(hs.float('alpha', 0.2) - 1 / 6) > 1e-6 || Math.abs(hs.float('beta', 0.5) - 0.5) > 1e-6) continue;
      const x = hs.proto.input[0]!;
      const mul = only(hs.proto.output[0]!);
      if (!same(mul, 'Mul', hs.scope) || !mul.proto.input.includes(x) || scopeFromNodeName(hs.name) === null) continue;
      this.skip.add(hs);
      this.patterns.set(mul, () => void this.moduleNode(hs, 'Hardswish', {}, x, {}, this.values.get(x)?.rank, mul.proto.output[0]!, this.patternName(hs, 'Hardswish'), hs.scope));
    }
    for (const t of this.nodes) {
      if (t.op !== 'Transpose' || this.skip.has(t) || !eq(t.ints('perm'), [0, 1, 3, 5, 2, 4])) continue;
      const r1 = producer.get(t.proto.input[0]!);
      const r2 = only(t.proto.output[0]!);
      if (!same(r1, 'Reshape', t.scope) || !same(r2, 'Reshape', t.scope) || only(r1.proto.output[0]!) !== t) continue;
      const a = ints(r1.proto.input[1]);
      const b = ints(r2.proto.input[1]);
      if (a === undefined || b === undefined) continue;
      let x: string;
      let last: Node = r2;
      let r: number;
      const group: Node[] = [r1, t];
      if (a.length === 6 && b.length === 4 && a[3] === a[5] && a[3]! > 0 && b[1] === a[1]! * a[3]! * a[3]! && b[2] === a[2] && b[3] === a[4]) {
        x = r1.proto.input[0]!;
        r = a[3]!;
      } else if (eq(a.slice(0, 5), [0, 0, 0, 0, -1]) && a.length === 6 && eq(b, [0, -1, 1, 1, 0, 0])) {
        r = a[5]!;
        const r0 = producer.get(r1.proto.input[0]!);
        const u = r0 && producer.get(r0.proto.input[0]!);
        const sq = only(r2.proto.output[0]!);
        if (!same(r0, 'Reshape', t.scope) || !eq(ints(r0.proto.input[1]), [0, 0, -1, r, 0]) || !same(u, 'Unsqueeze', t.scope) || !eq(axesOf(u), [3])) continue;
        if (!same(sq, 'Squeeze', t.scope) || !eq(axesOf(sq), [2, 3]) || only(u.proto.output[0]!) !== r0 || only(r0.proto.output[0]!) !== r1) continue;
        x = u.proto.input[0]!;
        group.unshift(u, r0);
        group.push(r2);
        last = sq;
      } else continue;
      for (const g of group) this.skip.add(g);
      const anchor = group[0]!;
      this.patterns.set(last, () => void this.moduleNode(anchor, 'PixelUnshuffle', { downscale_factor: r }, x, {}, 4, last.proto.output[0]!, this.patternName(anchor, 'PixelUnshuffle'), anchor.scope));
    }
    for (const rs of this.nodes) {
      if (rs.op !== 'Resize' || this.opset < 11 || rs.proto.input.length < 4 || this.skip.has(rs)) continue;
      const x = rs.proto.input[0]!;
      const cat = producer.get(rs.proto.input[3]!);
      if (!same(cat, 'Concat', rs.scope) || cat.proto.input.length !== 2 || only(cat.proto.output[0]!) !== rs) continue;
      const sl = producer.get(cat.proto.input[0]!);
      const sh = sl && producer.get(sl.proto.input[0]!);
      if (!same(sl, 'Slice', rs.scope) || !same(sh, 'Shape', rs.scope) || sh.proto.input[0] !== x || sh.attrs.size > 0 || only(sl.proto.output[0]!) !== cat || only(sh.proto.output[0]!) !== sl) continue;
      if (!eq(ints(sl.proto.input[1]), [0]) || !eq(ints(sl.proto.input[2]), [2]) || !eq(ints(sl.proto.input[3]) ?? [0], [0]) || (sl.proto.input[4] ?? '') !== '') continue;
      const group = [sh, sl, cat];
      for (const g of group) this.skip.add(g);
      const sizeName = cat.proto.input[1]!;
      this.patterns.set(rs, () => {
        // the size is known once what it is computed from is folded (torch's recompute_scale_factor arithmetic)
        const size = this.values.get(sizeName)?.const;
        if (size !== undefined && !size.isMeta) return this.resize(rs, Array.from(valuesOf(size), Math.trunc));
        for (const g of group) this.convert(g);
        this.resize(rs);
      });
    }
  }

  /** AvgPool2d(padding=p) with count_include_pad: torch writes Pad(zeros) → AveragePool(pads 0): one module. */
  private avgPoolPatterns(producer: Map<string, Node>, only: (v: string) => Node | undefined, constant: (n: string | undefined) => Tensor | undefined): void {
    for (const pool of this.nodes) {
      if (pool.op !== 'AveragePool' || (pool.ints('pads') ?? []).some((p) => p !== 0) || pool.str('auto_pad', 'NOTSET') !== 'NOTSET') continue;
      const pad = producer.get(pool.proto.input[0]!);
      if (pad?.op !== 'Pad' || pad.scope !== pool.scope || only(pad.proto.output[0]!) !== pool || pad.str('mode', 'constant') !== 'constant') continue;
      const pads = this.opset < 11 ? pad.ints('pads') : constant(pad.proto.input[1]) ? Array.from(constant(pad.proto.input[1])!.data) : undefined;
      const value = this.opset < 11 ? pad.float('value', 0) : (pad.proto.input[2] ? constant(pad.proto.input[2])?.data[0] : 0);
      if (pads === undefined || value !== 0 || (pad.proto.input[3] ?? '') !== '') continue;
      const k = (pool.ints('kernel_shape') ?? []).length;
      const r = pads.length / 2;
      if (r !== k + 2 || pads[0] !== 0 || pads[1] !== 0 || pads[r] !== 0 || pads[r + 1] !== 0) continue;
      const begin = pads.slice(2, r);
      const end = pads.slice(r + 2);
      if (!begin.every((p, i) => p === end[i])) continue;
      this.skip.add(pad);
      this.patterns.set(pool, () => {
        const kernel = pool.ints('kernel_shape')!;
        this.moduleNode(pool, `AvgPool${k}d`, { kernel_size: kernel, stride: pool.ints('strides') ?? new Array<number>(k).fill(1), padding: begin, ceil_mode: pool.int('ceil_mode', 0) === 1, count_include_pad: true }, pad.proto.input[0]!, {}, k + 2);
      });
    }
  }

  /** InstanceNorm with track_running_stats: Reshape → BatchNormalization (statistics tiled over the batch) → Reshape, one scope. */
  private trackedInstanceNormPatterns(producer: Map<string, Node>, only: (v: string) => Node | undefined, constant: (n: string | undefined) => Tensor | undefined): void {
    for (const bn of this.nodes) {
      if (bn.op !== 'BatchNormalization') continue;
      const r1 = producer.get(bn.proto.input[0]!);
      const r2 = only(bn.proto.output[0]!);
      if (r1?.op !== 'Reshape' || r2?.op !== 'Reshape' || r1.scope !== bn.scope || r2.scope !== bn.scope || only(r1.proto.output[0]!) !== bn) continue;
      // Each statistic: Tile(Expand(const, ...), [N]) → the per-channel constant.
      const stats = [1, 2, 3, 4].map((i) => {
        const tile = producer.get(bn.proto.input[i]!);
        if (tile?.op !== 'Tile') return undefined;
        const expand = producer.get(tile.proto.input[0]!);
        return expand?.op === 'Expand' ? constant(expand.proto.input[0]) : undefined;
      });
      if (stats.some((t) => t === undefined)) continue;
      const [w, b, mean, variance] = stats as Tensor[];
      const shape = constant(r1.proto.input[1]);
      if (shape === undefined) continue;
      const rank = shape.numel();
      const affine = !(sameOnes(w, 1) && sameOnes(b, 0));
      this.skip.add(r1).add(bn);
      const eps = bn.float('epsilon', 1e-5);
      const momentum = 1 - bn.float('momentum', 0.9);
      this.patterns.set(r2, () => {
        this.moduleNode(
          bn,
          `InstanceNorm${rank - 2}d`,
          { num_features: mean!.numel(), eps: tidy(eps), momentum: tidy(momentum), affine, track_running_stats: true },
          r1.proto.input[0]!,
          { ...(affine ? { weight: w, bias: b } : {}), running_mean: mean, running_var: variance },
          rank,
          r2.proto.output[0]!,
          this.patternName(bn, `InstanceNorm${rank - 2}d`),
          bn.scope,
        );
      });
    }
  }

  /**
   * BatchNorm without running statistics (`track_running_stats=False`), as
   * torch (and toOnnx) writes it: a training-mode BatchNormalization whose
   * mean and variance inputs are computed from its own input (Reshape →
   * Transpose → ReduceMean; ReduceMean → Sub → Mul → ReduceMean) and whose
   * running-statistics outputs nothing reads. Training mode normalizes with
   * the batch's statistics whatever those inputs are: one module, those nodes
   * folded into it.
   */
  private batchStatsBatchNormPatterns(producer: Map<string, Node>, consumers: Map<string, Node[]>, constant: (n: string | undefined) => Tensor | undefined): void {
    const OPS = new Set(['Reshape', 'Transpose', 'ReduceMean', 'Sub', 'Mul', 'Constant']);
    const graphOutputs = new Set(this.model.graph!.output.map((o) => o.name));
    for (const bn of this.nodes) {
      if (bn.op !== 'BatchNormalization' || this.skip.has(bn) || this.patterns.has(bn)) continue;
      const extra = bn.proto.output.slice(1).filter((o) => o !== '');
      const training = this.opset >= 14 ? bn.int('training_mode', 0) === 1 : extra.length > 0;
      if (!training || extra.some((o) => (consumers.get(o) ?? []).length > 0 || graphOutputs.has(o))) continue;
      const x = bn.proto.input[0]!;
      const stats = [bn.proto.input[3], bn.proto.input[4]];
      if (stats.some((v) => v === undefined || constant(v) !== undefined)) continue;
      const scale = constant(bn.proto.input[1]);
      const bias = constant(bn.proto.input[2]);
      if (scale === undefined || bias === undefined) continue;
      // the nodes the statistics are computed by, back to x (constants aside)
      const group = new Set<Node>();
      const todo = [...stats] as string[];
      let ok = true;
      while (todo.length && ok) {
        const v = todo.pop()!;
        if (v === x || v === '' || this.values.get(v)?.const !== undefined) continue;
        const p = producer.get(v);
        if (p === undefined || !OPS.has(p.op) || p.scope !== bn.scope || group.size > 16) ok = false;
        else if (!group.has(p)) {
          group.add(p);
          todo.push(...p.proto.input);
        }
      }
      if (!ok || group.size === 0) continue;
      // nothing else reads what they compute
      if ([...group].some((g) => g.proto.output.some((o) => graphOutputs.has(o) || (consumers.get(o) ?? []).some((c) => c !== bn && !group.has(c))))) continue;
      for (const g of group) this.skip.add(g);
      this.patterns.set(bn, () => {
        const r = this.needRank(bn, 0);
        const k = r <= 3 ? 1 : r - 2;
        if (k > 3) unsupported(`rank ${r}`);
        this.moduleNode(
          bn,
          `BatchNorm${k}d`,
          { num_features: scale.numel(), eps: tidy(bn.float('epsilon', 1e-5)), momentum: tidy(1 - bn.float('momentum', 0.9)), affine: true, track_running_stats: false },
          x,
          { weight: scale, bias },
          r,
        );
      });
    }
  }

  private patternName(n: Node, cls: string): string {
    return n.scope === "" ? cls : `/${n.scope}/${cls}`;
  }

  // ---- conversion -----------------------------------------------------------

  private convert(n: Node): void {
    if (this.isModuleCall(n)) return this.moduleCall(n);
    const op = n.op;
    const out0 = n.proto.output[0]!;
    const x = () => this.val(n, 0);
    const same = () => x().rank;
    const act = (cls: string, args: Record<string, unknown> = {}) => this.moduleNode(n, cls, args, n.proto.input[0]!, {}, same());
    switch (op) {
      case 'Constant': {
        const t = n.tensor('value');
        if (t) return this.setConst(out0, toTensor(t), kindOfTensor(t), dtypeOfTensor(t.dtype));
        const f = n.attrs.get('value_float') ?? n.attrs.get('value_floats');
        if (f !== undefined) return this.setConst(out0, Array.isArray(f) ? new Tensor(Float32Array.from(f as number[]), [(f as number[]).length]) : new Tensor(Float32Array.of(f as number), []), 'float');
        const i = n.attrs.get('value_int') ?? n.attrs.get('value_ints');
        if (i !== undefined) return this.setConst(out0, Array.isArray(i) ? new Tensor(Float32Array.from(i as number[]), [(i as number[]).length]) : new Tensor(Float32Array.of(i as number), []), 'int');
        return unsupported('only tensor, float and int values');
      }
      case 'Conv':
        return this.conv(n);
      case 'ConvTranspose':
        return this.convTranspose(n);
      case 'InstanceNormalization': {
        const scale = this.needConst(n, 1, 'the scale');
        const bias = this.needConst(n, 2, 'the bias');
        const r = this.needRank(n, 0);
        if (r < 3 || r > 5) unsupported(`rank ${r}`);
        // torch writes a non-affine InstanceNorm's unit scale and zero bias as Constants, an affine one's as `<path>.weight`/`.bias`
        // initializers (even when they are still ones and zeros).
        const named = n.proto.input[1] === `${n.scope}.weight`;
        const affine = named || !(sameOnes(scale, 1) && sameOnes(bias, 0));
        this.moduleNode(n, `InstanceNorm${r - 2}d`, { num_features: scale.numel(), eps: tidy(n.float('epsilon', 1e-5)), affine }, n.proto.input[0]!, affine ? { weight: scale, bias } : {}, r);
        this.note(n, 'onnxruntime returns the bias on a map of one spatial element; normkit raises as PyTorch does (Expected more than 1 spatial element when training)');
        return;
      }
      case 'BatchNormalization':
        return this.batchNorm(n);
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(n);
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        const r = this.needRank(n, 0);
        const avg = op === 'GlobalAveragePool';
        if (r === 4) return void act(avg ? 'AdaptiveAvgPool2d' : 'AdaptiveMaxPool2d', { output_size: 1 });
        if (r === 3 && avg) return void act('AdaptiveAvgPool1d', { output_size: 1 });
        return unsupported(`rank ${r}`);
      }
      case 'Gemm': {
        const transA = n.int('transA', 0);
        const transB = n.int('transB', 0);
        const alpha = n.float('alpha', 1);
        const beta = n.float('beta', 1);
        const B = this.constOf(n, 1);
        const C = this.constOf(n, 2);
        // Linear's weight is [out, in]: B itself with transB=1, B transposed with transB=0.
        const W = B !== undefined && B.ndim === 2 ? (transB === 1 ? B : transpose2d(B)) : undefined;
        if (transA === 0 && alpha === 1 && beta === 1 && W !== undefined && (!this.has(n, 2) || (C !== undefined && C.ndim === 1 && C.numel() === W.shape[0]))) {
          this.moduleNode(n, 'Linear', { in_features: W.shape[1], out_features: W.shape[0], bias: C !== undefined }, n.proto.input[0]!, { weight: W, bias: C }, 2);
          return;
        }
        return this.fnNode(n, 'onnx_gemm', this.has(n, 2) ? [0, 1, 2] : [0, 1], { alpha, beta, trans_a: transA === 1, trans_b: transB === 1 }, 'float', 2);
      }
      case 'MatMul':
        return this.fnNode(n, 'matmul', [0, 1], {}, 'float', Math.max(this.rankOf(n, 0) ?? 0, this.rankOf(n, 1) ?? 0) || undefined);
      case 'Relu':
        return void act('ReLU');
      case 'LeakyRelu':
        return void act('LeakyReLU', { negative_slope: tidy(n.float('alpha', 0.01)) });
      case 'Sigmoid':
        return void act('Sigmoid');
      case 'Tanh':
        return void act('Tanh');
      case 'Elu':
        return void act('ELU', { alpha: tidy(n.float('alpha', 1)) });
      case 'Selu':
        if (Math.abs(n.float('alpha', 1.6732632) - 1.6732632423543772) > 1e-6 || Math.abs(n.float('gamma', 1.050701) - 1.0507009873554805) > 1e-6) unsupported('alpha/gamma other than SELU\'s');
        return void act('SELU');
      case 'HardSwish':
        return void act('Hardswish');
      case 'Gelu':
        return void act('GELU', { approximate: n.str('approximate', 'none') });
      case 'Softplus':
        return void act('Softplus');
      case 'PRelu': {
        const slope = this.needConst(n, 1, 'the slope');
        const r = this.rankOf(n, 0);
        // PRelu-6 (before numpy broadcasting) applies a 1-D slope per channel.
        const perChannel = slope.ndim >= 1 && slope.shape.slice(1).every((d) => d === 1) && r !== undefined && (r - slope.ndim === 1 || (this.opset < 7 && slope.ndim === 1 && r >= 2));
        if (slope.numel() === 1 || perChannel) {
          this.moduleNode(n, 'PReLU', { num_parameters: slope.numel() }, n.proto.input[0]!, { weight: slope }, r);
          return;
        }
        return unsupported('a slope that is not one value or one per channel');
      }
      case 'Clip': {
        let lo: number | undefined;
        let hi: number | undefined;
        if (this.opset < 11) {
          lo = n.attrs.has('min') ? n.float('min', 0) : undefined;
          hi = n.attrs.has('max') ? n.float('max', 0) : undefined;
        } else {
          if (this.has(n, 1)) lo = this.needConst(n, 1, 'min').data[0];
          if (this.has(n, 2)) hi = this.needConst(n, 2, 'max').data[0];
        }
        if (lo === 0 && hi === 6) return void act('ReLU6');
        if (lo === 0 && hi === undefined) return void act('ReLU');
        return this.fnNode(n, 'onnx_clip', [0], { min: lo ?? null, max: hi ?? null }, x().kind, same());
      }
      case 'Softmax': {
        const axis = n.int('axis', this.opset >= 13 ? -1 : 1);
        const r = this.rankOf(n, 0);
        if (this.opset < 13 && !(r !== undefined && (axis === r - 1 || axis === -1))) unsupported('opset < 13 with an axis that is not the last');
        return this.fnNode(n, 'onnx_softmax', [0], { axis }, 'float', r);
      }
      case 'LogSoftmax': {
        const axis = n.int('axis', this.opset >= 13 ? -1 : 1);
        const r = this.rankOf(n, 0);
        if (this.opset < 13 && !(r !== undefined && (axis === r - 1 || axis === -1))) unsupported('opset < 13 with an axis that is not the last');
        return this.fnNode(n, 'onnx_log_softmax', [0], { axis }, 'float', r);
      }
      case 'Resize':
      case 'Upsample':
        return this.resize(n);
      case 'Pad':
        return this.pad(n);
      case 'DepthToSpace': {
        // CRD is PyTorch's PixelShuffle; DCR (TensorFlow's order) has no torch.nn module: a functional node.
        if (n.str('mode', 'DCR') === 'CRD') return void act('PixelShuffle', { upscale_factor: n.int('blocksize', 1) });
        return this.fnNode(n, 'onnx_depth_to_space', [0], { blocksize: n.int('blocksize', 1), mode: 'DCR' }, x().kind, 4);
      }
      case 'SpaceToDepth':
        return this.fnNode(n, 'onnx_space_to_depth', [0], { blocksize: n.int('blocksize', 1) }, x().kind, 4);
      case 'Flatten': {
        const axis = n.int('axis', 1);
        // nn.Flatten(start_dim=1) is ONNX's Flatten(axis=1) for inputs of rank >= 2 (rank 1 gives [N, 1] in ONNX, an error in torch).
        if (axis === 1 && (x().rank ?? 2) >= 2) return void this.moduleNode(n, 'Flatten', {}, n.proto.input[0]!, {}, 2);
        return this.fnNode(n, 'onnx_flatten', [0], { axis }, x().kind, 2);
      }
      case 'Dropout': {
        if (n.proto.output.length > 1 && n.proto.output[1] !== '') unsupported('the mask output');
        if (this.has(n, 2)) {
          const t = this.constOf(n, 2);
          if (t === undefined || t.data[0] !== 0) unsupported('training_mode');
        }
        return void act('Identity');
      }
      case 'Identity':
        if (x().kind !== 'float' || x().const) return this.fnNode(n, 'onnx_identity', [0], {}, x().kind, same());
        return void act('Identity');
      case 'LayerNormalization': {
        const stats = n.proto.output.slice(1);
        const used = (o: string) => o !== '' && (this.nodes.some((m) => m.proto.input.includes(o)) || this.model.graph!.output.some((g) => g.name === o));
        if (!used(out0) && stats.some(used)) {
          // only the statistics are read (what toOnnx writes for them): no module
          const r = this.rankOf(n, 0);
          const names = [stats[0] || `${n.name}:mean`, stats[1] || `${n.name}:inv_std_dev`];
          const outs = this.b.node('onnx_layer_norm_stats', [this.ref(n, 0)], { scope: n.scope, name: `${n.name}/stats`, attrs: { axis: n.int('axis', -1), epsilon: n.float('epsilon', 1e-5) }, outputNames: names });
          names.forEach((o, k) => this.define(o, { name: outs[k]!, kind: 'float', ...(r !== undefined ? { rank: r } : {}) }));
          return;
        }
        const scale = this.needConst(n, 1, 'the scale');
        const bias = this.has(n, 2) ? this.needConst(n, 2, 'the bias') : undefined;
        const axis = n.int('axis', -1);
        const r = this.rankOf(n, 0);
        const k = axis < 0 ? -axis : r !== undefined ? r - axis : undefined;
        if (k === undefined || k !== scale.ndim) unsupported('a scale whose rank is not the normalized rank');
        if (bias === undefined) unsupported('no bias');
        if (n.int('stash_type', 1) !== 1) unsupported('stash_type other than float');
        this.moduleNode(n, 'LayerNorm', { normalized_shape: [...scale.shape], eps: tidy(n.float('epsilon', 1e-5)) }, n.proto.input[0]!, { weight: scale, bias }, r);
        if (stats.some((o) => o !== '')) {
          // The Mean and InvStdDev outputs (training graphs, node tests): a functional node beside the module.
          const names = [stats[0] || `${n.name}:mean`, stats[1] || `${n.name}:inv_std_dev`];
          const outs = this.b.node('onnx_layer_norm_stats', [this.val(n, 0).name], { scope: n.scope, name: `${n.name}/stats`, attrs: { axis, epsilon: n.float('epsilon', 1e-5) }, outputNames: names });
          names.forEach((o, k) => this.define(o, { name: outs[k]!, kind: 'float', ...(r !== undefined ? { rank: r } : {}) }));
        }
        return;
      }
      case 'GroupNormalization': {
        const G = n.int('num_groups', 0);
        const scale = this.needConst(n, 1, 'the scale');
        const bias = this.needConst(n, 2, 'the bias');
        if (this.opset < 21 && scale.numel() !== G) unsupported('opset-18 per-group scale');
        if (this.opset < 21 && !(sameOnes(scale, 1) && sameOnes(bias, 0))) unsupported('opset-18 per-group scale (PyTorch\'s GroupNorm scales channels)');
        if (this.opset < 21) unsupported('opset-18 GroupNormalization (the channel count is not in the node)');
        this.moduleNode(n, 'GroupNorm', { num_groups: G, num_channels: scale.numel(), eps: tidy(n.float('epsilon', 1e-5)) }, n.proto.input[0]!, { weight: scale, bias }, this.rankOf(n, 0));
        return;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Pow': {
        const a = this.val(n, 0);
        let b = this.val(n, 1);
        if (this.opset < 7 && n.int('broadcast', 0) === 1 && n.attrs.has('axis')) {
          // Add-6's broadcast=1 with axis: B lines up with A's dims from `axis` on (not from the end).
          const axis = n.int('axis', 0);
          if (b.const === undefined || a.rank === undefined) unsupported('legacy broadcast with a non-constant B or an unknown rank');
          const r = a.rank!;
          const ax = axis < 0 ? axis + r : axis;
          const shape = [...b.const!.shape, ...new Array<number>(Math.max(0, r - ax - b.const!.ndim)).fill(1)];
          const name = `${n.name}:broadcast`;
          this.setConst(name, b.const!.isMeta ? Tensor.meta(shape) : new Tensor(b.const!.data, shape), b.kind, dtypeOf(b));
          b = this.values.get(name)!;
          n.proto.input[1] = name;
        }
        const r = a.rank !== undefined && b.rank !== undefined ? Math.max(a.rank, b.rank) : undefined;
        const lower = op.toLowerCase();
        if (a.kind !== 'float' && op !== 'Pow') return this.fnNode(n, 'onnx_int_binary', [0, 1], { op: lower }, a.kind, r);
        if (op === 'Pow') return this.fnNode(n, 'onnx_float_binary', [0, 1], { op: 'pow' }, a.kind, r);
        return this.fnNode(n, lower, [0, 1], {}, 'float', r);
      }
      case 'Sqrt':
        return this.fnNode(n, 'onnx_sqrt', [0], {}, 'float', same());
      case 'Where': {
        const r = [0, 1, 2].map((i) => this.rankOf(n, i));
        return this.fnNode(n, 'onnx_where', [0, 1, 2], {}, this.val(n, 1).kind, r.every((v) => v !== undefined) ? Math.max(...(r as number[])) : undefined);
      }
      case 'Mean':
      case 'Max':
      case 'Min':
      case 'Sum':
      case 'Equal':
      case 'Less':
      case 'LessOrEqual':
      case 'Greater':
      case 'GreaterOrEqual':
      case 'And':
      case 'Or':
      case 'Xor':
      case 'Mod': {
        const idx = n.proto.input.map((_, i) => i).filter((i) => this.has(n, i));
        const ranks = idx.map((i) => this.rankOf(n, i));
        const rank = ranks.every((v) => v !== undefined) ? Math.max(...(ranks as number[])) : undefined;
        const boolOut = ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor'].includes(op);
        if (op === 'Mean') return this.fnNode(n, 'onnx_mean', idx, {}, 'float', rank);
        if (op === 'Mod' && x().kind === 'float' && n.int('fmod', 0) !== 1) unsupported('fmod=0 on floats');
        return this.fnNode(n, 'onnx_binary', idx, { op, fmod: n.int('fmod', 0) === 1 }, boolOut ? 'bool' : x().kind, rank);
      }
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceMin':
      case 'ReduceProd':
      case 'ReduceL1':
      case 'ReduceL2':
      case 'ReduceSumSquare':
      case 'ReduceLogSum':
      case 'ReduceLogSumExp': {
        const keep = n.int('keepdims', 1) === 1;
        // ReduceSum takes its axes as an input from opset 13, the others from 18.
        const useInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
        const axes = useInput ? undefined : n.ints('axes');
        const r = this.rankOf(n, 0);
        const k = useInput ? (this.has(n, 1) ? this.constOf(n, 1)?.numel() : r) : (axes?.length ?? r);
        const rank = keep ? r : r !== undefined && k !== undefined ? r - k : undefined;
        return this.fnNode(n, 'onnx_reduce', useInput && this.has(n, 1) ? [0, 1] : [0], { op, axes: axes ?? null, keepdims: keep, noop_with_empty_axes: n.int('noop_with_empty_axes', 0) === 1 }, x().kind, rank);
      }
      case 'ReduceMean': {
        const keep = n.int('keepdims', 1) === 1;
        const useInput = this.opset >= 18;
        const axes = useInput ? undefined : n.ints('axes');
        const r = this.rankOf(n, 0);
        const k = useInput ? (this.has(n, 1) ? this.constOf(n, 1)?.numel() : r) : (axes?.length ?? r);
        const rank = keep ? r : r !== undefined && k !== undefined ? r - k : undefined;
        return this.fnNode(n, 'onnx_reduce_mean', useInput && this.has(n, 1) ? [0, 1] : [0], { axes: axes ?? null, keepdims: keep, noop_with_empty_axes: n.int('noop_with_empty_axes', 0) === 1 }, 'float', rank);
      }
      case 'Shape':
        return this.fnNode(n, 'onnx_shape', [0], { start: n.int('start') ?? null, end: n.int('end') ?? null }, 'int', 1);
      case 'Size':
        return this.fnNode(n, 'onnx_size', [0], {}, 'int', 0);
      case 'Gather': {
        const r = this.rankOf(n, 0);
        const q = this.rankOf(n, 1);
        return this.fnNode(n, 'onnx_gather', [0, 1], { axis: n.int('axis', 0) }, x().kind, r !== undefined && q !== undefined ? r - 1 + q : undefined);
      }
      case 'Slice': {
        if (this.opset < 10) {
          const starts = n.ints('starts') ?? [];
          const ends = n.ints('ends') ?? [];
          const axes = n.ints('axes');
          const extra = [starts, ends, ...(axes ? [axes] : [])].map((v, k) => {
            const name = `${n.name}:slice_arg${k}`;
            this.setConst(name, intTensor(v, [v.length]), 'int');
            return name;
          });
          return this.fnNode(n, 'onnx_slice', [n.proto.input[0]!, ...extra], {}, x().kind, same());
        }
        const idx = [0, 1, 2, 3, 4].filter((i) => i < 3 || this.has(n, i));
        if (idx.includes(4) && !idx.includes(3)) unsupported('steps without axes');
        return this.fnNode(n, 'onnx_slice', idx, {}, x().kind, same());
      }
      case 'Concat':
        // Float data: torch.cat (PyTorch's errors); integer shape values: the ONNX op.
        if (x().kind === 'float' && !n.proto.input.every((i) => i === '' || this.values.get(i)?.const)) return this.fnNode(n, 'cat', n.proto.input.map((_, i) => i).filter((i) => this.has(n, i)), { dim: n.int('axis', 0) }, 'float', same());
        return this.fnNode(n, 'onnx_concat', n.proto.input.map((_, i) => i).filter((i) => this.has(n, i)), { axis: n.int('axis', 0) }, x().kind, same());
      case 'Unsqueeze':
      case 'Squeeze': {
        const fromInput = this.opset >= 13;
        const axes = fromInput ? undefined : n.ints('axes');
        const k = fromInput ? (this.has(n, 1) ? this.constOf(n, 1)?.numel() : undefined) : axes?.length;
        const r = this.rankOf(n, 0);
        const rank = r !== undefined && k !== undefined ? (op === 'Unsqueeze' ? r + k : r - k) : undefined;
        if (op === 'Unsqueeze' && !fromInput && axes === undefined) unsupported('no axes');
        return this.fnNode(n, op === 'Unsqueeze' ? 'onnx_unsqueeze' : 'onnx_squeeze', fromInput && this.has(n, 1) ? [0, 1] : [0], { axes: axes ?? null }, x().kind, rank);
      }
      case 'If': {
        // only torch's x.squeeze(dim) on a dimension it could not see: If(size(x, dim) == 1) Squeeze else Identity
        const sq = this.torchSqueeze(n);
        if (sq === undefined) return unsupported('control flow');
        return this.fnNode(n, 'squeeze', [sq.x], { dim: sq.dim }, this.values.get(sq.x)?.kind ?? 'float', undefined);
      }
      case 'Cast': {
        const to = n.int('to', 1);
        const kind = kindOfDtype(to);
        if (![1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13].includes(to)) unsupported(`cast to data type ${to}`);
        return this.fnNode(n, 'onnx_cast', [0], { to: kind, dtype: dtypeOfDataType(to) }, kind, same());
      }
      case 'ConstantOfShape': {
        const t = n.tensor('value');
        const v = t ? toTensor(t).data[0] ?? 0 : 0;
        const kind = t ? kindOfTensor(t) : 'float';
        const shapeLen = this.constOf(n, 0)?.numel();
        return this.fnNode(n, 'onnx_constant_of_shape', [0], { value: v, dtype: t ? dtypeOfTensor(t.dtype) : 'float32' }, kind, shapeLen);
      }
      case 'Expand':
        return this.fnNode(n, 'onnx_expand', [0, 1], {}, x().kind, this.constOf(n, 1)?.numel());
      case 'Tile':
        return this.fnNode(n, 'onnx_tile', [0, 1], {}, x().kind, same());
      case 'Range':
        return this.fnNode(n, 'onnx_range', [0, 1, 2], {}, x().kind, 1);
      case 'Reshape': {
        const allowzero = n.int('allowzero', 0) === 1;
        const shapeLen = this.has(n, 1) ? this.val(n, 1).const?.numel() : undefined;
        return this.fnNode(n, 'onnx_reshape', [0, 1], { allowzero }, x().kind, shapeLen);
      }
      case 'Transpose':
        return this.fnNode(n, 'onnx_transpose', [0], { perm: n.ints('perm') ?? null }, x().kind, same());
      case 'Split':
        return this.split(n);
      case 'ArgMax':
      case 'ArgMin': {
        const keep = n.int('keepdims', 1) === 1;
        const r = this.rankOf(n, 0);
        return this.fnNode(n, 'onnx_arg', [0], { op, axis: n.int('axis', 0), keepdims: keep, select_last_index: n.int('select_last_index', 0) === 1 }, 'int', keep ? r : r !== undefined ? r - 1 : undefined);
      }
      case 'Hardmax':
        if (this.opset < 13) unsupported('opset < 13 (2-D coercion)');
        return this.fnNode(n, 'onnx_hardmax', [0], { axis: n.int('axis', -1) }, 'float', same());
      case 'CumSum':
        return this.fnNode(n, 'onnx_cumsum', [0, 1], { exclusive: n.int('exclusive', 0) === 1, reverse: n.int('reverse', 0) === 1 }, x().kind, same());
      case 'Trilu':
        return this.fnNode(n, 'onnx_trilu', this.has(n, 1) ? [0, 1] : [0], { upper: n.int('upper', 1) === 1 }, x().kind, same());
      default: {
        if (UNARY[op] !== undefined) {
          const defaults: Record<string, Record<string, number>> = { HardSigmoid: { alpha: 0.2, beta: 0.5 }, ThresholdedRelu: { alpha: 1 }, Celu: { alpha: 1 }, Shrink: { lambd: 0.5, bias: 0 } };
          const at: Record<string, unknown> = { op };
          for (const [k, d] of Object.entries(defaults[op] ?? {})) at[k] = n.float(k, d);
          const kind = op === 'Not' || op === 'IsNaN' ? 'bool' : x().kind;
          return this.fnNode(n, 'onnx_unary', [0], at, kind, same());
        }
        return unsupported('not converted');
      }
    }
  }

  private spatial(n: Node, weight: Tensor | undefined): number {
    const k = n.ints('kernel_shape')?.length ?? (weight ? weight.ndim - 2 : (this.rankOf(n, 0) ?? 0) - 2);
    if (k < 1 || k > 3) unsupported(`${k} spatial dims`);
    return k;
  }

  /** Symmetric pads → padding; asymmetric → an explicit pad node before (returns its output) and zero padding. */
  private pads(n: Node, k: number, fill: number, input: string): { padding: number[]; input: string; explicit?: boolean } {
    const autoPad = n.str('auto_pad', 'NOTSET');
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      // The amounts depend on the input size: a node computes them when it runs.
      const kernel = n.ints('kernel_shape') ?? this.constOf(n, 1)?.shape.slice(2);
      if (kernel === undefined) unsupported('auto_pad SAME without kernel_shape');
      const name = `${n.name}/same_pad`;
      const [out] = this.b.node('onnx_same_pad', [this.values.get(input)!.name], {
        scope: n.scope,
        name,
        attrs: { kernel, strides: n.ints('strides') ?? new Array<number>(k).fill(1), dilations: n.ints('dilations') ?? new Array<number>(k).fill(1), upper: autoPad === 'SAME_UPPER', value: fill },
        outputNames: [`${n.name}:padded`],
      });
      this.values.set(`${n.name}:padded`, { name: out!, kind: 'float', rank: k + 2 });
      return { padding: new Array<number>(k).fill(0), input: `${n.name}:padded`, explicit: true };
    }
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') unsupported(`auto_pad=${autoPad}`);
    const pads = autoPad === 'VALID' ? new Array<number>(2 * k).fill(0) : n.ints('pads') ?? new Array<number>(2 * k).fill(0);
    const begin = pads.slice(0, k);
    const end = pads.slice(k);
    if (begin.every((p, i) => p === end[i])) return { padding: begin, input };
    if (fill !== 0 && fill !== -Infinity) unsupported('asymmetric pads');
    // torch order: last dim first.
    const list: number[] = [];
    for (let d = k - 1; d >= 0; d--) list.push(begin[d]!, end[d]!);
    const name = `${n.name}/pad`;
    const [out] = this.b.node('pad', [this.values.get(input)!.name], { scope: n.scope, name, attrs: { pad: list, mode: 'constant', value: fill }, outputNames: [`${n.name}:padded`] });
    this.values.set(`${n.name}:padded`, { name: out!, kind: 'float', rank: k + 2 });
    return { padding: new Array<number>(k).fill(0), input: `${n.name}:padded`, explicit: true };
  }

  private conv(n: Node): void {
    const W = this.needConst(n, 1, 'the weight');
    const B = this.has(n, 2) ? this.needConst(n, 2, 'the bias') : undefined;
    const k = this.spatial(n, W);
    const groups = n.int('group', 1);
    const kernel = n.ints('kernel_shape') ?? W.shape.slice(2);
    const { padding, input } = this.pads(n, k, 0, n.proto.input[0]!);
    this.moduleNode(
      n,
      `Conv${k}d`,
      {
        in_channels: W.shape[1]! * groups,
        out_channels: W.shape[0],
        kernel_size: kernel,
        stride: n.ints('strides') ?? new Array<number>(k).fill(1),
        padding,
        dilation: n.ints('dilations') ?? new Array<number>(k).fill(1),
        groups,
        bias: B !== undefined,
      },
      input,
      { weight: W, bias: B },
      k + 2,
    );
  }

  private convTranspose(n: Node): void {
    const W = this.needConst(n, 1, 'the weight');
    const B = this.has(n, 2) ? this.needConst(n, 2, 'the bias') : undefined;
    const k = this.spatial(n, W);
    if (n.ints('output_shape')) unsupported('output_shape (needs the input size)');
    const autoPad = n.str('auto_pad', 'NOTSET');
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') unsupported(`auto_pad=${autoPad}`);
    const pads = n.ints('pads') ?? new Array<number>(2 * k).fill(0);
    if (!pads.slice(0, k).every((p, i) => p === pads[k + i])) unsupported('asymmetric pads');
    const groups = n.int('group', 1);
    this.moduleNode(
      n,
      `ConvTranspose${k}d`,
      {
        in_channels: W.shape[0],
        out_channels: W.shape[1]! * groups,
        kernel_size: n.ints('kernel_shape') ?? W.shape.slice(2),
        stride: n.ints('strides') ?? new Array<number>(k).fill(1),
        padding: pads.slice(0, k),
        output_padding: n.ints('output_padding') ?? new Array<number>(k).fill(0),
        dilation: n.ints('dilations') ?? new Array<number>(k).fill(1),
        groups,
        bias: B !== undefined,
      },
      n.proto.input[0]!,
      { weight: W, bias: B },
      k + 2,
    );
  }

  private batchNorm(n: Node): void {
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => this.needConst(n, i, ['the scale', 'the bias', 'the mean', 'the variance'][i - 1]!));
    if (n.int('spatial', 1) !== 1) unsupported('spatial=0 (per-activation statistics)');
    if (this.opset < 7 && n.int('is_test', 0) !== 1) unsupported('is_test=0 (training)');
    const extra = n.proto.output.slice(1).filter((o) => o !== '');
    const training = this.opset >= 14 ? n.int('training_mode', 0) === 1 : extra.length > 0;
    if (extra.length) {
      // Training outputs (running statistics): unsupported unless nothing reads them.
      const used = this.nodes.some((m) => m.proto.input.some((i) => extra.includes(i))) || this.model.graph!.output.some((o) => extra.includes(o.name));
      if (used) unsupported('the running-statistics outputs are used');
    }
    const r = this.needRank(n, 0);
    const k = r <= 3 ? 1 : r - 2;
    if (k > 3) unsupported(`rank ${r}`);
    this.moduleNode(
      n,
      `BatchNorm${k}d`,
      { num_features: scale!.numel(), eps: tidy(n.float('epsilon', 1e-5)), momentum: tidy(1 - n.float('momentum', 0.9)), affine: true, track_running_stats: true },
      n.proto.input[0]!,
      { weight: scale, bias, running_mean: mean, running_var: variance },
      r,
    );
    if (training) this.note(n, 'exported for training: normalizes with the batch statistics (interpret in train mode)');
  }

  private pool(n: Node): void {
    if (n.proto.output.length > 1 && n.proto.output[1] !== '') unsupported('the Indices output');
    const max = n.op === 'MaxPool';
    const kernel = n.ints('kernel_shape');
    if (kernel === undefined) unsupported('no kernel_shape');
    const k = kernel!.length;
    if (k > 2) unsupported(`${k}-D pooling`);
    if (n.int('storage_order', 0) !== 0) unsupported('storage_order=1');
    const dil = n.ints('dilations') ?? new Array<number>(k).fill(1);
    if (!max && dil.some((d) => d !== 1)) unsupported('dilations');
    const countIncludePad = n.int('count_include_pad', 0) === 1;
    if (!max && !countIncludePad && n.str('auto_pad', 'NOTSET').startsWith('SAME')) unsupported('auto_pad SAME without count_include_pad (PyTorch pads symmetrically)');
    const { padding, input, explicit } = this.pads(n, k, max ? -Infinity : 0, n.proto.input[0]!);
    if (!max && explicit && !countIncludePad) unsupported('asymmetric pads without count_include_pad');
    const args: Record<string, unknown> = {
      kernel_size: kernel,
      stride: n.ints('strides') ?? new Array<number>(k).fill(1),
      padding,
      ceil_mode: n.int('ceil_mode', 0) === 1,
    };
    if (max) args['dilation'] = dil;
    else args['count_include_pad'] = countIncludePad;
    this.moduleNode(n, `${max ? 'MaxPool' : 'AvgPool'}${k}d`, args, input, {}, k + 2);
    this.note(n, 'onnxruntime may return an empty map where the window does not fit; normkit raises as PyTorch does (Output size is too small)');
  }

  /** `spatialSize`: the output's spatial size, from torch's Concat(Shape(x)[0:2], size) (reshapePatterns). */
  private resize(n: Node, spatialSize?: number[]): void {
    const upsample = n.op === 'Upsample';
    let mode = n.str('mode', 'nearest');
    let coord = n.str('coordinate_transformation_mode', 'half_pixel');
    let nearest = n.str('nearest_mode', 'round_prefer_floor');
    let scales: Tensor | undefined;
    let sizes: Tensor | undefined;
    let sizesInput = -1;
    if (upsample || this.opset < 11) {
      // Upsample-9 / Resize-10: (X, scales), asymmetric coordinates, nearest = floor.
      coord = 'asymmetric';
      nearest = 'floor';
      if (upsample && this.opset < 9) {
        const sc = n.floats('scales');
        if (sc === undefined) unsupported('Upsample-7 without scales');
        scales = new Tensor(Float32Array.from(sc!), [sc!.length]);
      } else scales = this.needConst(n, 1, 'scales');
    } else {
      if (spatialSize !== undefined) sizes = new Tensor(Float32Array.from([0, 0, ...spatialSize]), [spatialSize.length + 2]);
      else if (this.has(n, 3)) {
        sizes = this.constOf(n, 3);
        if (sizes === undefined) sizesInput = 3;
      } else scales = this.needConst(n, 2, 'scales');
      if (n.int('antialias', 0) !== 0) unsupported('antialias');
      if (n.ints('axes')) unsupported('axes');
      if (n.str('keep_aspect_ratio_policy', 'stretch') !== 'stretch') unsupported('keep_aspect_ratio_policy');
      if (coord === 'tf_crop_and_resize') unsupported('tf_crop_and_resize');
    }
    if (mode === 'linear' || mode === 'bilinear') mode = 'linear';
    let tmode: string | undefined;
    let align: boolean | undefined;
    if (mode === 'nearest') {
      if (coord === 'asymmetric' && nearest === 'floor') tmode = 'nearest';
      else if (coord === 'half_pixel' && nearest === 'round_prefer_ceil') tmode = 'nearest-exact';
    } else if (mode === 'linear') {
      if (coord === 'half_pixel' || coord === 'pytorch_half_pixel') align = false;
      else if (coord === 'align_corners') align = true;
      if (align !== undefined) tmode = 'linear';
    } else if (mode !== 'cubic') return unsupported(`mode ${mode}`);
    if (n.int('exclude_outside', 0) !== 0 && mode !== 'cubic') tmode = undefined;
    if (tmode === undefined || mode === 'cubic') {
      // No PyTorch interpolate mode computes this: ONNX's own arithmetic, as a functional node.
      if (coord === 'half_pixel_symmetric') return unsupported('half_pixel_symmetric');
      const by = scales !== undefined ? 'scales' : 'sizes';
      const at = { mode, coord, nearest_mode: nearest, cubic_a: n.float('cubic_coeff_a', -0.75), exclude_outside: n.int('exclude_outside', 0) === 1, by };
      const idx = upsample || this.opset < 11 ? 1 : by === 'scales' ? 2 : 3;
      return this.fnNode(n, 'onnx_resize_general', [0, idx], at, 'float', this.rankOf(n, 0));
    }
    const rank = scales?.numel() ?? sizes?.numel() ?? this.rankOf(n, 0);
    if (rank === undefined) return unsupported('the input rank is not known at import');
    const k = rank - 2;
    if (tmode === 'linear') tmode = k === 1 ? 'linear' : k === 2 ? 'bilinear' : k === 3 ? 'trilinear' : unsupported(`${k}-D linear`);
    const args: Record<string, unknown> = { mode: tmode };
    if (align !== undefined) args['align_corners'] = align;
    if (sizesInput >= 0) {
      this.fnNode(n, 'onnx_resize', [0, sizesInput], args, 'float', rank);
      return;
    }
    if (scales) {
      const s = Array.from(scales.data);
      if (s[0] !== 1 || s[1] !== 1) unsupported('scaling the batch or channel dim');
      const sp = s.slice(2).map(tidy);
      args['scale_factor'] = sp.every((v) => v === sp[0]) ? sp[0] : sp;
    } else {
      args['size'] = Array.from(sizes!.data).slice(2);
      if (spatialSize === undefined) this.note(n, 'Resize to constant sizes: the batch and channel sizes are taken as unchanged');
    }
    this.moduleNode(n, 'Upsample', args, n.proto.input[0]!, {}, rank);
  }

  private pad(n: Node): void {
    const mode = n.str('mode', 'constant');
    if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) unsupported(`mode ${mode}`);
    let pads: number[] | undefined;
    let value = 0;
    let axes: number[] | undefined;
    if (this.opset < 11) {
      pads = n.ints('pads');
      value = n.float('value', 0);
    } else {
      const p = this.constOf(n, 1);
      if (p !== undefined) pads = Array.from(valuesOf(p), Math.trunc);
      if (this.has(n, 2)) {
        const v = this.constOf(n, 2);
        if (v === undefined) unsupported('a non-constant constant_value');
        value = v!.numel() ? v!.data[0]! : 0;
      }
      if (this.has(n, 3)) axes = Array.from(this.needConst(n, 3, 'axes').data);
    }
    const r = this.rankOf(n, 0);
    // a pad module takes a finite value (a MaxPool's -inf padding stays a functional pad)
    if (pads !== undefined && axes === undefined && r !== undefined && pads.length === 2 * r && (r === 3 || r === 4) && pads.every((p) => p >= 0) && Number.isFinite(value)) {
      const k = r - 2;
      const begin = pads.slice(0, r);
      const end = pads.slice(r);
      if (begin[0] === 0 && begin[1] === 0 && end[0] === 0 && end[1] === 0) {
        const list: number[] = [];
        for (let d = r - 1; d >= 2; d--) list.push(begin[d]!, end[d]!);
        const cls =
          mode === 'reflect' ? `ReflectionPad${k}d` : mode === 'edge' ? `ReplicationPad${k}d` : mode === 'constant' ? (value === 0 && k === 2 ? 'ZeroPad2d' : `ConstantPad${k}d`) : undefined;
        if (cls !== undefined) {
          this.moduleNode(n, cls, cls.startsWith('ConstantPad') ? { padding: list, value } : { padding: list }, n.proto.input[0]!, {}, r);
          return;
        }
      }
    }
    if (this.opset < 11) {
      if (pads === undefined) unsupported('no pads');
      return this.fnNode(n, 'onnx_pad', [0], { mode, value, pads }, 'float', r);
    }
    return this.fnNode(n, 'onnx_pad', [0, 1, 2, 3].filter((i) => this.has(n, i)), { mode, value }, this.val(n, 0).kind, r);
  }

  private split(n: Node): void {
    const axis = n.int('axis', 0);
    let split: number[] | null = null;
    if (this.opset < 13) split = n.ints('split') ?? null;
    else if (this.has(n, 1)) split = Array.from(this.needConst(n, 1, 'split').data);
    const count = n.proto.output.length;
    this.fnNode(n, 'onnx_split', [0], { axis, split, outputs: count }, this.val(n, 0).kind, this.rankOf(n, 0), count);
  }

  /** `export_modules_as_functions`: the node's attributes are the constructor arguments, its inputs the weights. */
  private moduleCall(n: Node): void {
    const cls = n.op;
    const args: Record<string, unknown> = {};
    const BOOLS = new Set(['affine', 'track_running_stats', 'bias', 'elementwise_affine', 'ceil_mode', 'count_include_pad', 'align_corners', 'inplace']);
    for (const [k, v] of n.attrs) {
      if (v === undefined || (typeof v === 'object' && !Array.isArray(v))) continue;
      args[k] = typeof v === 'number' && BOOLS.has(k) ? v !== 0 : typeof v === 'number' && !Number.isInteger(v) ? tidy(v) : v;
    }
    const def = getOp(cls) as ModuleOp;
    let probe: Module;
    try {
      // a probe for its state-dict keys: never run, so never initialized
      probe = withoutInit(() => def.build(new ArgReader(args, n.name, cls)));
    } catch (e) {
      if (e instanceof NormkitError) throw new OnnxError(n.name, `${cls}(${JSON.stringify(args)}): ${e.message}`);
      throw e;
    }
    const keys = [...probe.stateDict().keys()].filter((k) => k !== 'num_batches_tracked');
    const weights: Record<string, Tensor | undefined> = {};
    n.proto.input.slice(1).forEach((_, j) => {
      const key = keys[j];
      if (key === undefined) unsupported(`more inputs than ${cls} has parameters`);
      weights[key!] = this.needConst(n, j + 1, key!);
    });
    this.moduleNode(n, cls, args, n.proto.input[0]!, weights, this.rankOf(n, 0));
  }
}
