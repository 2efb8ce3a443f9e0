/**
 * `analyze(model, inputShape, { mode })`: what real execution would do at this
 * input size, computed by shape-only execution (no arithmetic on data): every
 * module's input and output shapes, every normalization layer's verdict, and
 * for a failure the exact error, the raising module and the cause chain.
 *
 *     const a = analyze(model, [2, 3, 16, 16], { mode: 'train' });
 *     a.failure?.path      // '10'
 *     a.failure?.error     // { type: 'ValueError', message: 'Expected more than 1 spatial element ...' }
 */
import { ValueError, fmtSize, type NormkitError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { argsOf, causeChain, feeds } from './cause.js';
import { traceModel, withMode, type Trace } from './trace.js';
import type { Analysis, Failure, FailureKind, ModuleRecord, Mode, NormReport } from './types.js';
import { normReport } from './verdicts.js';

export interface AnalyzeOptions {
  /** 'train' (default) or 'eval': decides input vs running statistics, as `model.train()/eval()` would. */
  mode?: Mode;
}

export function checkInputShape(shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(`input shape must be a non-empty list of positive integers, got ${JSON.stringify(shape)}`);
  }
}

export function classifyError(e: { type: string; message: string }): FailureKind {
  const m = e.message;
  if (/spatial element|value per channel/.test(m)) return 'statistics';
  if (/Kernel size can't be greater|Output size is too small|output size is too small/i.test(m)) return 'kernel';
  if (/Padding size should be less|pad should be/i.test(m)) return 'padding';
  if (/Sizes of tensors must match|The size of tensor a/.test(m)) return 'mismatch';
  if (/channels|should contain \d+ elements|shapes cannot be multiplied|normalized_shape|divisible by num_groups/.test(m)) return 'channels';
  if (/\dD input|-dimensional input|Expected \d+D|dimensions for input/.test(m)) return 'rank';
  return 'other';
}

const sizeStr = (s: readonly number[]) => (s.length ? s.join('x') : 'no spatial dims');

/** What a layer was built to receive, from its constructor args ("built for in_channels=4"). */
function builtFor(m: Module | undefined): string | undefined {
  if (m === undefined) return undefined;
  const a = argsOf(m);
  for (const k of ['in_channels', 'num_features', 'num_channels', 'in_features', 'normalized_shape']) {
    if (a[k] !== undefined) return `it was built with ${k}=${JSON.stringify(a[k])}`;
  }
  return undefined;
}

function explain(f: Omit<Failure, 'explanation'>, norm: NormReport | undefined, mode: Mode, producer?: string, built?: string): string {
  const where = `${f.type} at ${f.path === '' ? 'the root' : f.path}`;
  const got = f.inputShape ? ` receives ${fmtSize(f.inputShape)}` : '';
  const path = f.chain.length
    ? ` The map went ${f.chain.map((c, i) => `${i === 0 ? sizeStr(c.before) + ' ' : ''}-> ${sizeStr(c.after)} (${c.path}: ${c.because.join(', ')})`).join(' ')}.`
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
    case 'mismatch':
      return `${where} combines tensors whose sizes differ: the paths into it resize the map differently.${path}`;
    case 'channels':
      return `${where}${got}${producer ? ` from ${producer}` : ''}, but ${built ?? 'its configured sizes do not match that input'}.`;
    case 'rank':
      return `${where}${got}: wrong number of dimensions for this layer.`;
    default:
      return `${where}${got}.${path}`;
  }
}

/** Analysis from a finished trace (shared by `analyze` and the oracle runner). */
export function analysisOf(t: Trace, inputShape: readonly number[], mode: Mode): Analysis {
  const err: NormkitError | null = t.error;
  // Verdicts depend on train/eval (input vs running statistics): computed in the analyzed mode.
  const reports = withMode(t.modules, mode, () => t.entries.map((e) => normReport(e, err)));
  const modules: ModuleRecord[] = t.entries.map((e, k) => {
    const norm = reports[k];
    return {
      path: e.path,
      type: e.module.typeName,
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
    const raised = t.entries.find((e) => e.path === path);
    const error = { type: err.type, message: err.message };
    const kind = classifyError(error);
    // The layer whose output the raising one received (for channel mismatches).
    const fed = [...t.entries].reverse().find((e) => e.leaf && e.status === 'ok' && feeds(e.path, path, t.modules) && !e.path.startsWith(path === '' ? '' : path + '.'));
    const producer = fed ? `${fed.module.typeName} at ${fed.path}` : undefined;
    const partial = {
      path,
      type: err.moduleType ?? raised?.module.typeName ?? '?',
      error,
      kind,
      inputShape: raised?.inputs?.[0] ? [...raised.inputs[0].shape] : err.inputSize ?? null,
      chain: kind === 'channels' || kind === 'rank' ? [] : causeChain(t.entries, path, t.modules),
    };
    failure = { ...partial, explanation: explain(partial, norms.find((n) => n.path === path), mode, producer, builtFor(raised?.module)) };
  }
  return {
    inputShape: [...inputShape],
    mode,
    runs: err === null,
    degenerate: norms.some((n) => n.verdict === 'degenerate'),
    outputShape: t.output ? [...t.output.shape] : null,
    modules,
    norms,
    failure,
  };
}

export function analyze(model: Module, inputShape: readonly number[], opts: AnalyzeOptions = {}): Analysis {
  checkInputShape(inputShape);
  const mode = opts.mode ?? 'train';
  if (mode !== 'train' && mode !== 'eval') throw new ValueError(`mode must be 'train' or 'eval', got ${JSON.stringify(mode)}`);
  return analysisOf(traceModel(model, inputShape, mode), inputShape, mode);
}
