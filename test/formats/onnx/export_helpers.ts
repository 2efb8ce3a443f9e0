/** Shared by the toOnnx tests: seeded models, onnxruntime runs, and torch's nodes against normkit's. */
import assert from 'node:assert/strict';
import { AttributeType, type AttributeProto, type ModelProto } from '../../../src/formats/onnx/index.js';
import { tensorData } from '../../../src/formats/onnx/tensor.js';
import type { Module } from '../../../src/nn/module.js';
import { fromSpec } from '../../../src/spec/spec.js';
import { manualSeed } from '../../../src/tensor/random.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import type { loadOrt } from '../../optional_peers.js';

type Ort = NonNullable<Awaited<ReturnType<typeof loadOrt>>>;
export type TorchNode = { name: string; op: string; attrs: Record<string, unknown> };

/** An attribute as gen_torch_ops.py records it (floats to 6 significant digits, tensors as their values). */
export function attrValue(a: AttributeProto): unknown {
  const g = (v: number) => Number(v.toPrecision(6));
  switch (a.type) {
    case AttributeType.INT:
      return Number(a.i);
    case AttributeType.FLOAT:
      return g(a.f);
    case AttributeType.INTS:
      return a.ints.map(Number);
    case AttributeType.FLOATS:
      return a.floats.map(g);
    case AttributeType.STRING:
      return new TextDecoder().decode(a.s);
    case AttributeType.TENSOR:
      return Array.from(tensorData(a.t!).data as ArrayLike<number>, Number);
    default:
      return null;
  }
}

export const worst = (got: ArrayLike<number>, want: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(Number(want[i]) - Number(got[i])));
  return Number.isNaN(m) ? Infinity : m;
};

/** The model of a spec, seeded, with non-trivial running statistics and affine parameters, in eval mode. */
export function build(spec: unknown, seed = 3): Module {
  manualSeed(seed);
  const model = fromSpec(spec);
  for (const [k, t] of model.stateDict()) {
    if (k.endsWith('running_mean')) t.data.set(t.data.map((_, i) => 0.1 * i - 0.2));
    if (k.endsWith('running_var')) t.data.set(t.data.map((_, i) => 0.5 + 0.25 * i));
    if (/\.(weight|bias)$/.test(k) && t.ndim === 1) t.data.set(t.data.map((v, i) => v + 0.05 * i));
  }
  return model.eval();
}

/** The nodes of a file that compute on its inputs (those with only constant inputs left out), as torch_ops.json records them. */
export function computing(m: ModelProto): TorchNode[] {
  const konst = new Set(m.graph!.initializer.map((t) => t.name));
  const out: TorchNode[] = [];
  for (const n of m.graph!.node) {
    if (n.input.every((i) => i === '' || konst.has(i))) {
      for (const o of n.output) konst.add(o);
      continue;
    }
    out.push({ name: n.name, op: n.opType, attrs: Object.fromEntries(n.attribute.map((a) => [a.name, attrValue(a)])) });
  }
  return out;
}

/**
 * torch's nodes against normkit's: the same op types in order, with the same
 * scopes in their names (the `_<k>` counters aside: torch counts the
 * constant-only nodes it writes where normkit writes initializers), and equal
 * attributes (torch's allowzero=0, the default, aside).
 */
export function assertTorchNodes(got: TorchNode[], want: TorchNode[]): void {
  const key = (n: TorchNode) => `${n.name.replace(/_\d+$/, '')} ${n.op}`;
  assert.deepEqual(got.map(key), want.map(key));
  want.forEach((t, i) => {
    const { allowzero: _a, ...attrs } = t.attrs;
    const mine = got[i]!.attrs;
    for (const [k, v] of Object.entries(attrs)) {
      const g = mine[k];
      if (typeof v === 'number' && typeof g === 'number') assert.ok(Math.abs(v - g) <= 1e-5 * Math.max(1, Math.abs(v)), `${t.name}.${k}: ${g} vs torch's ${v}`);
      else assert.deepEqual(g, v, `${t.name}.${k}`);
    }
    assert.deepEqual(Object.keys(mine).filter((k) => !(k in attrs)), [], `${t.name}: attributes torch does not write`);
  });
}

export async function runOrt(ort: Ort, bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<{ dims: number[]; data: ArrayLike<number> }[]> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const r = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', Float32Array.from(t.data), t.shape)])));
    return s.outputNames.map((o) => ({ dims: [...r[o]!.dims], data: r[o]!.data as ArrayLike<number> }));
  } finally {
    await s.release();
  }
}

