/**
 * `analyze(model, inputShape, { mode })`: what real execution would do at this
 * input size, computed by shape-only execution of the model's graph (no
 * arithmetic on data): every module's input and output shapes, every
 * normalization layer's verdict, and for a failure the exact error, the
 * raising module and the cause chain.
 *
 *     const a = analyze(model, [2, 3, 16, 16], { mode: 'train' });
 *     a.failure?.path      // '10'
 *     a.failure?.error     // { type: 'ValueError', message: 'Expected more than 1 spatial element ...' }
 *
 * `model` is a module (lowered with `lowerModule`) or a graph (a general-form
 * spec, an ONNX import); `inputShape` a shape, or shapes by input name.
 */
import { ValueError, fmtSize, type ErrorKind } from '../errors.js';
import { producers, type Graph, type GraphNode } from '../graph/graph.js';
import { lowerModule } from '../graph/lower.js';
import { withTraining } from '../graph/interpret.js';
import { Module } from '../nn/module.js';
import { checkOptions } from '../options.js';
import { causeChain, chainBlocks } from './cause.js';
import { shapesByName, traceGraph, type InputShapes, type Trace } from './trace.js';
import type { Analysis, CauseStep, Failure, FailureKind, ModuleRecord, Mode, NormReport } from './types.js';
import { normReport } from './verdicts.js';

export interface AnalyzeOptions {
  /** 'train' (default) or 'eval': decides input vs running statistics, as `model.train()/eval()` would. */
  mode?: Mode;
}

/** The largest dimension accepted: sizes past it are typos, and float64 counts stop being exact far beyond. */
export const MAX_DIM = 2 ** 31 - 1;

export function checkInputShape(shape: readonly number[], name?: string): void {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0 && d <= MAX_DIM)) {
    throw new ValueError(`${name === undefined ? 'input shape' : `shape of input '${name}'`} must be a non-empty list of positive integers up to 2^31 - 1, got ${JSON.stringify(shape)}`, { kind: 'argument' });
  }
}

export function checkMode(mode: unknown): asserts mode is Mode {
  if (mode !== 'train' && mode !== 'eval') throw new ValueError(`mode must be 'train' or 'eval', got ${JSON.stringify(mode)}`, { kind: 'argument' });
}

/** The graph of a model: a module is lowered, a graph taken as it is. */
export function graphOf(model: Module | Graph): Graph {
  return model instanceof Module ? lowerModule(model) : model;
}

const FAILURE_KINDS: Record<ErrorKind, FailureKind> = {
  statistics: 'statistics',
  kernel: 'kernel',
  padding: 'padding',
  mismatch: 'mismatch',
  channels: 'channels',
  rank: 'rank',
  argument: 'other',
  format: 'other',
  other: 'other',
};

/** The steps that change the map's size for good (a pad and the conv that takes it back leave the sentence). */
const netSteps = (chain: readonly CauseStep[]) => {
  const kept = chainBlocks(chain).filter((b) => !b.cancels).flatMap((b) => b.steps);
  return kept.length ? kept : [...chain];
};

const sizeStr = (s: readonly number[]) => (s.length ? s.join('x') : 'no spatial dims');

/** What a layer was built to receive, from its constructor args ("built for in_channels=4"). */
function builtFor(node: GraphNode | null): string | undefined {
  if (node === null) return undefined;
  for (const k of ['in_channels', 'num_features', 'num_channels', 'in_features', 'normalized_shape']) {
    if (node.attrs[k] !== undefined) return `it was built with ${k}=${JSON.stringify(node.attrs[k])}`;
  }
  return undefined;
}

function explain(f: Omit<Failure, 'explanation'>, norm: NormReport | undefined, mode: Mode, producer?: string, built?: string, inputs?: readonly (readonly number[])[], fnNode?: GraphNode): string {
  // A functional node raised: name it (`add 'sum'`), the module path says whose forward called it.
  const who = fnNode ? `${fnNode.op} '${fnNode.name}'${f.type === fnNode.op ? '' : ` (in the forward of ${f.type})`}` : f.type;
  const where = `${who} at ${f.path === '' ? 'the root' : f.path}`;
  const got = f.inputShape ? ` receives ${fmtSize(f.inputShape)}` : '';
  const path = f.chain.length
    ? ` The map went ${netSteps(f.chain).map((c, i) => `${i === 0 ? sizeStr(c.before) + ' ' : ''}-> ${sizeStr(c.after)} (${c.path}: ${c.because.join(', ')})`).join(' ')}.`
    : '';
  switch (f.kind) {
    case 'statistics': {
      const why = mode === 'eval' ? ' (it has no running statistics: track_running_stats=False)' : '';
      const stats = norm?.valuesPerStatistic != null ? ` In ${mode} mode it computes statistics from the input${why}, ${norm.valuesPerStatistic === 1 ? 'over a single value' : `over ${norm.valuesPerStatistic} values`} (${norm.over}).` : '';
      return `${where}${got}.${stats}${path}`;
    }
    case 'kernel':
    case 'padding':
      return `${where}${got}: the map is too small for its ${f.kind === 'kernel' ? 'kernel' : 'reflection/replication padding'}.${path}`;
    case 'mismatch': {
      const shapes = inputs && inputs.length > 1 ? ` (${inputs.map((s) => fmtSize(s)).join(' and ')})` : '';
      const spatialDiffer = inputs && inputs.length > 1 && inputs.some((s) => s.slice(2).join() !== inputs[0]!.slice(2).join());
      const what = spatialDiffer ? 'the paths into it resize the map differently' : 'their channel or batch sizes differ, not the map size';
      return `${where} combines tensors whose sizes differ${shapes}: ${what}.${spatialDiffer ? path : ''}`;
    }
    case 'channels':
      return `${where}${got}${producer ? ` from ${producer}` : ''}, but ${built ?? 'its configured sizes do not match that input'}.`;
    case 'rank':
      return `${where}${got}: wrong number of dimensions for this layer.`;
    default:
      return `${where}${got}.${path}`;
  }
}

