/**
 * ONNX out: a normkit model (module tree or graph) as the ONNX file torch
 * 1.13's `torch.onnx.export(model.eval(), x, opset_version=17)` writes for it:
 * one ONNX op (or torch's pattern of ops) per module node, initializers named
 * `<path>.weight` / `<path>.bias` / `<path>.running_mean`, node names
 * `/<scope segments>/<OpType>` so that `importOnnx` maps them back to the
 * module paths. The model is exported in eval mode (running statistics).
 */
import { OnnxError } from '../errors.js';
import { encodeModel, makeTensor, type DeepPartial } from '../encode.js';
import { AttributeType, DataType, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../proto.js';
import { lowerModule } from '../../../graph/lower.js';
import type { Graph, GraphNode } from '../../../graph/graph.js';
import { Module } from '../../../nn/module.js';
import type { Tensor } from '../../../tensor/tensor.js';

export interface ExportOptions {
  /** Graph inputs by name: shape with numbers or dim names (`{ input: ['N', 3, 'H', 'W'] }`). */
  inputs: Record<string, readonly (number | string)[]>;
  /** Default-domain opset: 13–18 (default 17; LayerNorm needs 17 or later). */
  opset?: number;
  /** Names of the graph outputs (default: `output`, `output_1`, ...). */
  outputNames?: readonly string[];
  /** ModelProto.producer_name (default `normkit`). */
  producerName?: string;
}

export const EXPORT_MIN_OPSET = 13;
export const EXPORT_MAX_OPSET = 18;

type Attr = number | string | number[] | { floats: number[] } | { float: number };

const f = (v: number): { float: number } => ({ float: v });

/** Module ops the exporter writes. */
export const exportableModules = [
  'Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d',
  'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d', 'BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d',
  'GroupNorm', 'LayerNorm', 'Linear', 'ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'GELU', 'ELU',
  'MaxPool2d', 'AvgPool2d', 'AdaptiveAvgPool2d', 'AdaptiveMaxPool2d', 'Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d',
  'ReflectionPad1d', 'ReflectionPad2d', 'ReplicationPad1d', 'ReplicationPad2d', 'ZeroPad2d', 'ConstantPad1d', 'ConstantPad2d',
  'Flatten', 'Identity', 'Dropout',
] as const;

/** Functional ops the exporter writes. */
export const exportableFunctions = ['add', 'sub', 'mul', 'div', 'cat', 'reshape', 'view', 'flatten', 'mean', 'sum', 'relu', 'sigmoid', 'tanh', 'leaky_relu', 'elu', 'matmul', 'softmax', 'permute', 'transpose', 'pad'] as const;

const list = (v: unknown, n: number): number[] => {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v)) return v.length === 1 && n > 1 ? new Array<number>(n).fill(v[0] as number) : (v as number[]).slice();
  throw new OnnxError('', `expected an int or a list, got ${JSON.stringify(v)}`);
};

class Exporter {
  readonly nodes: DeepPartial<NodeProto>[] = [];
  readonly initializers: TensorProto[] = [];
  readonly ranks = new Map<string, number>();
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();
  private counter = 0;
  private readonly written = new Map<string, Tensor | null>();

  constructor(readonly opset: number) {}

  /** Module types by path (containers and custom modules) of the graph being written. */
  scopeTypes = new Map<string, string>();

