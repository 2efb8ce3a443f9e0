/** PyTorch-like printing: `tensor([[ 1.0000, -0.5000], ...], requires_grad=True)`. */
import type { Tensor } from './tensor.js';

function formatter(values: Float32Array): (v: number) => string {
  const finite = Array.from(values).filter((v) => Number.isFinite(v));
  const allInt = finite.every((v) => Number.isInteger(v));
  const absMax = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const absMin = finite.filter((v) => v !== 0).reduce((m, v) => Math.min(m, Math.abs(v)), Infinity);
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  if (allInt && absMax < 1e8) return (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : special(v));
  const sci = absMax >= 1e8 || (absMin !== Infinity && absMin < 1e-4) || (absMin !== Infinity && absMax / absMin > 1000 && absMax > 1e3);
  if (sci) return (v) => (Number.isFinite(v) ? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : special(v));
  return (v) => (Number.isFinite(v) ? v.toFixed(4) : special(v));
}

export function formatTensor(t: Tensor): string {
  const suffix: string[] = [];
  if (t.isMeta) return `tensor(..., size=(${t.shape.join(', ')}), device='meta')`;
  if (t.requiresGrad) suffix.push(t.gradNode ? `grad_fn=<${t.gradNode.name}>` : 'requires_grad=True');
  const data = t.data;
  if (data.length === 0) return `tensor([], size=(${t.shape.join(', ')}))`;
  const fmt = formatter(data);
  const strs = Array.from(data, fmt);
  const width = strs.reduce((w, s) => Math.max(w, s.length), 0);
  const padded = strs.map((s) => s.padStart(width));
  const shape = t.shape;
  const summarize = data.length > 1000;
  let pos = 0;
  const rec = (depth: number, indent: string): string => {
    if (depth === shape.length) return padded[pos++]!;
    const n = shape[depth]!;
    const parts: string[] = [];
    const edge = 3;
    for (let i = 0; i < n; i++) {
      if (summarize && n > 2 * edge && i === edge) {
        parts.push('...');
        const skip = n - 2 * edge;
        const per = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
        pos += skip * per;
        i += skip - 1;
        continue;
      }
      parts.push(rec(depth + 1, indent + ' '));
    }
    const sep = depth === shape.length - 1 ? ', ' : ',' + '\n'.repeat(shape.length - depth - 1) + indent + ' ';
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? padded[0]! : rec(0, '       ');
  return `tensor(${body}${suffix.length ? ', ' + suffix.join(', ') : ''})`;
}
