/**
 * Module nodes as the ONNX ops torch 1.13's exporter writes for them (opset
 * 13–18, eval mode), one writer per layer family. Each returns the ranks of
 * its outputs. Where torch writes a layer with its input's sizes as
 * constants, those sizes must be fixed in the file (`dims`), else an
 * OnnxError says so, as torch refuses too.
 */
import type { DType, GraphNode } from '../../../graph/graph.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { OPAQUE_OP } from '../../../graph/lower.js';
import { Softplus } from '../../../nn/activation.js';
import { AdaIN } from '../../../nn/adain.js';
import type { ConvNd } from '../../../nn/conv.js';
import { FlexibleInstanceNorm } from '../../../nn/flexible_instancenorm.js';
import type { Module } from '../../../nn/module.js';
import { makeTensor } from '../encode.js';
import { f, list, unsupported, type Attr, type Dims, type Writer } from './writer.js';

/** What a writer gets: the node, its input and output value names, the inputs' ranks and fixed sizes. */
export interface NodeContext {
  w: Writer;
  n: GraphNode;
  ins: string[];
  outs: string[];
  ranks: number[];
  /** Per input: its sizes, null where dynamic; undefined when not known. */
  dims: (Dims | undefined)[];
  /** Per input: its element type (float32 but where an imported file said otherwise). */
  types: DType[];
  /** Per input: its value when it is a constant of the graph (an initializer). */
  consts: (Tensor | undefined)[];
  /** Per output: its sizes, where known. */
  outDims: (Dims | undefined)[];
  /** A Conv or pool the file gave auto_pad SAME_UPPER / SAME_LOWER (imported as a pad node before it): written so again. */
  autoPad?: string;
  /** Writing train mode's computation (toOnnx's `training`): norms with their input's statistics. */
  training: boolean;
}

/** Module ops the exporter writes. */
export const exportableModules = [
  'Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d',
  'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d', 'FlexibleInstanceNorm', 'BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d',
  'GroupNorm', 'LayerNorm', 'AdaIN', 'Linear',
  'ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'GELU', 'ELU', 'ReLU6', 'SELU', 'SiLU', 'Hardswish', 'Softplus', 'PReLU',
  'MaxPool1d', 'MaxPool2d', 'AvgPool1d', 'AvgPool2d', 'AdaptiveAvgPool1d', 'AdaptiveAvgPool2d', 'AdaptiveMaxPool2d',
  'Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d', 'PixelShuffle', 'PixelUnshuffle',
  'ReflectionPad1d', 'ReflectionPad2d', 'ReplicationPad1d', 'ReplicationPad2d', 'ZeroPad2d', 'ConstantPad1d', 'ConstantPad2d',
  'Flatten', 'Identity', 'Dropout', 'Dropout2d',
] as const;

const fullySized = (d: Dims | undefined): d is number[] => d !== undefined && d.every((v) => v !== null);
const sizes = (d: Dims | undefined): string => (d === undefined ? 'unknown' : `[${d.map((v) => v ?? '?').join(', ')}]`);

/**
 * Runs `body` on the batched input: an unbatched one ([C, *spatial], rank
 * `batchedRank - 1`) gets Unsqueeze(0) before and Squeeze(0) after, as torch
 * writes it for the norms.
 */
function batched(c: NodeContext, batchedRank: number, body: (x: string, dims: Dims | undefined, out: string | undefined) => string): number {
  const { w, n, ins, outs, ranks } = c;
  const rank = ranks[0]!;
  if (rank === batchedRank) {
    body(ins[0]!, c.dims[0], outs[0]);
    return rank;
  }
  if (rank !== batchedRank - 1) return unsupported(n, `input of rank ${rank}`);
  const x = w.emit(n.scope, 'Unsqueeze', [ins[0]!, w.ints('Unsqueeze', [0])]);
  const y = body(x, c.dims[0] ? [1, ...c.dims[0]] : undefined, undefined);
  w.emit(n.scope, 'Squeeze', [y, w.ints('Squeeze', [0])], {}, outs[0]);
  return rank;
}

export function moduleNode(c: NodeContext): number[] {
  const { w, n } = c;
  if (n.op === OPAQUE_OP) {
    const type = String(n.attrs['type'] ?? n.module?.typeName ?? 'module');
    return unsupported(
      n,
      `${type} is a custom module with a forward of its own: normkit sees the submodules it calls but not the tensor operations between them, ` +
        'so it cannot write what it computes. Build it from containers (Sequential, Residual, Concat) and torch.nn layers, or write its forward as a ' +
        'general-form spec (nodes with functional ops), and export that',
    );
  }
  const m = n.module;
  if (m === undefined) return unsupported(n, 'module node without a module');
  if (n.op === 'AdaIN') return [adain(c, m as AdaIN)];
  const rank = c.ranks[0]!;
  const r = writeModule(c, m, rank);
  return [r];
}

