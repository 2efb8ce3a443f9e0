/**
 * Fixes for a failing or degenerate model, ranked and concrete for the layer
 * at fault. Every fix is applied (to the input shapes, or as an edit of a copy
 * of the model's graph: a module node replaced) and re-analyzed: only fixes
 * under which the model runs with no degenerate norm are offered. Ranking:
 * input size, replacing the norm, changing the layers that shrank the map,
 * trackRunningStats (eval), FlexibleInstanceNorm.
 */
import type { Graph } from '../graph/graph.js';
import type { Module } from '../nn/module.js';
import { analyzeGraph, analyzeIfHealthy, graphOf } from './analyze.js';
import { describeNode, specAt, withArgs, withModule, type ModuleSpec } from './graph_edit.js';
import { describeSizes } from './sweep.js';
import type { Analysis, Fix, FixKind, Mode } from './types.js';
import { withFirstShape } from './input_shapes.js';

type SpecNode = ModuleSpec;

type Change = Fix['changes'][number];
interface Attempt {
  kind: FixKind;
  title: string;
  changes: Change[];
  caveat?: string;
  inputShape: number[];
  result: Analysis;
}


type Args = Record<string, unknown>;
const argsOf = (n: SpecNode): Args => n.args ?? {};
const moduleOf = (n: SpecNode): string => n.module;
const where = (p: string) => (p === '' ? 'the root' : p);
const MAX_EDITS = 64;

function succeeded(a: Analysis, allowFallback: boolean): boolean {
  return a.runs && !a.degenerate && (allowFallback || a.norms.every((n) => n.verdict !== 'fallback'));
}

/** The normalization layer to change: the one that raised, else the first degenerate one. */
function culprit(a: Analysis): string | null {
  if (a.failure) return a.norms.some((n) => n.path === a.failure!.path) ? a.failure.path : null;
  return a.norms.find((n) => n.verdict === 'degenerate')?.path ?? a.norms.find((n) => n.verdict === 'fallback')?.path ?? null;
}

/** The model needs a fix: it raises, a norm is degenerate, or a FlexibleInstanceNorm passes its input through. */
export function needsFix(a: Analysis): boolean {
  return !a.runs || a.degenerate || a.norms.some((n) => n.verdict === 'fallback');
}

/** Groups for a GroupNorm over C channels: at least 4 channels per group where possible, at most 32 groups. */
export function pickGroups(C: number): number {
  for (let g = Math.min(32, Math.floor(C / 4)); g > 1; g--) if (C % g === 0) return g;
  return 1;
}

function channelsOf(node: SpecNode): number | null {
  const a = argsOf(node);
  const c = a['num_features'] ?? a['num_channels'];
  return typeof c === 'number' ? c : null;
}

/** The norm's own affine setting (PyTorch defaults: InstanceNorm false, the others true). */
function affineOf(node: SpecNode): boolean {
  const a = argsOf(node);
  if (typeof a['affine'] === 'boolean') return a['affine'];
  if (typeof a['elementwise_affine'] === 'boolean') return a['elementwise_affine'];
  return !/InstanceNorm/.test(moduleOf(node));
}

/**
 * Applies `edit` to the culprit, re-analyzes, and repeats on the next culprit
 * (a collapsing encoder fails at every later norm too) until the model works,
 * or `edit` has nothing to offer.
 */
