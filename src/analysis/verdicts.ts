/**
 * The verdict on one normalization layer at one input size: `ok`, `raises`
 * (the error real execution throws), `degenerate` (every statistic provably
 * sees one repeated value, so the output is the bias alone whatever the
 * input), or `fallback` (FlexibleInstanceNorm passes its
 * input through).
 */
import type { NormkitError } from '../errors.js';
import { BatchNormNd } from '../nn/batchnorm.js';
import { FlexibleInstanceNorm } from '../nn/flexible_instancenorm.js';
import { GroupNorm } from '../nn/groupnorm.js';
import { InstanceNormNd } from '../nn/instancenorm.js';
import { LayerNorm } from '../nn/layernorm.js';
import { isNormalization, type NormStatistics } from '../nn/norm_base.js';
import { numel } from '../tensor/shape.js';
import type { TraceEntry } from './trace.js';
import type { NormReport } from './types.js';

function statisticsOf(m: { statistics(s: readonly number[]): NormStatistics }, shape: readonly number[]): NormStatistics | null {
  try {
    return m.statistics(shape);
  } catch {
    return null; // the input is unusable for this layer (wrong rank, channels): the run raised already
  }
}

const plural = (n: number, w: string) => `${n} ${n === 1 ? w : w.endsWith('y') ? w.slice(0, -1) + 'ies' : w + 's'}`;

/**
 * Why the statistics are degenerate, or null. Only what is provable from the
 * shape and the "spatially constant" fact: constant planes make per-plane
 * statistics constant, not statistics that also run over the batch or over
 * several channels.
 */
function degeneracy(m: unknown, shape: readonly number[], constant: boolean, stats: NormStatistics): string | null {
  if (!stats.usesInputStats) return null;
  const spatial = shape.length > 2 ? numel(shape.slice(2)) : 1;
  if (m instanceof InstanceNormNd) {
    const S = stats.valuesPerStatistic;
    if (constant && S > 1) return `every (instance, channel) plane is constant: each statistic sees ${plural(S, 'copy')} of one value`;
    return null;
  }
  if (m instanceof BatchNormNd) {
    if (constant && shape[0] === 1 && stats.valuesPerStatistic > 1) return `batch of 1 with constant planes: each channel's statistic sees ${plural(stats.valuesPerStatistic, 'copy')} of one value`;
    return null;
  }
  if (m instanceof GroupNorm) {
    const perGroup = (shape[1] ?? 0) / m.numGroups;
    if (perGroup !== 1) return null;
    if (spatial === 1) return `one channel per group and 1 position: each statistic sees a single value`;
    if (constant) return `one channel per group with constant planes: each statistic sees ${plural(spatial, 'copy')} of one value`;
    return null;
  }
  if (m instanceof LayerNorm) {
    if (stats.valuesPerStatistic === 1) return 'normalized over a single value';
    if (constant && m.normalizedShape.length <= shape.length - 2) return 'normalized over spatial positions only, and every plane is constant';
    return null;
  }
  return stats.valuesPerStatistic === 1 ? 'each statistic sees a single value' : null;
}

/** The report for a normalization module's trace entry; undefined for other modules. */
export function normReport(e: TraceEntry, error: NormkitError | null): NormReport | undefined {
  const m = e.module;
  if (!isNormalization(m)) return undefined;
  const input = e.inputs?.[0] ?? null;
  const shape = input ? [...input.shape] : null;
  const stats = shape ? statisticsOf(m, shape) : null;
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
  const degenerate = degeneracy(m, shape, constant, stats);
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