function writeModule(c: NodeContext, m: Module, rank: number): number {
  const { w, n, ins, outs } = c;
  const x = ins[0]!;
  const out = outs[0]!;
  const a = n.attrs;
  const s = n.scope;
  const P = (name: string) => m.getParameter(name);
  const B = (name: string) => m.getBuffer(name);
  const pre = (name: string) => (s === '' ? name : `${s}.${name}`);
  const emit1 = (op: string, attrs: Record<string, Attr> = {}) => {
    w.emit(s, op, [x], attrs, out);
    return rank;
  };
  switch (n.op) {
    case 'Conv1d':
    case 'Conv2d':
    case 'Conv3d':
    case 'ConvTranspose1d':
    case 'ConvTranspose2d':
    case 'ConvTranspose3d':
      return conv(c, m as ConvNd);
    case 'InstanceNorm1d':
    case 'InstanceNorm2d':
    case 'InstanceNorm3d':
    case 'FlexibleInstanceNorm':
      return instanceNorm(c, m, rank);
    case 'BatchNorm1d':
    case 'BatchNorm2d':
    case 'BatchNorm3d': {
      const C = a['num_features'] as number;
      const mean = B('running_mean');
      const mom = a['momentum'];
      const attrs: Record<string, Attr> = { epsilon: f(a['eps'] as number), momentum: f(1 - (typeof mom === 'number' ? mom : 0.1)) };
      const scale = w.init(pre('weight'), P('weight'), { shape: [C], fill: 1 });
      const bias = w.init(pre('bias'), P('bias'), { shape: [C], fill: 0 });
      if (mean !== null && !c.training) {
        if (w.opset >= 14) attrs['training_mode'] = 0;
        w.emit(s, 'BatchNormalization', [x, scale, bias, w.init(pre('running_mean'), mean), w.init(pre('running_var'), B('running_var'))], attrs, out);
        return rank;
      }
      batchStatsBatchNorm(c, C, scale, bias, mean === null ? null : [w.init(pre('running_mean'), mean), w.init(pre('running_var'), B('running_var'))], attrs);
      return rank;
    }
    case 'GroupNorm': {
      const G = a['num_groups'] as number;
      const C = a['num_channels'] as number;
      const r1 = w.emit(s, 'Reshape', [x, w.ints('Reshape', [0, G, -1])]);
      const inorm = w.emit(s, 'InstanceNormalization', [r1, w.constant('InstanceNormalization', 'float32', [G], new Float32Array(G).fill(1)), w.constant('InstanceNormalization', 'float32', [G], new Float32Array(G))], { epsilon: f(a['eps'] as number) });
      const r2 = w.emit(s, 'Reshape', [inorm, w.emit(s, 'Shape', [x])]);
      // the per-channel affine as a [C, 1, ...] Mul and Add (ones and zeros without affine, so the channel count stays in the file)
      const ones = new Array<number>(rank - 2).fill(1);
      const wt = P('weight');
      const b = P('bias');
      const mul = w.emit(s, 'Mul', [r2, w.constant('Mul', 'float32', [C, ...ones], wt ? wt.data : new Float32Array(C).fill(1))]);
      w.emit(s, 'Add', [mul, w.constant('Add', 'float32', [C, ...ones], b ? b.data : new Float32Array(C))], {}, out);
      return rank;
    }
    case 'LayerNorm':
      return layerNorm(c, m, rank);
    case 'Linear': {
      const wt = P('weight')!;
      const b = P('bias');
      if (rank === 2) {
        const inputs = [x, w.init(pre('weight'), wt)];
        if (b) inputs.push(w.init(pre('bias'), b));
        w.emit(s, 'Gemm', inputs, { alpha: f(1), beta: f(1), transB: 1 }, out);
        return 2;
      }
      const [o, i] = wt.shape as [number, number];
      const wT = new Float32Array(o * i);
      for (let r = 0; r < o; r++) for (let k = 0; k < i; k++) wT[k * o + r] = wt.data[r * i + k]!;
      const wTName = w.constant('MatMul', 'float32', [i, o], wT);
      if (!b) {
        w.emit(s, 'MatMul', [x, wTName], {}, out);
        return rank;
      }
      w.emit(s, 'Add', [w.init(pre('bias'), b), w.emit(s, 'MatMul', [x, wTName])], {}, out);
      return rank;
    }
    case 'ReLU':
      return emit1('Relu');
    case 'LeakyReLU':
      return emit1('LeakyRelu', { alpha: f(a['negative_slope'] as number) });
    case 'Sigmoid':
      return emit1('Sigmoid');
    case 'Tanh':
      return emit1('Tanh');
    case 'ELU':
      return emit1('Elu', { alpha: f(a['alpha'] as number) });
    case 'SELU':
      return emit1('Selu');
    case 'Hardswish':
      // HardSwish is opset 14; torch writes HardSigmoid(x, 1/6) * x before
      if (w.opset < 14) {
        w.emit(s, 'Mul', [x, w.emit(s, 'HardSigmoid', [x], { alpha: f(1 / 6) })], {}, out);
        return rank;
      }
      return emit1('HardSwish');
    case 'ReLU6':
      w.emit(s, 'Clip', [x, w.scalar('Clip', 0), w.scalar('Clip', 6)], {}, out);
      return rank;
    case 'SiLU':
      w.emit(s, 'Mul', [x, w.emit(s, 'Sigmoid', [x])], {}, out);
      return rank;
    case 'GELU':
      gelu(w, s, x, (a['approximate'] as string | undefined) ?? 'none', out);
      return rank;
    case 'Softplus':
      softplus(w, s, x, m as Softplus, out);
      return rank;
    case 'PReLU': {
      const wt = P('weight')!;
      // torch unsqueezes the slope to [C, 1, ...] against the input's rank, and folds it to a constant; rank <= 2 keeps `<path>.weight`
      const slope = rank <= 2 ? w.init(pre('weight'), wt) : w.constant('PRelu', 'float32', [wt.numel(), ...new Array<number>(rank - 2).fill(1)], wt.data);
      w.emit(s, 'PRelu', [x, slope], {}, out);
      return rank;
    }
    case 'MaxPool1d':
    case 'MaxPool2d':
    case 'AvgPool1d':
    case 'AvgPool2d':
      return pool(c, rank);
    case 'AdaptiveAvgPool1d':
    case 'AdaptiveAvgPool2d':
    case 'AdaptiveMaxPool2d':
      return adaptivePool(c, rank);
    case 'Upsample':
    case 'UpsamplingNearest2d':
    case 'UpsamplingBilinear2d':
      return upsample(c, rank);
    case 'PixelShuffle':
    case 'PixelUnshuffle':
      return pixelShuffle(c, rank);
    case 'ReflectionPad1d':
    case 'ReflectionPad2d':
    case 'ReplicationPad1d':
    case 'ReplicationPad2d':
    case 'ZeroPad2d':
    case 'ConstantPad1d':
    case 'ConstantPad2d': {
      const mode = n.op.startsWith('Reflection') ? 'reflect' : n.op.startsWith('Replication') ? 'edge' : 'constant';
      w.pad(s, x, a['padding'] as number[], rank, mode, mode === 'constant' ? ((a['value'] as number | undefined) ?? 0) : undefined, out);
      return rank;
    }
    case 'Flatten':
      return flattenNode(w, n, x, (a['start_dim'] as number | undefined) ?? 1, (a['end_dim'] as number | undefined) ?? -1, rank, out);
    case 'Dropout':
    case 'Dropout2d': {
      const p = Number(a['p'] ?? 0.5);
      if (!c.training || p === 0) return emit1('Identity');
      // train mode: torch writes nn.Dropout as Dropout(ratio, training_mode=True); feature dropout it refuses
      if (n.op === 'Dropout2d') return unsupported(n, 'torch 1.13: "Unsupported: ONNX export of operator aten::feature_dropout, training mode" (export in eval mode)');
      w.emit(s, 'Dropout', [x, w.scalar('Dropout', p), w.constant('Dropout', 'bool', [], [1])], {}, out);
      return rank;
    }
    case 'Identity':
      return emit1('Identity');
    default:
      return unsupported(n, `no ONNX mapping (exported: ${exportableModules.join(', ')})`);
  }
}