function iterate(
  graph: Graph,
  start: Analysis,
  mode: Mode,
  pick: (a: Analysis) => string | null,
  edit: (node: SpecNode, path: string) => SpecNode | null,
  allowFallback: boolean,
): { graph: Graph; changes: Change[]; result: Analysis } | null {
  let cur = graph;
  let a = start;
  const changes: Change[] = [];
  const done = new Set<string>();
  for (let i = 0; i < MAX_EDITS; i++) {
    const path = pick(a);
    if (path === null || done.has(path)) return null;
    done.add(path);
    const old = specAt(cur, path);
    if (old === undefined) return null;
    const next = edit(old, path);
    if (next === null) return null;
    try {
      cur = withModule(cur, path, next);
    } catch {
      return null; // the edited module cannot be built (e.g. groups that do not divide the channels)
    }
    const keys = moduleOf(next) === moduleOf(old) ? Object.keys(argsOf(next)).filter((k) => JSON.stringify(argsOf(next)[k]) !== JSON.stringify(argsOf(old)[k])) : undefined;
    changes.push({ path, from: describeNode(old, keys), to: describeNode(next, keys), node: next });
    a = analyzeGraph(cur, start.inputShapes, mode);
    if (succeeded(a, allowFallback)) return { graph: cur, changes, result: a };
  }
  return null;
}

function listPaths(changes: Change[]): string {
  return changes.map((c) => c.path).join(', ');
}

/** "InstanceNorm2d at 4, 7, BatchNorm2d at 9": the replaced layers, grouped by type. */
function byType(changes: Change[]): string {
  const groups = new Map<string, string[]>();
  for (const c of changes) {
    const t = c.from.slice(0, c.from.indexOf('('));
    groups.set(t, [...(groups.get(t) ?? []), where(c.path)]);
  }
  return [...groups].map(([t, ps]) => `${t} at ${ps.length <= 4 ? ps.join(', ') : `${ps.slice(0, 3).join(', ')}, ..., ${ps[ps.length - 1]} (${ps.length} layers)`}`).join(', ');
}

/** "Conv2d at 12: stride=(2, 2) -> stride=1", or "MaxPool2d(kernel_size=2) at 3 -> Identity()". */
function changeText(c: Change): string {
  const type = (s: string) => s.slice(0, s.indexOf('('));
  const inner = (s: string) => s.slice(s.indexOf('(') + 1, -1);
  if (type(c.from) === type(c.to)) return `${type(c.from)} at ${where(c.path)}: ${inner(c.from)} -> ${inner(c.to)}`;
  return `${c.from} at ${where(c.path)} -> ${c.to}`;
}

// ---- input size -------------------------------------------------------------

function inputSizeFixes(graph: Graph, a: Analysis): Attempt[] {
  const shape = a.inputShape;
  const mode = a.mode;
  const at = (s: number[]) => analyzeGraph(graph, withFirstShape(a, s), mode);
  if (a.failure && ['channels', 'rank', 'other'].includes(a.failure.kind)) return [];
  const out: Attempt[] = [];
  if (a.failure?.error.message.includes('value per channel') && shape.length >= 2) {
    for (let n = shape[0]! + 1; n <= shape[0]! + 16; n++) {
      const s = [n, ...shape.slice(1)];
      const r = at(s);
      if (succeeded(r, false)) {
        const dropLast = shape[0] === 1 ? '; if a DataLoader\'s last batch is the one of 1, drop it (DataLoader(..., drop_last=True)), or run that branch in eval mode' : '';
        out.push({ kind: 'input-size', title: `Use a batch of ${n} or more (input ${s.join('x')})`, changes: [], inputShape: s, result: r, caveat: `statistics over the batch need more than one value per channel; a batch of 1 works only in eval mode with running statistics${dropLast}` });
        break;
      }
    }
  }
  const spatial = shape.slice(2);
  if (spatial.length === 0) return out;
  // Most sizes fail: a search over a thousand of them stops each at its first finding.
  out.push(...spatialSizeFix(shape, (s) => analyzeIfHealthy(graph, withFirstShape(a, s), mode)));
  return out;
}

/** The size search always covers 1..1024 (and twice the input); once a working size f is found, up to 4f, to show the next one of a periodic set. */
export const SIZE_SEARCH_MIN = 1024;
/** Where the search for a first working size gives up. */
export const SIZE_SEARCH_MAX = 4096;

/**
 * Every size from 1 up to the search limit, analyzed (shape-only, so cheap):
 * the limit is the larger of 1024, twice the input and 4x the smallest
 * working size (a U-Net of depth d works at multiples of 2^d: the next one is
 * then in range), and the first working size is looked for up to 4096.
 */
