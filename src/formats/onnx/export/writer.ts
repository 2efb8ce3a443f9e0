/**
 * The ONNX graph being written: nodes with torch 1.13's names, initializers
 * (weights under their state-dict names, folded constants as `onnx::<Op>_<n>`),
 * and the few op sequences several writers share (pads, Resize sizes, the
 * flatten helper, reductions).
 */
import { OnnxError } from '../errors.js';
import { makeTensor, type DeepPartial } from '../encode.js';
import { AttributeType, type AttributeProto, type NodeProto, type TensorProto } from '../proto.js';
import type { DType, GraphNode } from '../../../graph/graph.js';
import { valuesOf } from '../../../graph/ops/onnx_int.js';
import type { Tensor } from '../../../tensor/tensor.js';

export type Attr = number | string | number[] | { floats: number[] } | { float: number } | { tensor: TensorProto };

export const f = (v: number): { float: number } => ({ float: v });

/** torch's "to the end" in Slice (INT64_MAX). */
export const INT64_MAX = 2 ** 63;

/** A static size, or null where the exported file leaves it dynamic. */
export type Dims = (number | null)[];

export const unsupported = (n: GraphNode, why: string): never => {
  throw new OnnxError(`node ${n.name}`, `cannot export ${n.op}${n.scope === '' ? '' : ` at '${n.scope}'`}: ${why}`);
};

/** An int or a list of `n` ints (a 1-list repeated). */
export const list = (v: unknown, n: number): number[] => {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v)) return v.length === 1 && n > 1 ? new Array<number>(n).fill(v[0] as number) : (v as number[]).slice();
  throw new OnnxError('', `expected an int or a list, got ${JSON.stringify(v)}`);
};

export class Writer {
  readonly nodes: DeepPartial<NodeProto>[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();
  private counter = 0;
  private readonly written = new Map<string, Tensor | null>();
  /** Tensors already written, by identity: a parameter shared by two modules is one initializer, under its first name (as torch writes it). */
  private readonly byTensor = new Map<Tensor, string>();
  /** Module types by path (containers and custom modules) of the graph being written. */
  readonly scopeTypes = new Map<string, string>();

  constructor(readonly opset: number) {}

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

  /** Names taken by the graph being written (its values, written later under their own names): fresh names avoid them. */
  reserve(names: Iterable<string>): void {
    for (const v of names) this.usedValues.add(v);
  }

  /** A fresh value name in torch's style (`/0/Conv_output_0`). */
  private value(nodeName: string, k = 0): string {
    let v = `${nodeName}_output_${k}`;
    while (this.usedValues.has(v)) v = `${nodeName}_output_${++this.counter}`;
    this.usedValues.add(v);
    return v;
  }

  /** One node; returns its output (`output` if given, else a fresh name). */
  emit(scope: string, opType: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    return this.emitN(scope, opType, inputs, attrs, [output])[0]!;
  }

  /** A node with several outputs (names given or fresh). */
  emitN(scope: string, opType: string, inputs: string[], attrs: Record<string, Attr>, outputs: (string | undefined)[]): string[] {
    const name = this.nodeName(scope, opType);
    const outs = outputs.map((o, k) => o ?? this.value(name, k));
    for (const o of outs) this.usedValues.add(o);
    const attribute: DeepPartial<AttributeProto>[] = Object.entries(attrs).map(([k, v]) => {
      if (typeof v === 'number') return { name: k, i: v, type: AttributeType.INT };
      if (typeof v === 'string') return { name: k, s: new TextEncoder().encode(v), type: AttributeType.STRING };
      if (Array.isArray(v)) return { name: k, ints: v, type: AttributeType.INTS };
      if ('floats' in v) return { name: k, floats: v.floats, type: AttributeType.FLOATS };
      if ('tensor' in v) return { name: k, t: v.tensor, type: AttributeType.TENSOR };
      return { name: k, f: v.float, type: AttributeType.FLOAT };
    });
    this.nodes.push({ input: inputs, output: outs, name, opType, attribute });
    return outs;
  }

  /** A float32 initializer (copied); `fallback` fills one when the module has no such tensor (ones for a missing affine weight). */
  init(name: string, t: Tensor | null | undefined, fallback?: { shape: number[]; fill: number }): string {
    if (t != null) {
      const first = this.byTensor.get(t);
      if (first !== undefined) return first;
    }
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
      this.byTensor.set(t, name);
    }
    this.usedValues.add(name);
    return name;
  }

