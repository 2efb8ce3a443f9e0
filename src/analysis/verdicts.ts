/**
 * The verdict on one normalization layer at one input size: `ok`, `raises`
 * (the error real execution throws), `degenerate` (every statistic provably
 * sees one repeated value, so the output is the bias alone whatever the
 * input), or `fallback` (FlexibleInstanceNorm passes its input through). Each
 * norm says for itself how many values stand behind a statistic and when they
 * are degenerate (`statistics`, `degeneracy`).
 */
import type { NormkitError } from '../errors.js';
import { FlexibleInstanceNorm } from '../nn/flexible_instancenorm.js';
import { isNormalization, plural, type Normalization, type NormStatistics } from '../nn/norm_base.js';
import { numel } from '../tensor/shape.js';
import type { TraceEntry } from './trace.js';
import type { NormReport } from './types.js';

/** The input is unusable for this layer (wrong rank, channels) when its checks throw: the run raised already. */
function attempt<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** The report for a normalization module's trace entry; undefined for other rows. */
export function normReport(e: TraceEntry, error: NormkitError | null): NormReport | undefined {
  const m = e.module;
  if (m === null || !isNormalization(m)) return undefined;
  const norm: Normalization = m;
  const input = e.inputs?.[0] ?? null;
  const shape = input ? [...input.shape] : null;
  const stats: NormStatistics | null = shape ? attempt(() => norm.statistics(shape)) : null;
  const base = {
    path: e.path,
    type: m.typeName,
    inputShape: shape,
    usesInputStats: stats ? stats.usesInputStats : null,
    valuesPerStatistic: stats && Number.isFinite(stats.valuesPerStatistic) ? stats.valuesPerStatistic : null,
    over: stats ? stats.over : null,
  };
  if (e.status === 'raised' && error !== null) {
    const why = stats?.usesInputStats ? `${plural(stats.valuesPerStatistic, 'value')} per statistic (${stats.over})` : error.message;
    return { ...base, verdict: 'raises', reason: why, error: { type: error.type, message: error.message } };
  }
  if (shape === null || stats === null) {
    return { ...base, verdict: 'ok', reason: 'not reached with a usable input' };
  }
  if (m instanceof FlexibleInstanceNorm && m.fallsBack(shape)) {
    return {
      ...base,
      verdict: 'fallback',
      reason: `passes its input through unnormalized (${plural(numel(shape.slice(-2)), 'spatial element')}, condition '${m.condition}')`,
    };
  }
  const constant = input?.facts.spatiallyConstant === true;
  const degenerate = attempt(() => norm.degeneracy(shape, constant));
  if (degenerate !== null) {
    const since = input?.facts.constantSince;
    const origin = constant && since !== undefined ? ` (constant since ${since === '' ? 'the model input' : since})` : '';
    return {
      ...base,
      verdict: 'degenerate',
      reason: `${degenerate}${origin}: the output is the layer's bias alone, whatever the input`,
      ...(constant && since !== undefined ? { constantSince: since } : {}),
    };
  }
  const reason = stats.usesInputStats ? `${plural(stats.valuesPerStatistic, 'value')} per statistic (${stats.over})` : stats.over;
  return { ...base, verdict: 'ok', reason };
}