export function searchSizes(works: (k: number) => boolean, inputSize: number): { works: number[]; to: number } {
  const found: number[] = [];
  let to = Math.max(SIZE_SEARCH_MIN, Math.min(2 * inputSize, 2 * SIZE_SEARCH_MAX));
  for (let k = 1; k <= to; k++) {
    if (works(k)) {
      if (found.length === 0) to = Math.max(to, 4 * k);
      found.push(k);
    } else if (found.length === 0 && k === to && to < SIZE_SEARCH_MAX) to = SIZE_SEARCH_MAX;
  }
  return { works: found, to };
}

/** Sizes in words with the range searched: "every size from 17 to 1024 works (sizes 1..1024 searched)". */
function sizesClaim(works: number[], to: number, noun: string): string {
  const first = works[0]!;
  if (works.length === to - first + 1) return `every ${noun} from ${first} to ${to} works (${noun}s 1..${to} searched)`;
  return `of ${noun}s 1..${to}, these work: ${describeSizes(works)}`;
}

/** `at(s)`: the analysis at shape `s` when the model works there with healthy statistics, else null. */
function spatialSizeFix(shape: number[], at: (s: number[]) => Analysis | null): Attempt[] {
  const spatial = shape.slice(2);
  const lead = shape.slice(0, 2);
  const square = spatial.every((d) => d === spatial[0]);
  const noun = spatial.length === 1 ? 'length' : 'size';
  if (square) {
    const cur = spatial[0]!;
    const of = (k: number) => [...lead, ...spatial.map(() => k)];
    const results = new Map<number, Analysis>();
    const { works, to } = searchSizes((k) => {
      const r = at(of(k));
      if (r !== null) results.set(k, r);
      return r !== null;
    }, cur);
    if (works.length === 0) return [];
    // The nearest working size above the input, else the largest below it.
    const t = works.find((k) => k > cur) ?? works[works.length - 1]!;
    const s = of(t);
    const dims = spatial.map(() => t).join('x');
    const interval = works.length === to - works[0]! + 1;
    const what = spatial.length === 1 ? `a length of ${interval && t === works[0] ? 'at least ' : ''}${t}` : `an input of ${interval && t === works[0] ? 'at least ' : ''}${dims}`;
    const out: Attempt[] = [{ kind: 'input-size', title: `Use ${what} (${s.join('x')}): ${sizesClaim(works, to, noun)}`, changes: [], inputShape: s, result: results.get(t)!, caveat: 'resize or pad your data to this size' }];
    // An image-to-image model (the output a map with the input's rank and channels): also the sizes whose output keeps the input's size.
    const keep = (k: number) => {
      const o = results.get(k)!.outputShape;
      return o !== null && o.length === shape.length && o[1] === shape[1] && o.slice(2).every((d) => d === k);
    };
    const mapOut = works.every((k) => {
      const o = results.get(k)!.outputShape;
      return o !== null && o.length === shape.length && o[1] === shape[1];
    });
    if (mapOut && !keep(t)) {
      const keeps = works.filter(keep);
      const t2 = keeps.find((k) => k > cur) ?? keeps[keeps.length - 1];
      if (t2 !== undefined) {
        const s2 = of(t2);
        out.push({
          kind: 'input-size',
          title: `Use ${spatial.length === 1 ? `a length of ${t2}` : `an input of ${spatial.map(() => t2).join('x')}`} (${s2.join('x')}), where the output keeps the input's size: of ${noun}s 1..${to}, these do: ${describeSizes(keeps)}`,
          changes: [],
          inputShape: s2,
          result: results.get(t2)!,
          caveat: 'resize or pad your data to this size',
        });
      }
    }
    return out;
  }
  // Not square: raise every spatial dim to at least t, for t up to the limit.
  const limit = Math.max(SIZE_SEARCH_MIN, 2 * Math.max(...spatial));
  for (let t = Math.min(...spatial) + 1; t <= limit; t++) {
    const s = [...lead, ...spatial.map((d) => Math.max(d, t))];
    const r = at(s);
    if (r === null) continue;
    return [{ kind: 'input-size', title: `Use an input of ${s.slice(2).join('x')} (${s.join('x')}): the first that works raising every spatial dim to at least t, for t from ${Math.min(...spatial) + 1} to ${limit}`, changes: [], inputShape: s, result: r, caveat: 'resize or pad your data to this size' }];
  }
  return [];
}