/** Residual's add and Concat's cat are the container's own doing: the container is named, not the node. */
const isImplicit = (t: Trace, n: GraphNode) => t.graph.scopes.some((s) => (s.type === 'Residual' || s.type === 'Concat') && s.outputs.includes(n.outputs[0]!));

/** Analysis from a finished trace (shared by `analyze`, sweeps, fixes and the oracle runner). */
export function analysisOf(t: Trace, shapes: Record<string, number[]>, mode: Mode): Analysis {
  const err = t.error;
  // Verdicts depend on train/eval (input vs running statistics): computed in the analyzed mode.
  const reports = withTraining(t.graph, mode === 'train', () => t.entries.map((e) => normReport(e, err)));
  const modules: ModuleRecord[] = t.entries.map((e, k) => {
    const norm = reports[k];
    const named = e.node !== null && e.node.name !== e.path ? { node: e.node.name } : {};
    return {
      path: e.path,
      ...named,
      kind: !e.leaf ? 'container' : e.module !== null ? 'module' : 'function',
      type: e.type,
      inputShape: e.inputs?.[0] ? [...e.inputs[0].shape] : null,
      outputShape: e.output ? [...e.output.shape] : null,
      status: e.status,
      leaf: e.leaf,
      spatiallyConstant: e.output?.facts.spatiallyConstant === true,
      ...(norm ? { norm } : {}),
    };
  });
  const norms = modules.flatMap((r) => (r.norm ? [r.norm] : []));
  let failure: Failure | null = null;
  if (err !== null) {
    const path = err.modulePath ?? '';
    const failed = t.exec.runs[t.exec.runs.length - 1];
    const node = failed && failed.outputs === null ? failed.node : null;
    const raised = t.entries.find((e) => e.path === path && e.status === 'raised') ?? t.entries.find((e) => e.node === node);
    const error = { type: err.type, message: err.message };
    const kind = FAILURE_KINDS[err.kind];
    const fedBy = node ? producers(t.graph).get(node.inputs[0]!) : undefined;
    const producer = fedBy ? `${fedBy.module?.typeName ?? fedBy.op} at ${fedBy.scope === '' ? 'the root' : fedBy.scope}` : undefined;
    const inputs = failed?.inputs.map((x) => [...x.shape]);
    const partial = {
      path,
      type: err.moduleType ?? raised?.type ?? '?',
      error,
      kind,
      inputShape: raised?.inputs?.[0] ? [...raised.inputs[0].shape] : err.inputSize ?? null,
      chain: kind === 'channels' || kind === 'rank' ? [] : causeChain(t, node),
    };
    const edgeOwner = raised?.node ?? node;
    const fnNode = node !== null && node.module === undefined && !isImplicit(t, node) ? node : undefined;
    failure = {
      ...partial,
      ...(fnNode ? { node: fnNode.name } : {}),
      explanation: explain(partial, norms.find((n) => n.path === path), mode, producer, builtFor(edgeOwner && edgeOwner.scope === path ? edgeOwner : null), inputs, fnNode),
    };
  }
  const first = Object.values(shapes)[0]!;
  return {
    inputShape: [...first],
    inputShapes: shapes,
    mode,
    runs: err === null,
    degenerate: norms.some((n) => n.verdict === 'degenerate'),
    outputShape: t.exec.outputs?.[0] ? [...t.exec.outputs[0].shape] : null,
    outputShapes: t.exec.outputs ? t.exec.outputs.map((o) => [...o.shape]) : null,
    modules,
    norms,
    failure,
  };
}

/** Analysis of a graph at input shapes given by name (or one shape for a one-input graph). */
export function analyzeGraph(g: Graph, shapes: InputShapes, mode: Mode): Analysis {
  const byName = shapesByName(g, shapes);
  for (const [name, s] of Object.entries(byName)) checkInputShape(s, g.inputs.length > 1 ? name : undefined);
  return analysisOf(traceGraph(g, byName, mode), byName, mode);
}

/**
 * The analysis when the model runs with every norm healthy at these shapes,
 * else null — stopping at the first norm that is degenerate or falls back
 * (or the first error), so that a fix search over a thousand sizes of a long
 * model does not analyze every layer after a finding that already decided it.
 */
export function analyzeIfHealthy(g: Graph, shapes: Record<string, number[]>, mode: Mode): Analysis | null {
  let unhealthy = false;
  const t = traceGraph(g, shapes, mode, (r) => {
    if (r.node.module === undefined || r.inner !== undefined) return false;
    const v = normReport({ path: r.node.scope, type: r.node.op, node: r.node, module: r.node.module, inputs: r.inputs, output: r.outputs?.[0] ?? null, status: 'ok', leaf: true }, null)?.verdict;
    unhealthy = v === 'degenerate' || v === 'fallback';
    return unhealthy;
  });
  if (unhealthy || t.error !== null) return null;
  const a = analysisOf(t, shapes, mode);
  return a.runs && !a.degenerate && a.norms.every((n) => n.verdict !== 'fallback') ? a : null;
}

export function analyze(model: Module | Graph, inputShape: InputShapes, opts: AnalyzeOptions = {}): Analysis {
  const mode = checkOptions('analyze', opts, { mode: 'string' }, { position: 3, positional: 'mode' }).mode ?? 'train';
  checkMode(mode);
  if (Array.isArray(inputShape)) checkInputShape(inputShape as number[]);
  return analyzeGraph(graphOf(model), inputShape, mode);
}