  /** A graph's own constant under its name, as the type it came as (an imported file's int64 shapes, bool masks); shared tensors once. */
  initTyped(name: string, t: Tensor, dtype: DType): string {
    if (dtype === 'float32') return this.init(name, t);
    const seen = this.written.get(name);
    if (seen !== undefined) {
      if (seen === t) return name;
      throw new OnnxError('', `two different tensors would be the initializer '${name}'`);
    }
    this.written.set(name, t);
    this.initializers.push(makeTensor(name, dtype, [...t.shape], valuesOf(t)));
    this.usedValues.add(name);
    return name;
  }

  /** A constant (an initializer named as torch's folded `onnx::Op_N`). */
  constant(op: string, dtype: DType, dims: number[], values: ArrayLike<number>): string {
    let name = `onnx::${op}_${this.counter++}`;
    while (this.usedValues.has(name)) name = `onnx::${op}_${this.counter++}`;
    this.initializers.push(makeTensor(name, dtype, dims, values));
    this.usedValues.add(name);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(op: string, v: number): string {
    return this.constant(op, 'float32', [], [v]);
  }

  /** A 1-D int64 constant. */
  ints(op: string, values: readonly number[]): string {
    return this.constant(op, 'int64', [values.length], values);
  }

  // ---- sequences several writers share -------------------------------------

  /** F.pad order (last dim first, (before, after) pairs) → ONNX Pad over all dims; the value input only in constant mode when given. */
  pad(scope: string, x: string, pad: readonly number[], rank: number, mode: string, value: number | undefined, out?: string): string {
    const begin = new Array<number>(rank).fill(0);
    const end = new Array<number>(rank).fill(0);
    for (let i = 0; i < pad.length / 2; i++) {
      begin[rank - 1 - i] = pad[2 * i]!;
      end[rank - 1 - i] = pad[2 * i + 1]!;
    }
    const ins = [x, this.ints('Pad', [...begin, ...end])];
    if (mode === 'constant' && value !== undefined) ins.push(this.scalar('Pad', value));
    return this.emit(scope, 'Pad', ins, { mode }, out);
  }

  /** Circular padding as torch builds it: per dim from the first padded one, Concat(x[-p:], x, x[:q]) (F.pad order). */
  circularPad(scope: string, x: string, pad: readonly number[], rank: number, out?: string): string {
    const dims = pad.length / 2;
    let y = x;
    for (let k = dims - 1; k >= 0; k--) {
      const d = rank - 1 - k;
      const before = pad[2 * k]!;
      const after = pad[2 * k + 1]!;
      // torch 1.13 writes x[-p-1:-1] for the wrap-around (an off-by-one: onnxruntime then differs from PyTorch); this is x[-p:]
      const head = this.emit(scope, 'Slice', [y, this.ints('Slice', [-before]), this.ints('Slice', [INT64_MAX]), this.ints('Slice', [d])]);
      const tail = this.emit(scope, 'Slice', [y, this.ints('Slice', [0]), this.ints('Slice', [after]), this.ints('Slice', [d])]);
      y = this.emit(scope, 'Concat', [head, y, tail], { axis: d }, k === 0 ? out : undefined);
    }
    return y;
  }

  /** Shape(x)[start:end] (torch's Slice of a Shape: data, starts, ends, axes); `shape`: a Shape(x) already written. */
  shapeSlice(scope: string, x: string, start: number, end: number, shape = this.emit(scope, 'Shape', [x])): string {
    return this.emit(scope, 'Slice', [shape, this.ints('Slice', [start]), this.ints('Slice', [end]), this.ints('Slice', [0])]);
  }

  /** torch's flatten helper: Reshape(x, Concat(Shape(x)[:start], [-1], Shape(x)[end+1:])). */
  flattenReshape(scope: string, x: string, start: number, end: number, rank: number, out?: string): string {
    const shape = this.emit(scope, 'Shape', [x]);
    const parts = [this.shapeSlice(scope, x, 0, start, shape), this.ints('Concat', [-1])];
    if (end + 1 < rank) parts.push(this.shapeSlice(scope, x, end + 1, rank, shape));
    return this.emit(scope, 'Reshape', [x, this.emit(scope, 'Concat', parts, { axis: 0 })], {}, out);
  }

  /** ReduceMean over `axes` (an input from opset 18, an attribute before); keepdims written only when given, as torch does. */
  reduceMean(scope: string, x: string, axes: number[], keep?: boolean, out?: string): string {
    const k: Record<string, Attr> = keep === undefined ? {} : { keepdims: keep ? 1 : 0 };
    if (this.opset >= 18) return this.emit(scope, 'ReduceMean', [x, this.ints('ReduceMean', axes)], k, out);
    return this.emit(scope, 'ReduceMean', [x], { axes, ...k }, out);
  }
}