// ---- an input without its batch and channel dims -------------------------------

/**
 * The first layer receives the input with too few dims (`--input 64x64` for a
 * Conv2d): add the batch dim, and the channels the first layer takes, and
 * re-analyze.
 */
function rankFixes(graph: Graph, a: Analysis): Attempt[] {
  const f = a.failure;
  if (f?.kind !== 'rank' || f.inputShape === null || f.inputShape.join() !== a.inputShape.join()) return [];
  const first = graph.nodes[0];
  const c = first?.attrs['in_channels'] ?? first?.attrs['num_features'] ?? first?.attrs['num_channels'];
  const shape = a.inputShape;
  const tries: number[][] = typeof c === 'number' ? [[1, c, ...shape], [2, c, ...shape], [1, ...shape], [2, ...shape], [c, ...shape]] : [[1, ...shape], [2, ...shape]];
  for (const s of tries) {
    const r = analyzeGraph(graph, withFirstShape(a, s), a.mode);
    if (!succeeded(r, false)) continue;
    const added = s.length - shape.length === 2 ? 'batch and channel dims (N and C)' : s[0] === 1 ? 'batch dim (N)' : 'channel dim (C)';
    const title = `Give the input its ${added}: ${s.join('x')} instead of ${shape.join('x')} (${f.type} at ${where(f.path)} takes ${s.length}-d input)`;
    return [{ kind: 'input-size', title, changes: [], inputShape: s, result: r, caveat: 'the batch size (first dim) is yours to choose' }];
  }
  return [];
}

// ---- norm replacements --------------------------------------------------------

function groupNormFor(node: SpecNode, groups: (C: number) => number): SpecNode | null {
  if (!/^(InstanceNorm\dd|BatchNorm\dd|FlexibleInstanceNorm|GroupNorm)$/.test(moduleOf(node))) return null;
  const C = channelsOf(node);
  if (C === null) return null;
  const g = groups(C);
  if (moduleOf(node) === 'GroupNorm' && argsOf(node)['num_groups'] === g) return null;
  const eps = argsOf(node)['eps'];
  return { module: 'GroupNorm', args: { num_groups: g, num_channels: C, ...(typeof eps === 'number' ? { eps } : {}), affine: affineOf(node) } };
}

function replaceNormFixes(graph: Graph, a: Analysis): Attempt[] {
  const out: Attempt[] = [];
  const variants: { label: string; edit: (n: SpecNode) => SpecNode | null; caveat: string }[] = [
    {
      label: 'GroupNorm',
      edit: (n) => groupNormFor(n, pickGroups),
      caveat: 'statistics run over groups of channels (and positions) instead of one channel at a time; affine weights keep their shape, but retrain',
    },
    {
      label: 'GroupNorm with one group (LayerNorm over channels and positions)',
      edit: (n) => (pickGroups(channelsOf(n) ?? 1) === 1 ? null : groupNormFor(n, () => 1)),
      caveat: 'one mean and variance per sample over all channels and positions; retrain',
    },
    {
      label: 'no normalization (Identity)',
      edit: () => ({ module: 'Identity' }),
      caveat: 'these layers stop normalizing: training may need a lower learning rate or become less stable',
    },
  ];
  for (const v of variants) {
    const r = iterate(graph, a, a.mode, culprit, (n) => v.edit(n), false);
    if (r === null) continue;
    const olds = byType(r.changes);
    const label = v.label === 'GroupNorm' ? [...new Set(r.changes.map((c) => c.to))].join(' / ') : v.label;
    out.push({ kind: 'replace-norm', title: `Replace ${olds} with ${label}`, changes: r.changes, caveat: v.caveat, inputShape: a.inputShape, result: r.result });
  }
  return out;
}

