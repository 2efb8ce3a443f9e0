/**
 * Human-readable rendering of an analysis, its fixes and a sweep: the module
 * table with shapes and norm verdicts, the failure with its cause chain, the
 * verified fixes. Colours come from the caller (picocolors, on or off).
 */
import type picocolors from 'picocolors';
import { chainBlocks } from './cause.js';
import { SIZE_SEARCH_MAX } from './fixes.js';
import type { Analysis, CauseStep, Fix, ModuleRecord, NormReport, SweepResult } from './types.js';

export type Colors = ReturnType<typeof picocolors.createColors>;

const shapeText = (s: readonly number[] | null) => (s === null ? '-' : s.join('x'));
const where = (p: string) => (p === '' ? '(root)' : p);

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function verdictText(n: NormReport, c: Colors): string {
  switch (n.verdict) {
    case 'ok':
      return c.green('ok') + c.dim(n.valuesPerStatistic !== null ? `  ${n.valuesPerStatistic} values/statistic` : n.usesInputStats === false ? '  running statistics' : '');
    case 'raises':
      return c.red(c.bold('RAISES'));
    case 'degenerate':
      return c.yellow(c.bold('DEGENERATE')) + c.dim(n.constantSince !== undefined ? `  constant since ${where(n.constantSince)}` : '');
    case 'fallback':
      return c.cyan('fallback') + c.dim('  passes input through');
  }
}

function statusText(r: ModuleRecord, c: Colors): string {
  if (r.norm) return verdictText(r.norm, c);
  if (r.status === 'raised') return c.red(c.bold('RAISES'));
  if (r.spatiallyConstant && r.leaf && r.outputShape && r.outputShape.length > 2 && r.outputShape.slice(2).some((d) => d > 1)) return c.dim('constant planes');
  return '';
}

