/**
 * The `onnx_*` functional nodes `importOnnx` keeps for ONNX ops without a
 * torch module, written back as the ONNX op each came from: the same
 * attributes, in the form the target opset takes them (axes as an input or an
 * attribute, Pad's and Split's inputs), integer values as the integer type
 * the file gave them. Each returns the ranks of its outputs (-1 where the
 * writer cannot tell; the exporter then takes the sizes of a shape-only run).
 */
import { valuesOf } from '../../../graph/ops/onnx_int.js';
import { makeTensor } from '../encode.js';
import { dataTypeOf, outputTypes } from '../import/dtypes.js';
import { resizeAttrs, type NodeContext } from './modules.js';
import { f, INT64_MAX, unsupported, type Attr } from './writer.js';

const INT_BINARY: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div' };
const FLOAT_BINARY: Record<string, string> = { ...INT_BINARY, pow: 'Pow' };
/** The attributes (and their defaults) of the pointwise ops that have some. */
const UNARY_ATTRS: Record<string, string[]> = { HardSigmoid: ['alpha', 'beta'], ThresholdedRelu: ['alpha'], Celu: ['alpha'], Shrink: ['lambd', 'bias'] };
/** The opset each op first appears in, where that is above 13. */
const SINCE: Record<string, number> = { Trilu: 14 };

const norm = (a: number, rank: number) => (a < 0 ? a + rank : a);