  /**
   * torch 1.13's node name: one segment per called module around the node,
   * each the module's name relative to the nearest enclosing module that is
   * not a Sequential (`/0/branches.1/branches.1.8/body/body.1/Conv`), then
   * the op type (`_1`, `_2` when repeated).
   */
  nodeName(scope: string, opType: string): string {
    const parts = scope === '' ? [] : scope.split('.');
    const chain: string[] = [];
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('.');
      if (this.scopeTypes.has(p)) chain.push(p);
    }
    if (scope !== '') chain.push(scope);
    const segs: string[] = [];
    let base = '';
    for (const p of chain) {
      segs.push(base === '' ? p : p.slice(base.length + 1));
      if (this.scopeTypes.get(p) !== 'Sequential') base = p;
    }
    const stem = `/${segs.map((x) => `${x}/`).join('')}${opType}`;
    let name = stem;
    for (let k = 1; this.usedNames.has(name); k++) name = `${stem}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  /** A fresh value name in torch's style (`/0/Conv_output_0`). */
  value(nodeName: string): string {
    let v = `${nodeName}_output_0`;
    while (this.usedValues.has(v)) v = `${nodeName}_output_${++this.counter}`;
    this.usedValues.add(v);
    return v;
  }

  emit(scope: string, opType: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const name = this.nodeName(scope, opType);
    const out = output ?? this.value(name);
    this.usedValues.add(out);
    const attribute: DeepPartial<AttributeProto>[] = Object.entries(attrs).map(([k, v]) => {
      if (typeof v === 'number') return { name: k, i: v, type: AttributeType.INT };
      if (typeof v === 'string') return { name: k, s: new TextEncoder().encode(v), type: AttributeType.STRING };
      if (Array.isArray(v)) return { name: k, ints: v, type: AttributeType.INTS };
      if ('floats' in v) return { name: k, floats: v.floats, type: AttributeType.FLOATS };
      return { name: k, f: v.float, type: AttributeType.FLOAT };
    });
    this.nodes.push({ input: inputs, output: [out], name, opType, attribute });
    return out;
  }

  /** A float32 initializer (copied). */
  init(name: string, t: Tensor | null | undefined, fallback?: { shape: number[]; fill: number }): string {
    // a module called twice (shared weights) writes its initializers once
    const seen = this.written.get(name);
    if (seen !== undefined) {
      if (seen === (t ?? null)) return name;
      throw new OnnxError('', `two different tensors would be the initializer '${name}'`);
    }
    this.written.set(name, t ?? null);
    if (t == null) {
      if (fallback === undefined) throw new OnnxError('', `${name}: missing`);
      const n = fallback.shape.reduce((a, b) => a * b, 1);
      this.initializers.push(makeTensor(name, 'float32', fallback.shape, new Float32Array(n).fill(fallback.fill)));
    } else {
      this.initializers.push(makeTensor(name, 'float32', [...t.shape], t.data));
    }
    this.usedValues.add(name);
    return name;
  }

  /** A constant (an initializer named as torch's `onnx::Op_N`). */
  constant(op: string, dtype: 'float32' | 'int64', dims: number[], values: ArrayLike<number>): string {
    let name = `onnx::${op}_${this.counter++}`;
    while (this.usedValues.has(name)) name = `onnx::${op}_${this.counter++}`;
    this.initializers.push(makeTensor(name, dtype, dims, values));
    this.usedValues.add(name);
    return name;
  }

  scalar(op: string, v: number): string {
    return this.constant(op, 'float32', [], [v]);
  }
}

const unsupported = (n: GraphNode, why: string): never => {
  throw new OnnxError(`node ${n.name}`, `cannot export ${n.op}${n.scope === '' ? '' : ` at '${n.scope}'`}: ${why}`);
};

function moduleNode(e: Exporter, n: GraphNode, x: string, out: string, rank: number): number {
  const m = n.module;
  if (m === undefined) return unsupported(n, 'module node without a module');
  const a = n.attrs;
  const s = n.scope;
  const P = (name: string) => m.getParameter(name);
  const B = (name: string) => m.getBuffer(name);
  const pre = (name: string) => (s === '' ? name : `${s}.${name}`);
  const sp = rank - 2;
  switch (n.op) {
    case 'Conv1d':
    case 'Conv2d':
    case 'Conv3d':
    case 'ConvTranspose1d':
    case 'ConvTranspose2d':
    case 'ConvTranspose3d': {
      const nd = Number(n.op.slice(-2, -1));
      const transposed = n.op.startsWith('ConvTranspose');
      if (a['padding_mode'] !== undefined && a['padding_mode'] !== 'zeros') unsupported(n, `padding_mode '${String(a['padding_mode'])}'`);
      const w = P('weight')!;
      const k = list(a['kernel_size'], nd);
      let pads: number[];
      if (a['padding'] === 'valid') pads = new Array<number>(nd).fill(0);
      else if (a['padding'] === 'same') {
        const d = list(a['dilation'], nd);
        const total = k.map((kk, i) => d[i]! * (kk - 1));
        const lo = total.map((t) => Math.floor(t / 2));
        pads = [...lo, ...total.map((t, i) => t - lo[i]!)];
      } else pads = [...list(a['padding'], nd), ...list(a['padding'], nd)];
      const ins = [x, e.init(pre('weight'), w)];
      const bias = P('bias');
      if (bias) ins.push(e.init(pre('bias'), bias));
      const attrs: Record<string, Attr> = { dilations: list(a['dilation'], nd), group: a['groups'] as number, kernel_shape: k };
      if (transposed) attrs['output_padding'] = list(a['output_padding'] ?? 0, nd);
      attrs['pads'] = pads;
      attrs['strides'] = list(a['stride'], nd);
      e.emit(s, transposed ? 'ConvTranspose' : 'Conv', ins, attrs, out);
      return rank;
    }
    case 'InstanceNorm1d':
    case 'InstanceNorm2d':
    case 'InstanceNorm3d':
    case 'BatchNorm1d':
    case 'BatchNorm2d':
    case 'BatchNorm3d': {
      const C = a['num_features'] as number;
      const eps = a['eps'] as number;
      const scale = e.init(pre('weight'), P('weight'), { shape: [C], fill: 1 });
      const bias = e.init(pre('bias'), P('bias'), { shape: [C], fill: 0 });
      const mean = B('running_mean');
      const isBatch = n.op.startsWith('BatchNorm');
      if (mean !== null && (isBatch || a['track_running_stats'] === true)) {
        // eval: the running statistics (InstanceNorm with tracked statistics normalizes with them too, per channel)
        const mom = a['momentum'];
        e.emit(s, 'BatchNormalization', [x, scale, bias, e.init(pre('running_mean'), mean), e.init(pre('running_var'), B('running_var'))], { epsilon: f(eps), momentum: f(1 - (typeof mom === 'number' ? mom : 0.1)) }, out);
        return rank;
      }
      if (isBatch) unsupported(n, 'BatchNorm without running statistics (normalizes over the batch in eval)');
      e.emit(s, 'InstanceNormalization', [x, scale, bias], { epsilon: f(eps) }, out);
      return rank;
    }
    case 'GroupNorm': {
      const G = a['num_groups'] as number;
      const C = a['num_channels'] as number;
      const eps = a['eps'] as number;
      const r1 = e.emit(s, 'Reshape', [x, e.constant('Reshape', 'int64', [3], [0, G, -1])]);
      const inorm = e.emit(s, 'InstanceNormalization', [r1, e.constant('InstanceNormalization', 'float32', [G], new Float32Array(G).fill(1)), e.constant('InstanceNormalization', 'float32', [G], new Float32Array(G).fill(0))], { epsilon: f(eps) });
      const shape = e.emit(s, 'Shape', [x]);
      const r2 = e.emit(s, 'Reshape', [inorm, shape]);
      // the per-channel affine as a [C, 1, ...] Mul and Add (ones and zeros without affine, so the channel count stays in the file)
      const ones = new Array<number>(sp).fill(1);
      const w = P('weight');
      const b = P('bias');
      const wi = e.constant('Mul', 'float32', [C, ...ones], w ? w.data : new Float32Array(C).fill(1));
      const bi = e.constant('Add', 'float32', [C, ...ones], b ? b.data : new Float32Array(C));
      const mul = e.emit(s, 'Mul', [r2, wi]);
      e.emit(s, 'Add', [mul, bi], {}, out);
      return rank;
    }
    case 'LayerNorm': {
      if (e.opset < 17) unsupported(n, 'LayerNormalization needs opset 17');
      const shape = a['normalized_shape'] as number[];
      const scale = e.init(pre('weight'), P('weight'), { shape, fill: 1 });
      const bias = e.init(pre('bias'), P('bias'), { shape, fill: 0 });
      e.emit(s, 'LayerNormalization', [x, scale, bias], { axis: -shape.length, epsilon: f(a['eps'] as number) }, out);
      return rank;
    }
    case 'Linear': {
      const w = P('weight')!;
      const b = P('bias');
      if (rank === 2) {
        const ins = [x, e.init(pre('weight'), w)];
        if (b) ins.push(e.init(pre('bias'), b));
        e.emit(s, 'Gemm', ins, { alpha: f(1), beta: f(1), transB: 1 }, out);
        return 2;
      }
      const [o, i] = w.shape as [number, number];
      const wt = new Float32Array(o * i);
      for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) wt[c * o + r] = w.data[r * i + c]!;
      const wT = e.constant('MatMul', 'float32', [i, o], wt);
      if (!b) {
        e.emit(s, 'MatMul', [x, wT], {}, out);
        return rank;
      }
      const mm = e.emit(s, 'MatMul', [x, wT]);
      e.emit(s, 'Add', [e.init(pre('bias'), b), mm], {}, out);
      return rank;
    }
    case 'ReLU':
      e.emit(s, 'Relu', [x], {}, out);
      return rank;
    case 'LeakyReLU':
      e.emit(s, 'LeakyRelu', [x], { alpha: f(a['negative_slope'] as number) }, out);
      return rank;
    case 'Sigmoid':
      e.emit(s, 'Sigmoid', [x], {}, out);
      return rank;
    case 'Tanh':
      e.emit(s, 'Tanh', [x], {}, out);
      return rank;
    case 'ELU':
      e.emit(s, 'Elu', [x], { alpha: f(a['alpha'] as number) }, out);
      return rank;
    case 'GELU': {
      if (a['approximate'] === 'tanh') unsupported(n, "approximate='tanh'");
      // torch 1.13 (opset < 20): x * (erf(x / sqrt 2) + 1) * 0.5
      const d = e.emit(s, 'Div', [x, e.scalar('Div', Math.SQRT2)]);
      const er = e.emit(s, 'Erf', [d]);
      const ad = e.emit(s, 'Add', [er, e.scalar('Add', 1)]);
      const mu = e.emit(s, 'Mul', [x, ad]);
      e.emit(s, 'Mul', [mu, e.scalar('Mul', 0.5)], {}, out);
      return rank;
    }
    case 'MaxPool2d':
    case 'AvgPool2d': {
      const k = list(a['kernel_size'], 2);
      const stride = list(a['stride'] ?? a['kernel_size'], 2);
      const p = list(a['padding'] ?? 0, 2);
      const attrs: Record<string, Attr> = { ceil_mode: a['ceil_mode'] === true ? 1 : 0 };
      if (n.op === 'MaxPool2d') {
        attrs['dilations'] = list(a['dilation'] ?? 1, 2);
        attrs['kernel_shape'] = k;
        attrs['pads'] = [...p, ...p];
        attrs['strides'] = stride;
        e.emit(s, 'MaxPool', [x], attrs, out);
      } else {
        if (a['divisor_override'] != null) unsupported(n, 'divisor_override');
        attrs['count_include_pad'] = a['count_include_pad'] === false ? 0 : 1;
        attrs['kernel_shape'] = k;
        attrs['pads'] = [...p, ...p];
        attrs['strides'] = stride;
        e.emit(s, 'AveragePool', [x], attrs, out);
      }
      return rank;
    }
    case 'AdaptiveAvgPool2d':
    case 'AdaptiveMaxPool2d': {
      const os = list(a['output_size'], 2);
      if (!os.every((v) => v === 1)) unsupported(n, `output_size ${JSON.stringify(a['output_size'])} (only 1 is written)`);
      e.emit(s, n.op === 'AdaptiveAvgPool2d' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x], {}, out);
      return rank;
    }
    case 'Upsample':
    case 'UpsamplingNearest2d':
    case 'UpsamplingBilinear2d': {
      const mode = n.op === 'UpsamplingBilinear2d' ? 'bilinear' : n.op === 'UpsamplingNearest2d' ? 'nearest' : (a['mode'] as string);
      const align = n.op === 'UpsamplingBilinear2d' ? true : a['align_corners'] === true;
      if (a['scale_factor'] === undefined) unsupported(n, 'Upsample with size (only scale_factor is written)');
      if (a['recompute_scale_factor'] === true) unsupported(n, 'recompute_scale_factor');
      const scales = [1, 1, ...list(a['scale_factor'], sp)];
      const attrs: Record<string, Attr> =
        mode === 'nearest'
          ? { coordinate_transformation_mode: 'asymmetric', cubic_coeff_a: f(-0.75), mode: 'nearest', nearest_mode: 'floor' }
          : mode === 'nearest-exact'
            ? { coordinate_transformation_mode: 'half_pixel', cubic_coeff_a: f(-0.75), mode: 'nearest', nearest_mode: 'round_prefer_ceil' }
            : mode === 'bilinear' || mode === 'linear' || mode === 'trilinear'
              ? { coordinate_transformation_mode: align ? 'align_corners' : 'pytorch_half_pixel', cubic_coeff_a: f(-0.75), mode: 'linear', nearest_mode: 'floor' }
              : unsupported(n, `mode '${mode}'`);
      e.emit(s, 'Resize', [x, '', e.constant('Resize', 'float32', [rank], scales)], attrs, out);
      return rank;
    }
    case 'ReflectionPad1d':
    case 'ReflectionPad2d':
    case 'ReplicationPad1d':
    case 'ReplicationPad2d':
    case 'ZeroPad2d':
    case 'ConstantPad1d':
    case 'ConstantPad2d': {
      const mode = n.op.startsWith('Reflection') ? 'reflect' : n.op.startsWith('Replication') ? 'edge' : 'constant';
      padNode(e, s, x, a['padding'] as number[], rank, mode, (a['value'] as number | undefined) ?? 0, out);
      return rank;
    }
    case 'Flatten': {
      const sd = a['start_dim'] as number;
      const ed = a['end_dim'] as number;
      if (sd !== 1 || (ed !== -1 && ed !== rank - 1)) unsupported(n, `start_dim ${sd}, end_dim ${ed} (only Flatten(1, -1) is written)`);
      e.emit(s, 'Flatten', [x], { axis: 1 }, out);
      return 2;
    }
    case 'Identity':
    case 'Dropout':
      e.emit(s, 'Identity', [x], {}, out);
      return rank;
    default:
      return unsupported(n, `no ONNX mapping (exported: ${exportableModules.join(', ')}; functions: ${exportableFunctions.join(', ')})`);
  }
}

/** F.pad order (last dim first, (before, after) pairs) → ONNX Pad over all dims. */
function padNode(e: Exporter, scope: string, x: string, pad: number[], rank: number, mode: string, value: number, out: string): void {
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  for (let i = 0; i < pad.length / 2; i++) {
    begin[rank - 1 - i] = pad[2 * i]!;
    end[rank - 1 - i] = pad[2 * i + 1]!;
  }
  const ins = [x, e.constant('Pad', 'int64', [2 * rank], [...begin, ...end])];
  if (mode === 'constant') ins.push(e.scalar('Pad', value));
  e.emit(scope, 'Pad', ins, { mode }, out);
}

const norm = (d: number, rank: number) => (d < 0 ? d + rank : d);

function functionNode(e: Exporter, n: GraphNode, ins: string[], out: string, ranks: number[]): number {
  const a = n.attrs;
  const s = n.scope;
  const r0 = ranks[0] ?? 0;
  const bin: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div' };
  if (n.op in bin) {
    const other = ins.length === 2 ? ins[1]! : e.scalar(bin[n.op]!, a['other'] as number);
    e.emit(s, bin[n.op]!, [ins[0]!, other], {}, out);
    return Math.max(r0, ranks[1] ?? 0);
  }
  const un: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };
  if (n.op in un) {
    e.emit(s, un[n.op]!, ins, {}, out);
    return r0;
  }
  switch (n.op) {
    case 'leaky_relu':
      e.emit(s, 'LeakyRelu', ins, { alpha: f(a['negative_slope'] as number) }, out);
      return r0;
    case 'elu':
      e.emit(s, 'Elu', ins, { alpha: f(a['alpha'] as number) }, out);
      return r0;
    case 'cat':
      e.emit(s, 'Concat', ins, { axis: norm(a['dim'] as number, r0) }, out);
      return r0;
    case 'reshape':
    case 'view': {
      const shape = a['shape'] as number[];
      e.emit(s, 'Reshape', [ins[0]!, e.constant('Reshape', 'int64', [shape.length], shape)], {}, out);
      return shape.length;
    }
    case 'flatten': {
      const sd = norm(a['start_dim'] as number, r0);
      const ed = norm(a['end_dim'] as number, r0);
      if (ed !== r0 - 1) unsupported(n, 'end_dim other than the last');
      if (sd === 0) {
        e.emit(s, 'Reshape', [ins[0]!, e.constant('Reshape', 'int64', [1], [-1])], {}, out);
        return 1;
      }
      if (sd === 1) {
        e.emit(s, 'Flatten', ins, { axis: 1 }, out);
        return 2;
      }
      return unsupported(n, `start_dim ${sd}`);
    }
    case 'mean':
    case 'sum': {
      const axes = (a['dim'] as number[]).map((d) => norm(d, r0));
      const keep = a['keepdim'] === true ? 1 : 0;
      if (n.op === 'sum') e.emit(s, 'ReduceSum', [ins[0]!, e.constant('ReduceSum', 'int64', [axes.length], axes)], { keepdims: keep }, out);
      else if (e.opset >= 18) e.emit(s, 'ReduceMean', [ins[0]!, e.constant('ReduceMean', 'int64', [axes.length], axes)], { keepdims: keep }, out);
      else e.emit(s, 'ReduceMean', ins, { axes, keepdims: keep }, out);
      return keep ? r0 : r0 - axes.length;
    }
    case 'matmul':
      e.emit(s, 'MatMul', ins, {}, out);
      return Math.max(r0, ranks[1] ?? 0);
    case 'softmax':
      e.emit(s, 'Softmax', ins, { axis: norm(a['dim'] as number, r0) }, out);
      return r0;
    case 'permute':
      e.emit(s, 'Transpose', ins, { perm: (a['dims'] as number[]).map((d) => norm(d, r0)) }, out);
      return r0;
    case 'transpose': {
      const perm = [...Array(r0).keys()];
      const d0 = norm(a['dim0'] as number, r0);
      const d1 = norm(a['dim1'] as number, r0);
      [perm[d0], perm[d1]] = [perm[d1]!, perm[d0]!];
      e.emit(s, 'Transpose', ins, { perm }, out);
      return r0;
    }
    case 'pad': {
      const mode = a['mode'] as string;
      if (mode === 'circular') unsupported(n, "mode 'circular'");
      padNode(e, s, ins[0]!, a['pad'] as number[], r0, mode === 'replicate' ? 'edge' : mode, a['value'] as number, out);
      return r0;
    }
    default:
      return unsupported(n, `no ONNX mapping (exported: ${exportableModules.join(', ')}; functions: ${exportableFunctions.join(', ')})`);
  }
}

/**
 * Writes `model` as an ONNX file: `toOnnx(model, { inputs: { input: ['N', 3, 'H', 'W'] } })`.
 * A module is lowered with the input names of `opts.inputs` (in order); a
 * graph keeps its own. Unsupported nodes raise an OnnxError naming them.
 */
export function toOnnx(model: Module | Graph, opts: ExportOptions): Uint8Array {
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < EXPORT_MIN_OPSET || opset > EXPORT_MAX_OPSET) {
    throw new OnnxError('', `opset ${opset} is not supported for export (${EXPORT_MIN_OPSET}–${EXPORT_MAX_OPSET})`);
  }
  const names = Object.keys(opts.inputs);
  if (names.length === 0) throw new OnnxError('', 'toOnnx needs at least one input shape (opts.inputs)');
  const graph = model instanceof Module ? lowerModule(model, names) : model;
  for (const gi of graph.inputs) if (opts.inputs[gi.name] === undefined) throw new OnnxError('', `no shape given for graph input '${gi.name}' (inputs: ${names.join(', ')})`);
  const e = new Exporter(opset);
  for (const sc of graph.scopes) e.scopeTypes.set(sc.path, sc.type);
  const rename = new Map<string, string>();
  const outNames = graph.outputs.map((o, i) => opts.outputNames?.[i] ?? (graph.outputs.length === 1 ? 'output' : `output_${i}`));
  graph.outputs.forEach((o, i) => {
    if (!graph.inputs.some((gi) => gi.name === o)) rename.set(o, outNames[i]!);
  });
  const v = (name: string) => rename.get(name) ?? name;
  for (const gi of graph.inputs) e.ranks.set(gi.name, opts.inputs[gi.name]!.length);
  for (const [name, t] of graph.initializers) {
    e.init(name, t);
    e.ranks.set(name, t.shape.length);
  }
  for (const n of graph.nodes) {
    if (n.outputs.length !== 1) unsupported(n, `${n.outputs.length} outputs`);
    const ins = n.inputs.map(v);
    const ranks = n.inputs.map((i) => e.ranks.get(i) ?? 0);
    const out = v(n.outputs[0]!);
    const rank = n.module !== undefined || n.op[0] !== n.op[0]!.toLowerCase() ? moduleNode(e, n, ins[0]!, out, ranks[0]!) : functionNode(e, n, ins, out, ranks);
    e.ranks.set(n.outputs[0]!, rank);
  }
  const input: DeepPartial<ValueInfoProto>[] = graph.inputs.map((gi) => ({
    name: gi.name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: opts.inputs[gi.name]!.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  }));
  const output: DeepPartial<ValueInfoProto>[] = graph.outputs.map((o) => ({ name: v(o), type: { tensorType: { elemType: DataType.FLOAT } } }));
  return encodeModel({
    irVersion: 8,
    producerName: opts.producerName ?? 'normkit',
    producerVersion: '0.1.0',
    graph: { node: e.nodes, name: 'main_graph', initializer: e.initializers, input, output },
    opsetImport: [{ domain: '', version: opset }],
  });
}