/** The module table: one row per module call (the root left out), in execution order. */
export function renderTable(a: Analysis, c: Colors): string[] {
  const rows = a.modules.filter((r) => r.path !== '' || (r.leaf && r.node !== undefined));
  const head = ['path', 'module', 'input', 'output'];
  // Modules by PyTorch path; functional nodes (add, cat, ONNX's shape arithmetic) by their node's name.
  const label = (r: ModuleRecord) => (r.kind === 'function' ? r.node ?? where(r.path) : where(r.path));
  const cells = rows.map((r) => [label(r), r.type, shapeText(r.inputShape), r.status === 'ok' ? shapeText(r.outputShape) : '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const lines = [c.bold(head.map((h, i) => pad(h, widths[i]!)).join('  ') + '  norm / note')];
  rows.forEach((r, k) => {
    const row = cells[k]!.map((v, i) => pad(v, widths[i]!)).join('  ');
    const text = r.status === 'raised' ? c.red(row) : r.leaf ? row : c.dim(row);
    lines.push(`${text}  ${statusText(r, c)}`.trimEnd());
  });
  return lines;
}

const parentOf = (p: string) => (p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '');

/** The chain's rows: a block whose size changes cancel (chainBlocks) is one row with the block's net change. */
export function chainRows(chain: readonly CauseStep[]): { path: string; type: string; size: string; shrank: boolean; because: string }[] {
  const sz = (s: readonly number[]) => s.join('x');
  return chainBlocks(chain).map(({ steps, cancels }) => {
    const s = steps[0]!;
    if (!cancels) return { path: where(s.path), type: s.type, size: `${sz(s.before)} -> ${sz(s.after)}`, shrank: s.change === 'shrank', because: s.because.join(', ') };
    const parent = parentOf(s.path);
    const through = steps.map((x) => sz(x.after)).slice(0, -1).join(' -> ');
    return {
      path: parent === '' ? `${where(s.path)}..${steps[steps.length - 1]!.path}` : parent,
      type: steps.map((x) => x.type).join(' + '),
      size: `${sz(s.before)} -> ${sz(s.before)}`,
      shrank: false,
      because: `no net change (${sz(s.before)} -> ${through} -> ${sz(s.before)})`,
    };
  });
}

/** "3, 6, 9" or, for many, "3, 6, 9, ..., 39 (13 layers)". */
export function pathList(paths: readonly string[]): string {
  const ps = paths.map(where);
  return ps.length <= 4 ? ps.join(', ') : `${ps.slice(0, 3).join(', ')}, ..., ${ps[ps.length - 1]} (${ps.length} layers)`;
}

/** A fix's changes, identical ones grouped: "InstanceNorm2d(num_features=64) at 3, 6, 9, ..., 39 (13 layers) -> GroupNorm(...)". */
export function changeLines(changes: Fix['changes']): string[] {
  const groups = new Map<string, { from: string; to: string; paths: string[] }>();
  for (const ch of changes) {
    const key = `${ch.from}\u0000${ch.to}`;
    const g = groups.get(key) ?? { from: ch.from, to: ch.to, paths: [] };
    g.paths.push(ch.path);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => (g.paths.length === 1 ? `${where(g.paths[0]!)}: ${g.from} -> ${g.to}` : `${g.from} at ${pathList(g.paths)} -> ${g.to}`));
}

export function renderFailure(a: Analysis, c: Colors): string[] {
  const f = a.failure;
  if (f === null) return [];
  const lines = [
    c.red(c.bold(`Fails: ${f.error.type} in ${f.type} at ${where(f.path)}`)),
    `  ${f.error.type}: ${f.error.message}`,
    `  ${f.explanation}`,
  ];
  if (f.chain.length) {
    lines.push(c.bold('  Cause chain (layers that resized the map on the way):'));
    const rows = chainRows(f.chain);
    const w = Math.max(...rows.map((r) => r.path.length));
    const t = Math.max(...rows.map((r) => r.type.length));
    const z = Math.max(...rows.map((r) => r.size.length));
    for (const r of rows) lines.push(`    ${pad(r.path, w)}  ${pad(r.type, t)}  ${r.shrank ? c.yellow(pad(r.size, z)) : pad(r.size, z)}  ${r.because}`.trimEnd());
  }
  return lines;
}

export function renderNormNotes(a: Analysis, c: Colors): string[] {
  const bad = a.norms.filter((n) => n.verdict === 'degenerate' || n.verdict === 'fallback');
  if (!bad.length) return [];
  const lines: string[] = [];
  for (const n of bad) {
    const tag = n.verdict === 'degenerate' ? c.yellow(c.bold('Degenerate')) : c.cyan(c.bold('Fallback'));
    lines.push(`${tag}: ${n.type} at ${where(n.path)} (${shapeText(n.inputShape)}): ${n.reason}.`);
  }
  if (bad.some((n) => n.verdict === 'degenerate')) lines.push(c.dim('  PyTorch runs this without a word; normkit flags it because learning stops at that layer.'));
  return lines;
}

export function renderFixes(fixes: readonly Fix[], c: Colors): string[] {
  if (!fixes.length) return [];
  const lines = [c.bold('Fixes (each one applied and re-analyzed: the model then runs with healthy statistics):')];
  for (const f of fixes) {
    lines.push(`  ${f.rank}. ${c.green(f.title)}`);
    const titled = ['stride', 'padding', 'pooling'].includes(f.kind) || f.changes.every((ch) => f.title.includes(ch.to));
    if (f.changes.length > 1 || !titled) {
      for (const l of changeLines(f.changes)) lines.push(c.dim(`       ${l}`));
    }
    const extra = f.verified.fallbacks.length ? `, falls back at ${f.verified.fallbacks.join(', ')}` : '';
    const v = f.verified;
    const size = v.keepsInputSize === false && v.outputShape !== null
      ? ` (not the input's ${v.inputShape.slice(2).join('x')}: the output is ${v.outputShape.slice(2).join('x')}, so an L1 or cycle loss against the input breaks)`
      : v.keepsInputSize === true ? ' (the input\'s size)' : '';
    lines.push(c.dim(`     verified: runs at ${shapeText(v.inputShape)}, output ${shapeText(v.outputShape)}${size}${extra}`));
    if (f.caveat) lines.push(c.dim(`     caveat: ${f.caveat}`));
  }
  return lines;
}

const MARK = { ok: '.', degenerate: 'd', fallback: 'f', raises: 'x' } as const;

export function renderSweep(s: SweepResult, c: Colors): string[] {
  const lines = [c.bold(`Sweep (${s.axis} ${s.from}..${s.to}, ${s.mode} mode): runs at ${s.summary}; smallest working size ${s.smallestWorkingSize ?? 'none'}`)];
  const marks = s.points.map((p) => (p.outcome === 'raises' ? c.red(MARK.raises) : p.outcome === 'ok' ? c.green(MARK.ok) : c.yellow(MARK[p.outcome])));
  // 64 sizes a line, each line led by its first size.
  const width = String(s.to).length;
  for (let k = 0; k < marks.length; k += 64) lines.push(`  ${marks.length > 64 ? `${String(s.from + k).padStart(width)} ` : ''}${marks.slice(k, k + 64).join('')}`);
  lines.push(c.dim(`  (one mark per size from ${s.from}: . ok, x raises, d degenerate, f falls back)`));
  // Runs of sizes with the same outcome and the same raising module.
  let i = 0;
  while (i < s.points.length) {
    const p = s.points[i]!;
    const key = (q: typeof p) => `${q.outcome}|${q.raisedIn?.path ?? ''}|${q.error?.type ?? ''}|${(q.degenerateAt ?? []).join(',')}`;
    let j = i;
    while (j + 1 < s.points.length && key(s.points[j + 1]!) === key(p)) j++;
    const range = i === j ? `${p.size}` : `${p.size}..${s.points[j]!.size}`;
    const what =
      p.outcome === 'raises'
        ? `${p.error?.type} in ${p.raisedIn?.type} at ${where(p.raisedIn?.path ?? '')}`
        : p.outcome === 'degenerate'
          ? `runs, degenerate at ${p.degenerateAt?.join(', ')}`
          : p.outcome === 'fallback'
            ? 'runs, with a FlexibleInstanceNorm falling back'
            : 'runs';
    lines.push(`  ${pad(range, 9)} ${p.outcome === 'raises' ? c.red(what) : p.outcome === 'ok' ? c.green(what) : c.yellow(what)}`);
    i = j + 1;
  }
  return lines;
}

/** Why no fix was found, in the failure's own terms. */
function noFixReason(a: Analysis): string {
  switch (a.failure?.kind) {
    case 'rank':
      return a.failure.inputShape !== null && a.failure.inputShape.join() === a.inputShape.join()
        ? `the input ${a.inputShape.join('x')} has ${a.inputShape.length} dims, and ${a.failure.type} at ${where(a.failure.path)} needs others: give it the batch and channel dims (N and C) it expects (NxCxL for 1-d layers, NxCxHxW for 2-d ones)`
        : `${a.failure.type} at ${where(a.failure.path)} receives ${a.failure.inputShape?.join('x') ?? 'an input'} with the wrong number of dims: the layer before it must change (a Flatten, a view) by hand`;
    case 'channels':
      return 'a layer was built for other sizes than it receives: change its arguments (or the layer before it) by hand';
    case 'mismatch':
      return 'the paths into the failing node give tensors of different sizes at every input size tried: change a layer on one path by hand';
    case 'other':
      return `normkit has no automatic change for this ${a.failure.error.type} in ${a.failure.type} at ${where(a.failure.path)}: it needs a change by hand`;
    default:
      return `no square input size from 1 to ${SIZE_SEARCH_MAX}, no larger batch, no replaced norm and no change of the layers named above makes it run with healthy statistics: they need a change by hand`;
  }
}

/** The whole human report. `fixes` null: the search was not run (--no-fixes). */
export function renderReport(a: Analysis, fixes: readonly Fix[] | null, c: Colors, sweepResult?: SweepResult): string[] {
  const lines = [...renderTable(a, c), ''];
  if (a.failure) lines.push(...renderFailure(a, c), '');
  const notes = renderNormNotes(a, c);
  if (notes.length) lines.push(...notes, '');
  const fallbacks = a.norms.filter((n) => n.verdict === 'fallback');
  if (!a.failure && !a.degenerate) {
    const n = a.norms.length;
    const norms = `${n} normalization layer${n === 1 ? '' : 's'}`;
    if (fallbacks.length) {
      lines.push(c.cyan(c.bold(`Runs: output ${shapeText(a.outputShape)}; ${norms}, ${fallbacks.length} of them falling back (no normalization at ${fallbacks.map((f) => where(f.path)).join(', ')}).`)), '');
    } else lines.push(c.green(c.bold(`Runs: output ${shapeText(a.outputShape)}; ${norms}, all with usable statistics.`)), '');
  }
  const needsFix = a.failure !== null || a.degenerate || fallbacks.length > 0;
  if (fixes === null) {
    if (needsFix) lines.push(c.dim('Fixes not searched (--no-fixes).'), '');
  } else if (fixes.length) lines.push(...renderFixes(fixes, c), '');
  else if (needsFix) lines.push(c.dim(`No automatic fix verified: ${noFixReason(a)}.`), '');
  if (sweepResult) lines.push(...renderSweep(sweepResult, c), '');
  return lines;
}
