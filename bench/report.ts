/** The benchmark's table: medians, each peer's ratio to normkit at equal threads, normkit against the copy floor, and the targets. */
import type { OpName, Pass, Shape4 } from './cases.js';

/**
 * Where a forward pass's output goes: `fresh`, new memory per call (the
 * default everywhere); `reused`, the previous output's memory (normkit: the
 * previous output disposed, its storage recycled; onnxruntime: a pre-allocated
 * output tensor).
 */
export type Output = 'fresh' | 'reused';

export interface Row {
  op: OpName;
  pass: Pass;
  shape: Shape4;
  impl: 'normkit' | 'onnxruntime-node' | 'tfjs-wasm' | 'pytorch';
  threads: number;
  output: Output;
  medianMs: number;
}

const IMPLS: Row['impl'][] = ['normkit', 'onnxruntime-node', 'tfjs-wasm', 'pytorch'];
const OUTPUTS: Output[] = ['fresh', 'reused'];
const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

export function formatTable(
  rows: Row[],
  floors: { shape: Shape4; medianMs: number }[],
  meta: { bandwidthGBs: number; machine: string; torch: string | null; quick: boolean },
): string {
  const out: string[] = [];
  out.push('');
  out.push(`machine: ${meta.machine}${meta.quick ? ' (quick run: 1-3 samples per task; noisy)' : ''}`);
  out.push(`bandwidth floor: ${meta.bandwidthGBs.toFixed(1)} GB/s (Float32Array.set of the largest tensor, bytes read + written)`);
  const normkit = (r: Row) =>
    rows.find((n) => n.impl === 'normkit' && n.op === r.op && n.pass === r.pass && same(n.shape, r.shape) && n.threads === r.threads && n.output === r.output);
  const groups = [...new Set(rows.map((r) => `${r.op}|${r.pass}`))];
  for (const g of groups) {
    const [op, pass] = g.split('|');
    out.push('');
    out.push(`${op} ${pass}`);
    out.push(`  ${pad('shape', 20)}${pad('impl', 18)}${pad('output', 8)}${lpad('threads', 7)}${lpad('median ms', 11)}${lpad('vs normkit', 12)}${lpad('x floor', 9)}`);
    for (const f of floors) {
      const here = rows.filter((r) => `${r.op}|${r.pass}` === g && same(r.shape, f.shape));
      here.sort((a, b) => OUTPUTS.indexOf(a.output) - OUTPUTS.indexOf(b.output) || IMPLS.indexOf(a.impl) - IMPLS.indexOf(b.impl) || a.threads - b.threads);
      here.forEach((r, i) => {
        const nk = normkit(r);
        const ratio = nk ? `${(r.medianMs / nk.medianMs).toFixed(2)}x` : '-';
        const floor = r.impl === 'normkit' ? `${(r.medianMs / f.medianMs).toFixed(1)}x` : '';
        out.push(
          `  ${pad(i === 0 ? fmtShape(f.shape) : '', 20)}${pad(r.impl, 18)}${pad(r.output, 8)}${lpad(String(r.threads), 7)}${lpad(r.medianMs.toFixed(2), 11)}${lpad(ratio, 12)}${lpad(floor, 9)}`,
        );
      });
      if (here.length) out.push(`  ${pad('', 20)}${pad('(copy floor)', 18)}${lpad('1', 7)}${lpad(f.medianMs.toFixed(2), 11)}`);
    }
  }
  if (!meta.torch) out.push('', 'pytorch: absent (/usr/bin/python3 cannot import torch)');
  out.push('', ...targets(rows, floors));
  return out.join('\n');
}

