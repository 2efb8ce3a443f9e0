/**
 * PyTorch-like printing (`torch/_tensor_str.py`, default print options:
 * precision 4, linewidth 80, threshold 1000, edgeitems 3):
 * `tensor([[ 1.0000, -0.5000], ...], requires_grad=True)`.
 */
import type { Tensor } from './tensor.js';

const PRECISION = 4;
const LINEWIDTH = 80;
const THRESHOLD = 1000;
const EDGE = 3;

interface Formatter {
  width: number;
  format(v: number): string;
}

function special(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/** Python's `'{:.4e}'`: a two-digit exponent at least. */
function sciStr(v: number): string {
  return Number.isFinite(v) ? v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2') : special(v);
}

/** PyTorch's `_Formatter`: the mode and width come from the nonzero finite values only. */
function formatter(values: readonly number[]): Formatter {
  const nz = values.filter((v) => Number.isFinite(v) && v !== 0);
  const intStr = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : special(v));
  if (nz.length === 0) return { width: 1, format: (v) => intStr(v).padStart(1) };
  const abs = nz.map(Math.abs);
  const absMax = Math.max(...abs);
  const absMin = Math.min(...abs);
  const intMode = nz.every((v) => Number.isInteger(v));
  const sci = absMax / absMin > 1000 || absMax > 1e8 || (!intMode && absMin < 1e-4);
  const str = sci ? sciStr : intMode ? intStr : (v: number) => (Number.isFinite(v) ? v.toFixed(PRECISION) : special(v));
  const width = nz.reduce((w, v) => Math.max(w, str(v).length), 1);
  return { width, format: (v) => str(v).padStart(width) };
}

/** Indices shown along a dim of size n (null = the `...` gap). */
function shownIndices(n: number, summarize: boolean): (number | null)[] {
  if (summarize && n > 2 * EDGE) {
    return [...Array.from({ length: EDGE }, (_, i) => i), null, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)];
  }
  return Array.from({ length: n }, (_, i) => i);
}

/** Python's `str(tuple(shape))`: `(2, 3)`, `(5,)`. */
function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** The `grad_fn` name PyTorch would print: `mul` -> `MulBackward0`. */
function gradFnName(name: string): string {
  if (/Backward\d*$/.test(name)) return name;
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}Backward0`;
}

/** `_add_suffixes`: a suffix that would pass the line width goes on its own line. */
function addSuffixes(body: string, suffixes: readonly string[], indent: number): string {
  const parts = [body];
  let lastLineLen = body.length - body.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLineLen + s.length + 2 > LINEWIDTH) {
      parts.push(`,\n${' '.repeat(indent)}${s}`);
      lastLineLen = indent + s.length;
    } else {
      parts.push(`, ${s}`);
      lastLineLen += s.length + 2;
    }
  }
  return `${parts.join('')})`;
}

export function formatTensor(t: Tensor): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const suffixes: string[] = [];
  let body: string;
  const shape = t.shape;
  if (t.isMeta) {
    suffixes.push("device='meta'", `size=${pyTuple(shape)}`);
    body = '...';
  } else if (t.numel() === 0) {
    if (shape.length !== 1) suffixes.push(`size=${pyTuple(shape)}`);
    body = '[]';
  } else {
    const data = t.data;
    const summarize = data.length > THRESHOLD;
    const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    // The formatter sees only the values that are shown (PyTorch's get_summarized_data).
    const shown: number[] = [];
    const collect = (off: number, depth: number): void => {
      if (depth === shape.length) {
        shown.push(data[off]!);
        return;
      }
      for (const i of shownIndices(shape[depth]!, summarize)) if (i !== null) collect(off + i * strides[depth]!, depth + 1);
    };
    collect(0, 0);
    const fmt = formatter(shown);
    const rec = (off: number, depth: number, ind: number): string => {
      const idx = shownIndices(shape[depth]!, summarize);
      if (depth === shape.length - 1) {
        const items = idx.map((i) => (i === null ? ' ...' : fmt.format(data[off + i]!)));
        const perLine = Math.max(1, Math.floor((LINEWIDTH - ind) / (fmt.width + 2)));
        const lines: string[] = [];
        for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
        return `[${lines.join(`,\n${' '.repeat(ind + 1)}`)}]`;
      }
      const parts = idx.map((i) => (i === null ? '...' : rec(off + i * strides[depth]!, depth + 1, ind + 1)));
      return `[${parts.join(`,${'\n'.repeat(shape.length - depth - 1)}${' '.repeat(ind + 1)}`)}]`;
    };
    body = shape.length === 0 ? fmt.format(data[0]!) : rec(0, 0, indent);
  }
  if (t.gradNode) suffixes.push(`grad_fn=<${gradFnName(t.gradNode.name)}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return addSuffixes(prefix + body, suffixes, indent);
}
