/**
 * Functional nodes (torch's functions between modules) as the ONNX ops
 * torch 1.13 writes for them. Each returns the ranks of its outputs.
 */
import type { GraphNode } from '../../../graph/graph.js';
import { gelu, flattenNode, resize, type NodeContext } from './modules.js';
import { f, INT64_MAX, unsupported, type Dims } from './writer.js';

/** Functional ops the exporter writes. */
export const exportableFunctions = [
  'add', 'sub', 'mul', 'div', 'cat', 'chunk', 'slice', 'reshape', 'view', 'flatten', 'permute', 'transpose', 'squeeze', 'unsqueeze',
  'mean', 'sum', 'interpolate', 'pad', 'matmul', 'relu', 'sigmoid', 'tanh', 'leaky_relu', 'gelu', 'elu', 'softmax',
] as const;

const norm = (d: number, rank: number) => (d < 0 ? d + rank : d);

/** torch.squeeze(x, d) of a dim whose fixed size is not 1 returns x: torch writes no node. */
export function noOpSqueeze(n: GraphNode, input: Dims | undefined): boolean {
  const dim = n.attrs['dim'];
  if (n.op !== 'squeeze' || typeof dim !== 'number' || input === undefined) return false;
  const size = input[norm(dim, input.length)];
  return size !== undefined && size !== null && size !== 1;
}

const BINARY: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div' };
const UNARY: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

export function functionNode(c: NodeContext): number[] {
  const { w, n, ins, outs, ranks } = c;
  const a = n.attrs;
  const s = n.scope;
  const r0 = ranks[0] ?? 0;
  const out = outs[0]!;
  const x = ins[0]!;
  if (n.op in BINARY) {
    const other = ins.length === 2 ? ins[1]! : w.scalar(BINARY[n.op]!, a['other'] as number);
    w.emit(s, BINARY[n.op]!, [x, other], {}, out);
    return [Math.max(r0, ranks[1] ?? 0)];
  }
  if (n.op in UNARY) {
    w.emit(s, UNARY[n.op]!, ins, {}, out);
    return [r0];
  }
  switch (n.op) {
    case 'leaky_relu':
      w.emit(s, 'LeakyRelu', ins, { alpha: f(a['negative_slope'] as number) }, out);
      return [r0];
    case 'elu':
      w.emit(s, 'Elu', ins, { alpha: f(a['alpha'] as number) }, out);
      return [r0];
    case 'gelu':
      gelu(w, s, x, (a['approximate'] as string | undefined) ?? 'none', out);
      return [r0];
    case 'cat':
      w.emit(s, 'Concat', ins, { axis: norm(a['dim'] as number, r0) }, out);
      return [r0];
    case 'chunk': {
      // torch 1.13: the piece length ceil(size / chunks) from Shape(x), then one Slice per piece
      const chunks = a['chunks'] as number;
      const dim = a['dim'] as number;
      const axis = w.ints('Gather', [dim]);
      const size = w.emit(s, 'Gather', [w.emit(s, 'Shape', [x]), axis], { axis: 0 });
      const step = w.emit(s, 'Div', [w.emit(s, 'Add', [size, w.ints('Add', [chunks - 1])]), w.ints('Div', [chunks])]);
      let start = w.ints('Slice', [0]);
      for (let k = 0; k < chunks; k++) {
        const end = w.emit(s, 'Mul', [step, w.ints('Mul', [k + 1])]);
        w.emit(s, 'Slice', [x, start, end, axis], {}, outs[k]);
        start = end;
      }
      return outs.map(() => r0);
    }
    case 'slice': {
      const end = a['end'] as number | null;
      w.emit(s, 'Slice', [x, w.ints('Slice', [a['start'] as number]), w.ints('Slice', [end ?? INT64_MAX]), w.ints('Slice', [a['dim'] as number]), w.ints('Slice', [a['step'] as number])], {}, out);
      return [r0];
    }
    case 'reshape':
    case 'view': {
      const shape = a['shape'] as number[];
      w.emit(s, 'Reshape', [x, w.ints('Reshape', shape)], {}, out);
      return [shape.length];
    }
    case 'flatten':
      return [flattenNode(w, n, x, a['start_dim'] as number, a['end_dim'] as number, r0, out)];
    case 'squeeze': {
      const dim = a['dim'] as number | null;
      if (dim === null) {
        const d = c.dims[0];
        if (d === undefined || d.some((v) => v === null)) return unsupported(n, `squeeze() without a dim on an input whose sizes are not all fixed (${d === undefined ? 'unknown' : d.map((v) => v ?? '?').join('x')}): give the dim`);
        w.emit(s, 'Squeeze', [x], {}, out);
        return [d.filter((v) => v !== 1).length];
      }
      // (a squeeze of a dim whose fixed size is not 1 is no node: see passThrough)
      w.emit(s, 'Squeeze', [x, w.ints('Squeeze', [dim])], {}, out);
      return [r0 - 1];
    }
    case 'unsqueeze':
      w.emit(s, 'Unsqueeze', [x, w.ints('Unsqueeze', [a['dim'] as number])], {}, out);
      return [r0 + 1];
    case 'mean':
    case 'sum': {
      const axes = (a['dim'] as number[]).map((d) => norm(d, r0));
      const keep = a['keepdim'] === true;
      if (n.op === 'sum') w.emit(s, 'ReduceSum', [x, w.ints('ReduceSum', axes)], { keepdims: keep ? 1 : 0 }, out);
      else w.reduceMean(s, x, axes, keep, out);
      return [keep ? r0 : r0 - axes.length];
    }
    case 'interpolate':
      resize(w, n, x, r0, c.dims[0], {
        mode: a['mode'] as string,
        align: a['align_corners'] === true,
        size: a['size'] as number | number[] | undefined,
        scale: a['scale_factor'] as number | number[] | undefined,
        ...(ins.length === 2 ? { sizeOf: ins[1]!, ...(c.dims[1] ? { sizeOfDims: c.dims[1] } : {}) } : {}),
      }, out);
      return [r0];
    case 'matmul':
      w.emit(s, 'MatMul', ins, {}, out);
      return [Math.max(r0, ranks[1] ?? 0)];
    case 'softmax':
      w.emit(s, 'Softmax', ins, { axis: norm(a['dim'] as number, r0) }, out);
      return [r0];
    case 'permute':
      w.emit(s, 'Transpose', ins, { perm: (a['dims'] as number[]).map((d) => norm(d, r0)) }, out);
      return [r0];
    case 'transpose': {
      const perm = [...Array(r0).keys()];
      const d0 = norm(a['dim0'] as number, r0);
      const d1 = norm(a['dim1'] as number, r0);
      [perm[d0], perm[d1]] = [perm[d1]!, perm[d0]!];
      w.emit(s, 'Transpose', ins, { perm }, out);
      return [r0];
    }
    case 'pad': {
      const mode = a['mode'] as string;
      const pad = a['pad'] as number[];
      if (mode === 'circular') w.circularPad(s, x, pad, r0, out);
      else w.pad(s, x, pad, r0, mode === 'replicate' ? 'edge' : mode, mode === 'constant' ? (a['value'] as number) : undefined, out);
      return [r0];
    }
    default:
      return unsupported(n, `no ONNX mapping (functions: ${exportableFunctions.join(', ')}, and the onnx_* nodes importOnnx keeps)`);
  }
}