/** The targets, each with what the run shows (forward targets for fresh and for reused outputs). */
function targets(rows: Row[], floors: { shape: Shape4; medianMs: number }[]): string[] {
  const out = ['targets (ratio = peer median / normkit median at equal threads and output mode):'];
  const find = (op: OpName, pass: Pass, impl: Row['impl'], shape: Shape4, threads: number, output: Output) =>
    rows.find((r) => r.op === op && r.pass === pass && r.impl === impl && same(r.shape, shape) && r.threads === threads && r.output === output);
  const check = (label: string, op: OpName, pass: Pass, peer: Row['impl'], threadsList: number[], need: number, output: Output) => {
    const parts: string[] = [];
    let ok = true;
    let any = false;
    for (const f of floors) {
      for (const t of threadsList) {
        const nk = find(op, pass, 'normkit', f.shape, t, output);
        const p = find(op, pass, peer, f.shape, t, output);
        if (!nk || !p) continue;
        any = true;
        const ratio = p.medianMs / nk.medianMs;
        ok &&= ratio >= need;
        parts.push(`${fmtShape(f.shape)}@${t}: ${ratio.toFixed(2)}x`);
      }
    }
    out.push(`  ${any ? (ok ? 'MET    ' : 'NOT MET') : 'NO DATA'} ${label}: ${parts.join(', ')}`);
  };
  for (const output of OUTPUTS) {
    check(`InstanceNorm2d forward >= 1.5x faster than onnxruntime-node (${output} outputs)`, 'InstanceNorm2d', 'forward', 'onnxruntime-node', [1, 2], 1.5, output);
  }
  check('InstanceNorm2d forward+backward >= 2x faster than tfjs-wasm', 'InstanceNorm2d', 'forward+backward', 'tfjs-wasm', [1], 2, 'fresh');
  const largest = floors.reduce((a, b) => (b.shape.reduce((x, y) => x * y) > a.shape.reduce((x, y) => x * y) ? b : a));
  for (const output of OUTPUTS) {
    const parts: string[] = [];
    let ok = true;
    for (const t of [1, 2]) {
      const nk = find('InstanceNorm2d', 'forward', 'normkit', largest.shape, t, output);
      if (!nk) continue;
      const share = nk.medianMs / largest.medianMs;
      ok &&= share <= 3;
      parts.push(`${t} thread${t > 1 ? 's' : ''}: ${share.toFixed(2)}x`);
    }
    out.push(
      `  ${parts.length ? (ok ? 'MET    ' : 'NOT MET') : 'NO DATA'} largest shape ${fmtShape(largest.shape)} InstanceNorm2d forward within 3x of the copy floor (${output} output): ${parts.join(', ')}`,
    );
  }
  return out;
}

/**
 * The same results as Markdown tables (for the README): medians in ms, peers
 * with their ratio to normkit at equal threads. First every pass with fresh
 * outputs, then the forward passes with reused output memory.
 */
export function formatMarkdown(rows: Row[], floors: { shape: Shape4; medianMs: number }[], meta: { bandwidthGBs: number; machine: string; date: string }): string {
  type Col = [Row['impl'], number, string];
  const fresh: Col[] = [
    ['normkit', 1, 'normkit 1T'],
    ['normkit', 2, 'normkit 2T'],
    ['onnxruntime-node', 1, 'onnxruntime 1T'],
    ['onnxruntime-node', 2, 'onnxruntime 2T'],
    ['tfjs-wasm', 1, 'tfjs-wasm 1T'],
    ['pytorch', 1, 'PyTorch 1T'],
    ['pytorch', 2, 'PyTorch 2T'],
  ];
  const reused: Col[] = fresh.slice(0, 4);
  const table = (output: Output, cols: Col[]): string[] => {
    const lines = [`| op | pass | shape | ${cols.map((c) => c[2]).join(' | ')} | copy floor |`, `|${' --- |'.repeat(cols.length + 4)}`];
    const mine = rows.filter((r) => r.output === output);
    const keys = [...new Set(mine.map((r) => `${r.op}|${r.pass}`))];
    for (const key of keys) {
      for (const f of floors) {
        const here = mine.filter((r) => `${r.op}|${r.pass}` === key && same(r.shape, f.shape));
        if (!here.length) continue;
        const cell = ([impl, threads]: Col) => {
          const r = here.find((x) => x.impl === impl && x.threads === threads);
          if (!r) return '-';
          const nk = here.find((x) => x.impl === 'normkit' && x.threads === threads);
          return impl === 'normkit' || !nk ? r.medianMs.toFixed(2) : `${r.medianMs.toFixed(2)} (${(r.medianMs / nk.medianMs).toFixed(2)}x)`;
        };
        const [op, pass] = key.split('|');
        lines.push(`| ${op} | ${pass} | ${fmtShape(f.shape)} | ${cols.map(cell).join(' | ')} | ${f.medianMs.toFixed(2)} |`);
      }
    }
    return lines;
  };
  return [
    `${meta.machine}, ${meta.date}; copy floor ${meta.bandwidthGBs.toFixed(1)} GB/s. Median ms; (ratio) = peer / normkit at equal threads, tfjs against normkit 1T.`,
    '',
    'Fresh outputs (every call allocates its output):',
    '',
    ...table('fresh', fresh),
    '',
    "Reused outputs (forward passes; normkit disposes the previous output and the next takes its memory, onnxruntime writes into a pre-allocated output tensor):",
    '',
    ...table('reused', reused),
  ].join('\n');
}