export function onnxNode(c: NodeContext): number[] {
  const { w, n, ins, outs, ranks } = c;
  const a = n.attrs;
  const s = n.scope;
  const x = ins[0]!;
  const out = outs[0]!;
  const r0 = ranks[0] ?? -1;
  const outType = outputTypes(n.op, a, c.types, outs.length)[0]!;
  const emit = (op: string, attrs: Record<string, Attr> = {}, inputs: string[] = ins): number => {
    const since = SINCE[op];
    if (since !== undefined && w.opset < since) unsupported(n, `${op} needs opset ${since} or later (writing opset ${w.opset})`);
    w.emit(s, op, inputs, attrs, out);
    return -1;
  };
  /** Constant integer values of input i (an initializer), or undefined. */
  const constInts = (i: number): number[] | undefined => {
    const t = c.consts[i];
    return t === undefined || t.isMeta ? undefined : Array.from(valuesOf(t), Math.trunc);
  };
  switch (n.op) {
    case 'onnx_shape': {
      const start = a['start'] as number | null;
      const end = a['end'] as number | null;
      if (start === null && end === null) emit('Shape');
      else if (w.opset >= 15) emit('Shape', { ...(end !== null ? { end } : {}), ...(start !== null ? { start } : {}) });
      else {
        // Shape's start/end clamp as Slice's do
        const shape = w.emit(s, 'Shape', [x]);
        emit('Slice', {}, [shape, w.ints('Slice', [start ?? 0]), w.ints('Slice', [end ?? INT64_MAX]), w.ints('Slice', [0])]);
      }
      return [1];
    }
    case 'onnx_size':
      emit('Size');
      return [0];
    case 'onnx_gather':
      emit('Gather', { axis: (a['axis'] as number | null) ?? 0 });
      return [r0 >= 0 && ranks[1] !== undefined ? r0 - 1 + ranks[1] : -1];
    case 'onnx_slice':
      emit('Slice');
      return [r0];
    case 'onnx_concat':
      emit('Concat', { axis: a['axis'] as number });
      return [r0];
    case 'onnx_reshape':
      if (a['allowzero'] === true && w.opset < 14) return unsupported(n, `Reshape with allowzero=1 needs opset 14 or later (writing opset ${w.opset})`);
      emit('Reshape', a['allowzero'] === true ? { allowzero: 1 } : {});
      return [-1];
    case 'onnx_transpose': {
      const perm = a['perm'] as number[] | null;
      emit('Transpose', perm !== null ? { perm } : {});
      return [r0];
    }
    case 'onnx_unsqueeze':
    case 'onnx_squeeze': {
      const op = n.op === 'onnx_unsqueeze' ? 'Unsqueeze' : 'Squeeze';
      const axes = a['axes'] as number[] | null;
      // axes are an input from opset 13 (normkit writes 13 and later)
      const inputs = ins.length === 2 ? ins : axes !== null ? [x, w.ints(op, axes)] : [x];
      emit(op, {}, inputs);
      const k = axes?.length ?? constInts(1)?.length;
      return [r0 >= 0 && k !== undefined ? (op === 'Unsqueeze' ? r0 + k : r0 - k) : -1];
    }
    case 'onnx_cast':
      emit('Cast', { to: dataTypeOf(outType) });
      return [r0];
    case 'onnx_identity':
      emit('Identity');
      return [r0];
    case 'onnx_constant_of_shape':
      emit('ConstantOfShape', { value: { tensor: makeTensor('', outType, [1], [(a['value'] as number | null) ?? 0]) } });
      return [-1];
    case 'onnx_expand':
      emit('Expand');
      return [-1];
    case 'onnx_tile':
      emit('Tile');
      return [r0];
    case 'onnx_range':
      emit('Range');
      return [1];
    case 'onnx_int_binary':
    case 'onnx_float_binary': {
      const op = (n.op === 'onnx_int_binary' ? INT_BINARY : FLOAT_BINARY)[a['op'] as string];
      if (op === undefined) return unsupported(n, `unknown op '${String(a['op'])}'`);
      emit(op);
      return [Math.max(r0, ranks[1] ?? -1)];
    }
    case 'onnx_sqrt':
      emit('Sqrt');
      return [r0];
    case 'onnx_reduce_mean':
      return [reduce(c, 'ReduceMean', 18)];
    case 'onnx_reduce':
      return [reduce(c, a['op'] as string, a['op'] === 'ReduceSum' ? 13 : 18)];
    case 'onnx_gemm':
      emit('Gemm', { alpha: f(a['alpha'] as number), beta: f(a['beta'] as number), transA: a['trans_a'] ? 1 : 0, transB: a['trans_b'] ? 1 : 0 });
      return [2];
    case 'onnx_softmax':
      emit('Softmax', { axis: a['axis'] as number });
      return [r0];
    case 'onnx_log_softmax':
      emit('LogSoftmax', { axis: a['axis'] as number });
      return [r0];
    case 'onnx_hardmax':
      emit('Hardmax', { axis: a['axis'] as number });
      return [r0];
    case 'onnx_pad':
      pad(c);
      return [r0];
    case 'onnx_clip': {
      // min and max are inputs of the input's type ('' for a missing min)
      const bound = (v: unknown) => (typeof v === 'number' ? w.constant('Clip', c.types[0]!, [], [v]) : '');
      const inputs = [x, bound(a['min']), bound(a['max'])];
      while (inputs[inputs.length - 1] === '') inputs.pop();
      emit('Clip', {}, inputs);
      return [r0];
    }
    case 'onnx_flatten':
      emit('Flatten', { axis: a['axis'] as number });
      return [2];
    case 'onnx_split':
      split(c);
      return outs.map(() => r0);
    case 'onnx_same_pad':
      samePad(c);
      return [r0];
    case 'onnx_depth_to_space':
      emit('DepthToSpace', { blocksize: a['blocksize'] as number, mode: 'DCR' });
      return [4];
    case 'onnx_space_to_depth':
      emit('SpaceToDepth', { blocksize: a['blocksize'] as number });
      return [4];
    case 'onnx_layer_norm_stats':
      layerNormStats(c);
      return [r0, r0];
    case 'onnx_unary': {
      const op = a['op'] as string;
      const attrs: Record<string, Attr> = {};
      for (const k of UNARY_ATTRS[op] ?? []) attrs[k] = f(a[k] as number);
      emit(op, attrs);
      return [r0];
    }
    case 'onnx_binary': {
      const op = a['op'] as string;
      emit(op, op === 'Mod' ? { fmod: a['fmod'] === true ? 1 : 0 } : {});
      return [Math.max(...ranks)];
    }
    case 'onnx_mean':
      emit('Mean');
      return [Math.max(...ranks)];
    case 'onnx_where':
      emit('Where');
      return [Math.max(...ranks)];
    case 'onnx_arg': {
      const keep = a['keepdims'] !== false;
      emit(a['op'] as string, { axis: a['axis'] as number, keepdims: keep ? 1 : 0, select_last_index: a['select_last_index'] === true ? 1 : 0 });
      return [keep || r0 < 0 ? r0 : r0 - 1];
    }
    case 'onnx_cumsum':
      emit('CumSum', { exclusive: a['exclusive'] === true ? 1 : 0, reverse: a['reverse'] === true ? 1 : 0 });
      return [r0];
    case 'onnx_trilu':
      emit('Trilu', { upper: a['upper'] === false ? 0 : 1 });
      return [r0];
    case 'onnx_resize_general': {
      const attrs: Record<string, Attr> = {
        coordinate_transformation_mode: a['coord'] as string,
        cubic_coeff_a: f(a['cubic_a'] as number),
        exclude_outside: a['exclude_outside'] === true ? 1 : 0,
        mode: a['mode'] as string,
        nearest_mode: a['nearest_mode'] as string,
      };
      emit('Resize', attrs, a['by'] === 'sizes' ? [x, '', '', ins[1]!] : [x, '', ins[1]!]);
      return [r0];
    }
    case 'onnx_resize':
      emit('Resize', resizeAttrs(n, a['mode'] as string, a['align_corners'] === true), [x, '', '', ins[1]!]);
      return [r0];
    default:
      return unsupported(n, `no ONNX mapping for ${n.op}`);
  }
}