/**
 * BatchNorm normalizing with the batch's statistics (train mode, or no running
 * statistics: `track_running_stats=False` does so in eval too), as torch 1.13
 * writes it: a training-mode BatchNormalization (its running-statistics
 * outputs unused; training_mode=1 from opset 14, the five outputs of
 * BatchNormalization-9 before). Its mean and variance inputs are the running
 * statistics, or without them torch's Reshape([N, C, −1]) → Transpose →
 * ReduceMean (mean) and ReduceMean → Sub → Mul → ReduceMean (biased variance)
 * of the input; normkit writes the batch dim as 0 (copied), so the batch can
 * stay dynamic (torch asserts a fixed one).
 */
function batchStatsBatchNorm(c: NodeContext, C: number, scale: string, bias: string, running: [string, string] | null, attrs: Record<string, Attr>): void {
  const { w, n, ins, outs } = c;
  const s = n.scope;
  const x = ins[0]!;
  let stats = running;
  if (stats === null) {
    const t = w.emit(s, 'Transpose', [w.emit(s, 'Reshape', [x, w.ints('Reshape', [0, C, -1])])], { perm: [0, 2, 1] });
    const mean = w.reduceMean(s, t, [0, 1], false);
    const d = w.emit(s, 'Sub', [t, w.reduceMean(s, t, [0, 1], true)]);
    stats = [mean, w.reduceMean(s, w.emit(s, 'Mul', [d, d]), [0, 1], false)];
  }
  if (w.opset >= 14) attrs['training_mode'] = 1;
  w.emitN(s, 'BatchNormalization', [x, scale, bias, ...stats], attrs, [outs[0], ...new Array<undefined>(w.opset >= 14 ? 2 : 4).fill(undefined)]);
}