// ---- layers that shrank the map ---------------------------------------------

const isConv = (n: SpecNode) => /^Conv\dd$/.test(moduleOf(n));
const isPool = (n: SpecNode) => /^(Max|Avg)Pool\dd$/.test(moduleOf(n));
const isAdaptive = (n: SpecNode) => /^Adaptive(Avg|Max)Pool\dd$/.test(moduleOf(n));

const nums = (v: unknown, dflt: number): number[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? (v as number[]) : [dflt]);

/** The edit that stops a layer from shrinking the map, with its kind; null if there is none. */
function unshrink(n: SpecNode): { kind: FixKind; node: SpecNode } | null {
  const a = argsOf(n);
  if (isConv(n)) {
    if (nums(a['stride'], 1).some((s) => s > 1)) return { kind: 'stride', node: withArgs(n, { stride: 1 }) };
    const k = nums(a['kernel_size'], 1);
    const d = nums(a['dilation'], 1);
    const p = typeof a['padding'] === 'string' ? null : nums(a['padding'], 0);
    if (p === null) return null;
    const need = k.map((kk, i) => Math.ceil(((d[i] ?? d[0]!) * (kk - 1)) / 2));
    if (need.some((v, i) => v > (p[i] ?? p[0]!))) return { kind: 'padding', node: withArgs(n, { padding: need.length === 1 ? need[0] : need }) };
    return null;
  }
  if (isPool(n)) return { kind: 'pooling', node: { module: 'Identity' } };
  if (isAdaptive(n) && nums(a['output_size'], 0).every((s) => s === 1)) return { kind: 'pooling', node: withArgs(n, { output_size: 2 }) };
  return null;
}

const CHAIN_CAVEATS: Partial<Record<FixKind, string>> = {
  stride: 'the layer no longer downsamples: later maps are larger (more compute and memory)',
  pooling: 'less pooling: later maps are larger (more compute and memory)',
};

/** What more padding does to each edited layer's map, from the re-analysis (k=4 with padding 2 grows it by one). */
function paddingCaveat(changes: Change[], result: Analysis): string {
  const effects = changes.map((ch) => {
    const r = result.modules.find((m) => m.path === ch.path && m.kind === 'module');
    const before = r?.inputShape?.slice(2);
    const after = r?.outputShape?.slice(2);
    if (!before || !after) return null;
    if (before.join() === after.join()) return `${where(ch.path)} keeps the size of its input`;
    const d = after.map((v, i) => v - before[i]!);
    const grow = d.every((v) => v > 0);
    return `${where(ch.path)} now ${grow ? 'grows' : 'changes'} the map (${before.join('x')} -> ${after.join('x')})`;
  });
  return `more border padding: ${effects.filter((e) => e !== null).join('; ') || 'the layers lose less of the map'}`;
}

function chainFixes(graph: Graph, a: Analysis): Attempt[] {
  const starts = a.failure
    ? [...a.failure.chain].reverse().filter((c) => c.change === 'shrank').map((c) => c.path)
    : a.norms.filter((n) => n.verdict === 'degenerate' && n.constantSince !== undefined).map((n) => n.constantSince!);
  const out: Attempt[] = [];
  const seen = new Set<string>();
  for (const start of [...new Set(starts)]) {
    const edited = new Set<string>();
    // First the chosen layer, then (if the map still collapses further on) the latest shrinking layer of the new chain.
    const pick = (r: Analysis): string | null => {
      if (edited.size === 0) return start;
      const chain = r.failure?.chain ?? [];
      return [...chain].reverse().find((c) => {
        const n = specAt(graph, c.path);
        return c.change === 'shrank' && !edited.has(c.path) && n !== undefined && unshrink(n) !== null;
      })?.path ?? null;
    };
    const r = iterate(graph, a, a.mode, pick, (n, path) => {
      edited.add(path);
      return unshrink(n)?.node ?? null;
    }, false);
    if (r === null) continue;
    const key = r.changes.map((c) => `${c.path}:${c.to}`).join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    const kind = unshrink(specAt(graph, r.changes[0]!.path)!)!.kind;
    out.push({
      kind,
      title: r.changes.map(changeText).join('; '),
      changes: r.changes,
      caveat: kind === 'padding' ? paddingCaveat(r.changes, r.result) : CHAIN_CAVEATS[kind],
      inputShape: a.inputShape,
      result: r.result,
    });
    if (out.length >= 2) break;
  }
  return out.sort((x, y) => x.changes.length - y.changes.length);
}