/**
 * A reduction: axes an input from opset `inputSince` (ReduceSum 13, the others
 * 18), an attribute before (then an axes input must be a constant).
 */
function reduce(c: NodeContext, op: string, inputSince: number): number {
  const { w, n, ins, outs, ranks } = c;
  const a = n.attrs;
  const keep = a['keepdims'] !== false;
  const noop = a['noop_with_empty_axes'] === true;
  let axes = a['axes'] as number[] | null;
  if (ins.length === 2 && w.opset < inputSince) {
    const t = c.consts[1];
    if (t === undefined || t.isMeta) return unsupported(n, `${op}'s axes are computed in the graph, and opset ${w.opset} takes them as an attribute (write opset ${inputSince} or later)`);
    axes = Array.from(valuesOf(t), Math.trunc);
  }
  const empty = ins.length === 1 && (axes === null || axes.length === 0);
  if (empty && noop) {
    w.emit(n.scope, 'Identity', [ins[0]!], {}, outs[0]);
    return ranks[0] ?? -1;
  }
  const attrs: Record<string, Attr> = { keepdims: keep ? 1 : 0 };
  let inputs = [ins[0]!];
  if (w.opset >= inputSince) {
    if (ins.length === 2) inputs = ins;
    else if (axes !== null && axes.length > 0) inputs = [ins[0]!, w.ints(op, axes)];
    if (noop) attrs['noop_with_empty_axes'] = 1;
  } else if (axes !== null && axes.length > 0) attrs['axes'] = axes;
  w.emit(n.scope, op, inputs, attrs, outs[0]);
  const r = ranks[0] ?? -1;
  if (keep || r < 0) return r;
  const k = ins.length === 2 ? c.consts[1]?.numel() : axes?.length || r;
  return k === undefined ? -1 : r - k;
}

