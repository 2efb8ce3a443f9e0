/** Reading the oracle's JSON tensors and comparing values within tolerances. */
import { Tensor } from '../tensor/tensor.js';

export interface JsonTensor {
  shape: number[];
  data: (number | string)[];
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

export const MODULE_TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };
export const NETWORK_TOL: Tolerance = { atol: 1e-4, rtol: 1e-3 };

export function isJsonTensor(x: unknown): x is JsonTensor {
  return typeof x === 'object' && x !== null && Array.isArray((x as JsonTensor).shape) && Array.isArray((x as JsonTensor).data);
}

function num(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new Error(`not a number: ${v}`);
}

/** A JSON tensor, or a bare number (e.g. `num_batches_tracked`) as a 0-d tensor. */
export function decodeTensor(j: JsonTensor | number): Tensor {
  if (typeof j === 'number') return new Tensor(new Float32Array([j]), []);
  return new Tensor(Float32Array.from(j.data, num), j.shape);
}

export interface Diff {
  ok: boolean;
  /** Largest |got - want| over the elements, NaN-aware. */
  worst: number;
  reason?: string;
}

export function compareValues(got: Tensor, want: JsonTensor | number, tol: Tolerance): Diff {
  const w = decodeTensor(want);
  if (got.shape.join(',') !== w.shape.join(',')) {
    return { ok: false, worst: Infinity, reason: `shape [${got.shape.join(', ')}] != expected [${w.shape.join(', ')}]` };
  }
  const g = got.data;
  const e = w.data;
  let worst = 0;
  let bad = -1;
  for (let i = 0; i < e.length; i++) {
    const a = g[i]!;
    const b = e[i]!;
    if (Number.isNaN(b) || Number.isNaN(a)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) {
        worst = Infinity;
        bad = bad < 0 ? i : bad;
      }
      continue;
    }
    if (!Number.isFinite(b) || !Number.isFinite(a)) {
      if (a !== b) {
        worst = Infinity;
        bad = bad < 0 ? i : bad;
      }
      continue;
    }
    const d = Math.abs(a - b);
    if (d > worst) worst = d;
    if (d > tol.atol + tol.rtol * Math.abs(b) && bad < 0) bad = i;
  }
  if (bad >= 0) return { ok: false, worst, reason: `element ${bad}: got ${g[bad]}, want ${e[bad]}` };
  return { ok: true, worst };
}