// ---- a layer built for other channel counts ----------------------------------

/** The argument that says how many channels (features) a module takes, and the input dim it must match. */
const FEATURE_ARG: Record<string, [string, 'channels' | 'last']> = {
  InstanceNorm1d: ['num_features', 'channels'], InstanceNorm2d: ['num_features', 'channels'], InstanceNorm3d: ['num_features', 'channels'],
  BatchNorm1d: ['num_features', 'channels'], BatchNorm2d: ['num_features', 'channels'], BatchNorm3d: ['num_features', 'channels'],
  FlexibleInstanceNorm: ['num_features', 'channels'], GroupNorm: ['num_channels', 'channels'],
  Conv1d: ['in_channels', 'channels'], Conv2d: ['in_channels', 'channels'], Conv3d: ['in_channels', 'channels'],
  ConvTranspose1d: ['in_channels', 'channels'], ConvTranspose2d: ['in_channels', 'channels'], ConvTranspose3d: ['in_channels', 'channels'],
  Linear: ['in_features', 'last'], PReLU: ['num_parameters', 'channels'],
};

/**
 * A layer built for another channel count than it receives: set its count to
 * the input's (BatchNorm2d(num_features=4) after 8 channels -> num_features=8),
 * and the next such layer too, until the model runs.
 */
function channelFixes(graph: Graph, a: Analysis): Attempt[] {
  if (a.failure?.kind !== 'channels') return [];
  let current = a;
  const pick = (r: Analysis): string | null => {
    current = r;
    const f = r.failure;
    return f?.kind === 'channels' && f.inputShape !== null && FEATURE_ARG[f.type] !== undefined ? f.path : null;
  };
  const r = iterate(graph, a, a.mode, pick, (n) => {
    const spec = FEATURE_ARG[n.module];
    const x = current.failure?.inputShape;
    if (spec === undefined || x == null) return null;
    const [arg, where] = spec;
    const want = where === 'last' ? x[x.length - 1]! : x.length >= 2 ? x[1]! : x[0]!;
    if (argsOf(n)[arg] === want) return null;
    return withArgs(n, { [arg]: want });
  }, false);
  if (r === null) return [];
  return [{
    kind: 'channels',
    title: r.changes.map(changeText).join('; '),
    changes: r.changes,
    caveat: 'the layer\'s weights change shape: a checkpoint trained with the old size no longer loads into it',
    inputShape: a.inputShape,
    result: r.result,
  }];
}

// ---- eval-mode running statistics, FlexibleInstanceNorm -----------------------

function trackStatsFix(graph: Graph, a: Analysis): Attempt | null {
  if (a.mode !== 'eval') return null;
  const r = iterate(graph, a, a.mode, culprit, (n) =>
    /^(InstanceNorm\dd|BatchNorm\dd|FlexibleInstanceNorm)$/.test(moduleOf(n)) && argsOf(n)['track_running_stats'] !== true ? withArgs(n, { track_running_stats: true }) : null,
  false);
  if (r === null) return null;
  return {
    kind: 'track-running-stats',
    title: `Set track_running_stats=True on the norm at ${listPaths(r.changes)} (evaluation then uses running statistics)`,
    changes: r.changes,
    caveat: 'the running statistics must be learned in training, at an input size where the layer works (training mode still needs more than 1 spatial element); old checkpoints lack running_mean/running_var',
    inputShape: a.inputShape,
    result: r.result,
  };
}