/** ONNX Pad: pads and the constant value as inputs; axes (Pad-18) expanded below 18; wrap (Pad-19) as torch's circular Slice/Concat. */
function pad(c: NodeContext): void {
  const { w, n, ins, outs, ranks } = c;
  const a = n.attrs;
  const mode = (a['mode'] as string | null) ?? 'constant';
  const rank = ranks[0] ?? -1;
  const constPads = (): number[] => {
    const t = ins.length > 1 ? c.consts[1] : undefined;
    const p = t !== undefined && !t.isMeta ? Array.from(valuesOf(t), Math.trunc) : ins.length === 1 ? (a['pads'] as number[] | null) : null;
    if (p === null || p === undefined) return unsupported(n, 'the pads are computed in the graph, and this form of Pad needs them constant');
    return p;
  };
  /** Pads over every dim (begin..., end...) from pads over `axes`. */
  const fullPads = (): number[] => {
    const p = constPads();
    if (ins.length < 4 || ins[3] === '') return p;
    const t = c.consts[3];
    if (t === undefined || t.isMeta || rank < 0) return unsupported(n, `Pad's axes (opset 18) are computed in the graph: write opset 18`);
    const axes = Array.from(valuesOf(t), (v) => norm(Math.trunc(v), rank));
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((ax, k) => {
      full[ax] = p[k]!;
      full[ax + rank] = p[k + axes.length]!;
    });
    return full;
  };
  if (mode === 'wrap') {
    const p = fullPads();
    if (rank < 0 || p.some((v) => v < 0)) return void unsupported(n, 'wrap padding (Pad-19) with negative pads or an unknown rank');
    // torch's F.pad order: last dim first, (before, after) pairs, from the first padded dim on
    const padded = p.slice(0, rank).map((b, d) => b !== 0 || p[d + rank] !== 0);
    const first = padded.indexOf(true);
    if (first < 0) return void w.emit(n.scope, 'Identity', [ins[0]!], {}, outs[0]);
    const list: number[] = [];
    for (let d = rank - 1; d >= first; d--) list.push(p[d]!, p[d + rank]!);
    w.circularPad(n.scope, ins[0]!, list, rank, outs[0]);
    return;
  }
  const takesAxes = w.opset >= 18;
  const pads = ins.length > 1 && ins[1] !== '' && (takesAxes || ins.length < 4 || ins[3] === '') ? ins[1]! : w.ints('Pad', fullPads());
  const inputs = [ins[0]!, pads];
  const value = ins.length > 2 && ins[2] !== '' ? ins[2]! : mode === 'constant' && a['value'] !== 0 && a['value'] != null ? w.constant('Pad', c.types[0]!, [], [a['value'] as number]) : '';
  if (value !== '') inputs.push(value);
  if (takesAxes && ins.length > 3 && ins[3] !== '') {
    if (value === '') inputs.push('');
    inputs.push(ins[3]!);
  }
  w.emit(n.scope, 'Pad', inputs, { mode }, outs[0]);
}

/** Split into the node's outputs: sizes as an input (opset 13), num_outputs at 18 when the sizes are not given. */
function split(c: NodeContext): void {
  const { w, n, ins, outs } = c;
  const a = n.attrs;
  const axis = a['axis'] as number;
  const count = outs.length;
  let sizes = a['split'] as number[] | null;
  if (sizes === null) {
    // equal pieces, the last smaller: the sizes when the dim is fixed
    const d = c.dims[0];
    const dim = d?.[norm(axis, d.length)];
    if (typeof dim === 'number') {
      const step = Math.ceil(dim / count);
      sizes = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(step, dim - i * step)));
    }
  }
  const attrs: Record<string, Attr> = { axis };
  const inputs = [ins[0]!];
  if (sizes !== null) inputs.push(w.ints('Split', sizes));
  else if (w.opset >= 18) attrs['num_outputs'] = count;
  w.emitN(n.scope, 'Split', inputs, attrs, outs);
}

/**
 * auto_pad SAME (a Conv's or a pool's, imported as a pad node before it):
 * total = max(0, (ceil(in / s) − 1)·s + (k − 1)·d + 1 − in) per spatial dim,
 * half before (SAME_UPPER: the smaller half) and the rest after. Fixed sizes:
 * one Pad with constant pads; dynamic: the same arithmetic on Shape(x).
 */