function conv(c: NodeContext, m: ConvNd): number {
  const { w, n } = c;
  const nd = m.kernelSize.length;
  return batched(c, nd + 2, (input, _d, out) => convBatched(w, n, m, input, nd + 2, out, c.autoPad));
}

function convBatched(w: Writer, n: GraphNode, m: ConvNd, input: string, rank: number, out: string | undefined, autoPad?: string): string {
  const s = n.scope;
  const pre = (name: string) => (s === '' ? name : `${s}.${name}`);
  const k = m.kernelSize;
  const d = m.dilation;
  // per spatial dim, (before, after)
  let pads: [number, number][];
  if (m.padding === 'valid') pads = k.map(() => [0, 0]);
  else if (m.padding === 'same') {
    pads = k.map((kk, i) => {
      const total = d[i]! * (kk - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  } else pads = (m.padding as number[]).map((p) => [p, p]);
  let x = input;
  if (m.paddingMode !== 'zeros') {
    // torch pads first (F.pad order: last dim first), then convolves without padding
    const fpad = pads.slice().reverse().flat();
    x = m.paddingMode === 'circular' ? w.circularPad(s, x, fpad, rank) : w.pad(s, x, fpad, rank, m.paddingMode === 'reflect' ? 'reflect' : 'edge', undefined);
    pads = k.map(() => [0, 0]);
  }
  const inputs = [x, w.init(pre('weight'), m.getParameter('weight'))];
  const bias = m.getParameter('bias');
  if (bias) inputs.push(w.init(pre('bias'), bias));
  const attrs: Record<string, Attr> = { ...(autoPad !== undefined ? { auto_pad: autoPad } : {}), dilations: [...d], group: m.groups, kernel_shape: [...k] };
  if (m.transposed && m.outputPadding.some((v) => v !== 0)) attrs['output_padding'] = [...m.outputPadding];
  if (autoPad === undefined) attrs['pads'] = [...pads.map((p) => p[0]), ...pads.map((p) => p[1])];
  attrs['strides'] = [...m.stride];
  return w.emit(s, m.transposed ? 'ConvTranspose' : 'Conv', inputs, attrs, out);
}

function instanceNorm(c: NodeContext, m: Module, rank: number): number {
  const { w, n } = c;
  const a = n.attrs;
  const s = n.scope;
  const pre = (name: string) => (s === '' ? name : `${s}.${name}`);
  const nd = n.op === 'FlexibleInstanceNorm' ? 2 : Number(n.op.slice(-2, -1));
  const C = a['num_features'] as number;
  const eps = a['eps'] as number;
  // train mode normalizes with the instance's statistics, tracked or not
  const tracked = a['track_running_stats'] === true && m.getBuffer('running_mean') !== null && !c.training;
  const affine = m.getParameter('weight') !== null;
  if (m instanceof FlexibleInstanceNorm) {
    // what it does depends on the input's spatial size: fixed in the file, the choice is made now
    const d = c.dims[0];
    const withBatch = d && d.length === nd + 1 ? [1, ...d] : d;
    if (withBatch === undefined || withBatch.slice(2).some((v) => v === null)) {
      if (m.condition === 'allSpatialDimsGt1' || !tracked) {
        return unsupported(n, `FlexibleInstanceNorm passes its input through or normalizes it depending on the spatial size, which is not fixed in the file (input size ${sizes(d)}); export with fixed spatial sizes`);
      }
    } else {
      const was = m.training;
      m.training = c.training;
      let falls: boolean;
      try {
        falls = m.fallsBack(d as number[]);
      } finally {
        m.training = was;
      }
      if (falls) {
        w.emit(s, 'Identity', [c.ins[0]!], {}, c.outs[0]);
        return rank;
      }
    }
  }
  return batched(c, nd + 2, (x, dims, out) => {
    const scale = affine ? w.init(pre('weight'), m.getParameter('weight')) : w.constant('InstanceNormalization', 'float32', [C], new Float32Array(C).fill(1));
    const bias = affine ? w.init(pre('bias'), m.getParameter('bias')) : w.constant('InstanceNormalization', 'float32', [C], new Float32Array(C));
    if (!tracked) return w.emit(s, 'InstanceNormalization', [x, scale, bias], { epsilon: f(eps) }, out);
    // eval with tracked statistics: torch 1.13 writes batch norm over the [1, N*C, *spatial] view, the statistics tiled N times
    if (!fullySized(dims)) {
      return unsupported(n, `with track_running_stats torch writes Reshape → BatchNormalization → Reshape with the input's sizes as constants, and the input size ${sizes(dims)} is not fixed (torch: "Unsupported: ONNX export of instance_norm for unknown batch size"); export with fixed sizes`);
    }
    const [N, , ...spatial] = dims;
    const tile = (stat: string) => {
      const reps = w.ints('Tile', [N!]);
      const ones = w.emit(s, 'ConstantOfShape', [w.ints('ConstantOfShape', [1])], { value: { tensor: makeTensor('', 'int64', [1], [1]) } });
      return w.emit(s, 'Tile', [w.emit(s, 'Expand', [stat, ones]), reps]);
    };
    const stats = [scale, bias, w.init(pre('running_mean'), m.getBuffer('running_mean')), w.init(pre('running_var'), m.getBuffer('running_var'))].map(tile);
    const r1 = w.emit(s, 'Reshape', [x, w.ints('Reshape', [1, N! * C, ...(spatial as number[])])]);
    const mom = a['momentum'];
    const bn = w.emit(s, 'BatchNormalization', [r1, ...stats], { epsilon: f(eps), momentum: f(1 - (typeof mom === 'number' ? mom : 0.1)) });
    return w.emit(s, 'Reshape', [bn, w.ints('Reshape', dims)], {}, out);
  });
}

function layerNorm(c: NodeContext, m: Module, rank: number): number {
  const { w, n, ins, outs } = c;
  const s = n.scope;
  const pre = (name: string) => (s === '' ? name : `${s}.${name}`);
  const shape = n.attrs['normalized_shape'] as number[];
  const eps = n.attrs['eps'] as number;
  const wt = m.getParameter('weight');
  const b = m.getParameter('bias');
  const x = ins[0]!;
  if (w.opset >= 17) {
    const scale = w.init(pre('weight'), wt, { shape, fill: 1 });
    const bias = w.init(pre('bias'), b, { shape, fill: 0 });
    w.emit(s, 'LayerNormalization', [x, scale, bias], { axis: -shape.length, epsilon: f(eps) }, outs[0]);
    return rank;
  }
  // below opset 17, torch's decomposition (the affine only when the layer has one)
  const axes = shape.map((_, i) => i - shape.length);
  const mean = w.reduceMean(s, x, axes);
  const d = w.emit(s, 'Sub', [x, mean]);
  const v = w.reduceMean(s, w.emit(s, 'Pow', [d, w.scalar('Pow', 2)]), axes);
  const std = w.emit(s, 'Sqrt', [w.emit(s, 'Add', [v, w.scalar('Add', eps)])]);
  if (!wt) {
    w.emit(s, 'Div', [d, std], {}, outs[0]);
    return rank;
  }
  const mul = w.emit(s, 'Mul', [w.emit(s, 'Div', [d, std]), w.init(pre('weight'), wt)]);
  w.emit(s, 'Add', [mul, w.init(pre('bias'), b, { shape, fill: 0 })], {}, outs[0]);
  return rank;
}

/** GELU as torch 1.13 writes it below opset 20: exact, x * (erf(x / √2) + 1) * 0.5; tanh, its polynomial. */
export function gelu(w: Writer, s: string, x: string, approximate: string, out: string): void {
  if (approximate === 'tanh') {
    const cube = w.emit(s, 'Mul', [x, w.emit(s, 'Mul', [x, x])]);
    const inner = w.emit(s, 'Add', [x, w.emit(s, 'Mul', [w.scalar('Mul', 0.044715), cube])]);
    const t = w.emit(s, 'Tanh', [w.emit(s, 'Mul', [w.scalar('Mul', Math.sqrt(2 / Math.PI)), inner])]);
    const y = w.emit(s, 'Mul', [x, w.emit(s, 'Add', [w.scalar('Add', 1), t])]);
    w.emit(s, 'Mul', [w.scalar('Mul', 0.5), y], {}, out);
    return;
  }
  const er = w.emit(s, 'Erf', [w.emit(s, 'Div', [x, w.scalar('Div', Math.SQRT2)])]);
  const mu = w.emit(s, 'Mul', [x, w.emit(s, 'Add', [er, w.scalar('Add', 1)])]);
  w.emit(s, 'Mul', [mu, w.scalar('Mul', 0.5)], {}, out);
}

/**
 * Softplus: torch writes Softplus (with Mul/Div by beta when beta ≠ 1) and
 * drops the threshold. Where the threshold matters in float32 (below ~16,
 * where softplus and the identity differ by up to e^-threshold / beta) a
 * Greater → Where keeps PyTorch's linear branch, so the file computes what
 * the layer does.
 */
function softplus(w: Writer, s: string, x: string, m: Softplus, out: string): void {
  const scaled = m.beta === 1 ? x : w.emit(s, 'Mul', [x, w.scalar('Mul', m.beta)]);
  const keepThreshold = Math.exp(-m.threshold) / Math.abs(m.beta) > 1e-7;
  const sp = w.emit(s, 'Softplus', [scaled], {}, m.beta === 1 && !keepThreshold ? out : undefined);
  const y = m.beta === 1 ? sp : w.emit(s, 'Div', [sp, w.scalar('Div', m.beta)], {}, keepThreshold ? undefined : out);
  if (keepThreshold) w.emit(s, 'Where', [w.emit(s, 'Greater', [scaled, w.scalar('Greater', m.threshold)]), x, y], {}, out);
}

function pool(c: NodeContext, rank: number): number {
  const { w, n } = c;
  const a = n.attrs;
  const nd = Number(n.op.slice(-2, -1));
  const k = list(a['kernel_size'], nd);
  const st = a['stride'];
  const stride = st == null || (Array.isArray(st) && st.length === 0) ? k : list(st, nd);
  const p = list(a['padding'] ?? 0, nd);
  const ceil = a['ceil_mode'] === true ? 1 : 0;
  const pads = (v: number[]): Record<string, Attr> => (c.autoPad !== undefined ? { auto_pad: c.autoPad } : { pads: v });
  return batched(c, nd + 2, (x, _d, out) => {
    if (n.op.startsWith('MaxPool')) {
      const attrs: Record<string, Attr> = { ceil_mode: ceil };
      const dil = list(a['dilation'] ?? 1, nd);
      if (dil.some((v) => v !== 1)) attrs['dilations'] = dil;
      Object.assign(attrs, { kernel_shape: k, ...pads([...p, ...p]), strides: stride });
      return w.emit(n.scope, 'MaxPool', [x], attrs, out);
    }
    if (a['divisor_override'] != null) return unsupported(n, 'torch 1.13: "Unsupported: ONNX export of operator avg_pool2d, divisor_override"');
    // auto_pad SAME with count_include_pad (the file's own form)
    if (c.autoPad !== undefined) return w.emit(n.scope, 'AveragePool', [x], { auto_pad: c.autoPad, ceil_mode: ceil, count_include_pad: 1, kernel_shape: k, strides: stride }, out);
    if (a['count_include_pad'] === false) return w.emit(n.scope, 'AveragePool', [x], { ceil_mode: ceil, kernel_shape: k, pads: [...p, ...p], strides: stride }, out);
    // count_include_pad: torch pads with zeros first (a Pad even when the padding is 0), then averages without pads
    const padded = w.emit(n.scope, 'Pad', [x, w.ints('Pad', [0, 0, ...p, 0, 0, ...p])], { mode: 'constant' });
    return w.emit(n.scope, 'AveragePool', [padded], { ceil_mode: ceil, kernel_shape: k, pads: new Array<number>(2 * nd).fill(0), strides: stride }, out);
  });
}

function adaptivePool(c: NodeContext, rank: number): number {
  const { w, n } = c;
  const nd = Number(n.op.slice(-2, -1));
  const avg = n.op.startsWith('AdaptiveAvg');
  const fn = `adaptive_${avg ? 'avg' : 'max'}_pool${nd}d`;
  const raw = n.attrs['output_size'];
  const os: (number | null)[] = typeof raw === 'number' ? new Array<number>(nd).fill(raw) : (raw as (number | null)[]).slice();
  return batched(c, nd + 2, (x, dims, out) => {
    const spatial = dims?.slice(2);
    const known = spatial !== undefined && spatial.every((v) => v !== null);
    // torch: AdaptiveAvgPool to 1 is GlobalAveragePool at any size; AdaptiveMaxPool to 1 a MaxPool over the known size, else GlobalMaxPool
    if (os.every((v) => v === 1) && (avg || !known)) return w.emit(n.scope, avg ? 'GlobalAveragePool' : 'GlobalMaxPool', [x], {}, out);
    if (!known) return unsupported(n, `torch 1.13: "Unsupported: ONNX export of operator ${fn}, input size not accessible" (input size ${sizes(dims)}); export with fixed spatial sizes`);
    const inSize = spatial as number[];
    const target = os.map((v, i) => v ?? inSize[i]!);
    if (inSize.some((v, i) => v % target[i]! !== 0)) {
      return unsupported(n, `torch 1.13: "Unsupported: ONNX export of operator ${fn}, output size that are not factor of input size" (input ${inSize.join('x')}, output ${target.join('x')})`);
    }
    const k = inSize.map((v, i) => v / target[i]!);
    if (avg) return w.emit(n.scope, 'AveragePool', [x], { kernel_shape: k, strides: k }, out);
    return w.emit(n.scope, 'MaxPool', [x], { kernel_shape: k, pads: new Array<number>(2 * nd).fill(0), strides: k }, out);
  });
}

function upsample(c: NodeContext, rank: number): number {
  const { w, n, ins, outs } = c;
  const a = n.attrs;
  const mode = n.op === 'UpsamplingBilinear2d' ? 'bilinear' : n.op === 'UpsamplingNearest2d' ? 'nearest' : ((a['mode'] as string | undefined) ?? 'nearest');
  const align = n.op === 'UpsamplingBilinear2d' ? true : a['align_corners'] === true;
  resize(w, n, ins[0]!, rank, c.dims[0], { mode, align, size: a['size'] as number | number[] | undefined, scale: a['scale_factor'] as number | number[] | undefined, recompute: a['recompute_scale_factor'] === true }, outs[0]!);
  return rank;
}

export interface ResizeArgs {
  mode: string;
  align: boolean;
  size?: number | number[];
  scale?: number | number[];
  recompute?: boolean;
  /** F.interpolate(x, size=other.shape[2:]): the sizes from this value (and its sizes, where fixed). */
  sizeOf?: string;
  sizeOfDims?: Dims;
}

/** Resize's attributes for a torch interpolate mode (torch 1.13's). */
export function resizeAttrs(n: GraphNode, mode: string, align: boolean): Record<string, Attr> {
  return mode === 'nearest'
    ? { coordinate_transformation_mode: 'asymmetric', cubic_coeff_a: f(-0.75), mode: 'nearest', nearest_mode: 'floor' }
    : mode === 'nearest-exact'
      ? { coordinate_transformation_mode: 'half_pixel', cubic_coeff_a: f(-0.75), mode: 'nearest', nearest_mode: 'round_prefer_ceil' }
      : mode === 'bilinear' || mode === 'linear' || mode === 'trilinear'
        ? { coordinate_transformation_mode: align ? 'align_corners' : 'half_pixel', cubic_coeff_a: f(-0.75), mode: 'linear', nearest_mode: 'floor' }
        : unsupported(n, `mode '${mode}'`);
}

/** Resize-13 as torch writes upsampling: constant scales; sizes as Concat(Shape(x)[:2], sizes). */
export function resize(w: Writer, n: GraphNode, x: string, rank: number, dims: Dims | undefined, r: ResizeArgs, out: string): void {
  const s = n.scope;
  const sp = rank - 2;
  const attrs = resizeAttrs(n, r.mode, r.align);
  const withSizes = (sizes: string) => {
    w.emit(s, 'Resize', [x, '', '', w.emit(s, 'Concat', [w.shapeSlice(s, x, 0, 2), sizes], { axis: 0 })], attrs, out);
  };
  if (r.sizeOf !== undefined) {
    // torch folds a size it knows into a constant
    const known = r.sizeOfDims?.slice(2);
    if (known !== undefined && known.length === sp && known.every((v) => v !== null)) return withSizes(w.ints('Concat', known as number[]));
    return withSizes(w.shapeSlice(s, r.sizeOf, 2, rank));
  }
  if (r.size !== undefined) return withSizes(w.ints('Concat', list(r.size, sp)));
  if (r.scale === undefined) return void unsupported(n, 'neither size nor scale_factor');
  const scales = list(r.scale, sp);
  if (r.recompute) {
    // recompute_scale_factor: the output size floor(in * scale), as torch computes it
    const spatial = dims?.slice(2);
    if (spatial !== undefined && spatial.every((v) => v !== null)) return withSizes(w.ints('Concat', (spatial as number[]).map((v, i) => Math.floor(v * scales[i]!))));
    const inSizes = w.emit(s, 'Cast', [w.shapeSlice(s, x, 2, rank)], { to: 1 });
    const scaled = w.emit(s, 'Floor', [w.emit(s, 'Mul', [inSizes, w.constant('Mul', 'float32', [sp], scales)])]);
    return withSizes(w.emit(s, 'Cast', [scaled], { to: 7 }));
  }
  w.emit(s, 'Resize', [x, '', w.constant('Resize', 'float32', [rank], [1, 1, ...scales])], attrs, out);
}

function pixelShuffle(c: NodeContext, rank: number): number {
  const { w, n, ins, outs } = c;
  const s = n.scope;
  const x = ins[0]!;
  const up = n.op === 'PixelShuffle';
  const r = (up ? n.attrs['upscale_factor'] : n.attrs['downscale_factor']) as number;
  if (rank !== 4) return unsupported(n, `torch 1.13: "Unsupported: ONNX export of operator pixel_shuffle, only support 4d input" (input of rank ${rank})`);
  if (up) {
    w.emit(s, 'DepthToSpace', [x], { blocksize: r, mode: 'CRD' }, outs[0]);
    return 4;
  }
  const d = c.dims[0];
  if (d !== undefined && d.slice(1).every((v) => v !== null)) {
    const [, C, H, W] = d as number[];
    const r1 = w.emit(s, 'Reshape', [x, w.ints('Reshape', [-1, C!, H! / r, r, W! / r, r])]);
    const t = w.emit(s, 'Transpose', [r1], { perm: [0, 1, 3, 5, 2, 4] });
    w.emit(s, 'Reshape', [t, w.ints('Reshape', [-1, C! * r * r, H! / r, W! / r])], {}, outs[0]);
    return 4;
  }
  // dynamic sizes: torch splits H and W with 0 (copy) and -1 (infer) in the shapes
  const u = w.emit(s, 'Unsqueeze', [x, w.ints('Unsqueeze', [3])]);
  const r1 = w.emit(s, 'Reshape', [u, w.ints('Reshape', [0, 0, -1, r, 0])]);
  const r2 = w.emit(s, 'Reshape', [r1, w.ints('Reshape', [0, 0, 0, 0, -1, r])]);
  const t = w.emit(s, 'Transpose', [r2], { perm: [0, 1, 3, 5, 2, 4] });
  const r3 = w.emit(s, 'Reshape', [t, w.ints('Reshape', [0, -1, 1, 1, 0, 0])]);
  w.emit(s, 'Squeeze', [r3, w.ints('Squeeze', [2, 3])], {}, outs[0]);
  return 4;
}

/** torch.flatten / nn.Flatten as torch's symbolic writes it. */
export function flattenNode(w: Writer, n: GraphNode, x: string, startDim: number, endDim: number, rank: number, out: string): number {
  const sd = startDim < 0 ? startDim + rank : startDim;
  const ed = endDim < 0 ? endDim + rank : endDim;
  if (sd < 0 || ed >= rank || sd > ed) return unsupported(n, `start_dim ${startDim}, end_dim ${endDim} on an input of rank ${rank}`);
  if (sd === ed) {
    w.emit(n.scope, 'Identity', [x], {}, out);
    return rank;
  }
  if (sd === 1 && ed === rank - 1) w.emit(n.scope, 'Flatten', [x], { axis: 1 }, out);
  else if (sd === 0 && ed === rank - 2) w.emit(n.scope, 'Flatten', [x], { axis: ed + 1 }, out);
  else w.flattenReshape(n.scope, x, sd, ed, rank, out);
  return rank - (ed - sd);
}

/**
 * AdaIN (normkit's module; torch.nn has none): the ops its definition
 * composes, per (instance, channel) over the spatial dims, unbiased variance:
 * (content − μc) / σc · σs + μs with σ = sqrt(var + eps).
 */
function adain(c: NodeContext, m: AdaIN): number {
  const { w, n, ins, outs, ranks } = c;
  const s = n.scope;
  const rank = ranks[0]!;
  const axes = [...Array(rank - 2).keys()].map((i) => i + 2);
  const stats = (t: string, r: number) => {
    const mean = w.reduceMean(s, t, axes.slice(0, r - 2), true);
    const d = w.emit(s, 'Sub', [t, mean]);
    const biased = w.reduceMean(s, w.emit(s, 'Mul', [d, d]), axes.slice(0, r - 2), true);
    // n / (n - 1) from the spatial size, which may be dynamic
    const count = w.emit(s, 'Cast', [w.emit(s, 'ReduceProd', [w.shapeSlice(s, t, 2, r)], { keepdims: 0 })], { to: 1 });
    const bessel = w.emit(s, 'Div', [count, w.emit(s, 'Sub', [count, w.scalar('Sub', 1)])]);
    const std = w.emit(s, 'Sqrt', [w.emit(s, 'Add', [w.emit(s, 'Mul', [biased, bessel]), w.scalar('Add', m.eps)])]);
    return { mean, d, std };
  };
  const ct = stats(ins[0]!, rank);
  const st = stats(ins[1]!, ranks[1]!);
  const normed = w.emit(s, 'Div', [ct.d, ct.std]);
  w.emit(s, 'Add', [w.emit(s, 'Mul', [normed, st.std]), st.mean], {}, outs[0]);
  return rank;
}