function flexibleFix(graph: Graph, a: Analysis): Attempt | null {
  if (a.failure?.kind !== 'statistics') return null;
  const r = iterate(graph, a, a.mode, culprit, (n) => (moduleOf(n) === 'InstanceNorm2d' ? { module: 'FlexibleInstanceNorm', args: argsOf(n) } : null), true);
  if (r === null) return null;
  return {
    kind: 'flexible-norm',
    title: `Use FlexibleInstanceNorm at ${listPaths(r.changes)} (passes 1x1 maps through instead of raising)`,
    changes: r.changes,
    caveat: 'where it falls back it does not normalize: its output is the raw input, its affine parameters get no gradient, and the next layers see unnormalized activations (normkit warns once per layer)',
    inputShape: a.inputShape,
    result: r.result,
  };
}

/** Verified fixes for the analysis `a` of `model` (empty when the model runs with healthy statistics). */
/** The output's spatial size equals the (fixed) input's: what an L1 or cycle loss against the input needs. */
function keepsSize(x: Attempt): boolean {
  const out = x.result.outputShape;
  return out !== null && out.length === x.inputShape.length && out.slice(2).join() === x.inputShape.slice(2).join();
}

/**
 * An image-to-image model: the output is a map of the input's rank with the
 * input's channels (a generator, a U-Net), or one whose spatial size some
 * working variant keeps. Its fixes must keep output size = input size.
 */
function isImageToImage(a: Analysis, attempts: readonly Attempt[]): boolean {
  const inp = a.inputShape;
  if (inp.length < 3) return false;
  const outs = [a.outputShape, ...attempts.map((x) => x.result.outputShape)].filter((o): o is number[] => o !== null);
  if (outs.some((o) => o.length !== inp.length)) return false;
  return outs.some((o) => o[1] === inp[1]) || attempts.some(keepsSize);
}

/** Two fixes are the same when they make the same set of changes at the same input (in any order). */
function changeSetKey(x: Attempt): string {
  return [x.inputShape.join('x'), ...x.changes.map((c) => `${c.path}=${JSON.stringify(c.node)}`).sort()].join('|');
}

/** Verified fixes for the analysis `a` of `model` (empty when the model runs with healthy statistics). */
export function suggestFixes(model: Module | Graph, a: Analysis): Fix[] {
  if (!needsFix(a)) return [];
  const graph = graphOf(model);
  const found: (Attempt | null)[] = [
    ...channelFixes(graph, a),
    ...rankFixes(graph, a),
    ...inputSizeFixes(graph, a),
    ...(a.failure === null || a.failure.kind === 'statistics' ? replaceNormFixes(graph, a) : []),
    ...chainFixes(graph, a),
    trackStatsFix(graph, a),
    flexibleFix(graph, a),
  ];
  const seen = new Set<string>();
  let attempts = found.filter((x): x is Attempt => {
    if (x === null) return false;
    const key = changeSetKey(x);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const imageToImage = isImageToImage(a, attempts);
  // For an image-to-image model, fixes that keep output size = input size first (a stable sort keeps the rest of the ranking).
  if (imageToImage) attempts = [...attempts.filter(keepsSize), ...attempts.filter((x) => !keepsSize(x))];
  return attempts.map((x, i) => ({
    rank: i + 1,
    kind: x.kind,
    title: x.title,
    changes: x.changes,
    ...(x.caveat ? { caveat: x.caveat } : {}),
    verified: {
      inputShape: x.inputShape,
      runs: x.result.runs,
      degenerate: x.result.degenerate,
      fallbacks: x.result.norms.filter((n) => n.verdict === 'fallback').map((n) => n.path),
      outputShape: x.result.outputShape,
      ...(imageToImage ? { keepsInputSize: keepsSize(x) } : {}),
    },
  }));
}