function samePad(c: NodeContext): void {
  const { w, n, ins, outs, ranks } = c;
  const a = n.attrs;
  const s = n.scope;
  const x = ins[0]!;
  const kernel = a['kernel'] as number[];
  const strides = a['strides'] as number[];
  const dil = a['dilations'] as number[];
  const upper = a['upper'] === true;
  const value = a['value'] as number;
  const k = kernel.length;
  const rank = ranks[0] ?? k + 2;
  const eff = kernel.map((kk, i) => (kk - 1) * dil[i]! + 1);
  const d = c.dims[0]?.slice(2);
  const valueInput = value !== 0 ? [w.scalar('Pad', value)] : [];
  if (d !== undefined && d.length === k && d.every((v) => v !== null)) {
    const begin: number[] = [];
    const end: number[] = [];
    (d as number[]).forEach((size, i) => {
      const total = Math.max(0, (Math.ceil(size / strides[i]!) - 1) * strides[i]! + eff[i]! - size);
      const small = Math.floor(total / 2);
      begin.push(upper ? small : total - small);
      end.push(upper ? total - small : small);
    });
    w.emit(s, 'Pad', [x, w.ints('Pad', [0, 0, ...begin, 0, 0, ...end]), ...valueInput], { mode: 'constant' }, outs[0]);
    return;
  }
  const size = w.shapeSlice(s, x, 2, rank);
  const st = w.ints('Add', strides);
  const blocks = w.emit(s, 'Div', [w.emit(s, 'Sub', [w.emit(s, 'Add', [size, st]), w.ints('Sub', new Array<number>(k).fill(1))]), w.ints('Div', strides)]);
  const span = w.emit(s, 'Add', [w.emit(s, 'Mul', [w.emit(s, 'Sub', [blocks, w.ints('Sub', new Array<number>(k).fill(1))]), w.ints('Mul', strides)]), w.ints('Add', eff)]);
  const total = w.emit(s, 'Max', [w.emit(s, 'Sub', [span, size]), w.ints('Max', new Array<number>(k).fill(0))]);
  const small = w.emit(s, 'Div', [total, w.ints('Div', new Array<number>(k).fill(2))]);
  const large = w.emit(s, 'Sub', [total, small]);
  const zeros = w.ints('Concat', [0, 0]);
  const pads = w.emit(s, 'Concat', [zeros, upper ? small : large, zeros, upper ? large : small], { axis: 0 });
  w.emit(s, 'Pad', [x, pads, ...valueInput], { mode: 'constant' }, outs[0]);
}

/**
 * LayerNormalization's Mean and InvStdDev outputs: from opset 17 the op itself
 * (unit scale of the normalized shape, its Y unused); below, the statistics
 * over the axes from `axis` on, kept as dims of 1.
 */
function layerNormStats(c: NodeContext): void {
  const { w, n, ins, outs, ranks } = c;
  const s = n.scope;
  const x = ins[0]!;
  const axis = n.attrs['axis'] as number;
  const eps = n.attrs['epsilon'] as number;
  if (w.opset >= 17) {
    const ones = w.emit(s, 'ConstantOfShape', [w.shapeSlice(s, x, axis, INT64_MAX)], { value: { tensor: makeTensor('', 'float32', [1], [1]) } });
    w.emitN(s, 'LayerNormalization', [x, ones], { axis, epsilon: f(eps) }, [undefined, outs[0], outs[1]]);
    return;
  }
  const rank = ranks[0] ?? -1;
  if (rank < 0) return void unsupported(n, 'LayerNormalization statistics below opset 17 on an input of unknown rank');
  const axes = Array.from({ length: rank - norm(axis, rank) }, (_, i) => norm(axis, rank) + i);
  const mean = w.reduceMean(s, x, axes, true, outs[0]);
  const d = w.emit(s, 'Sub', [x, mean]);
  const v = w.reduceMean(s, w.emit(s, 'Mul', [d, d]), axes, true);
  w.emit(s, 'Reciprocal', [w.emit(s, 'Sqrt', [w.emit(s, 'Add', [v, w.scalar('Add', eps)])])], {}, outs[1]);
}
