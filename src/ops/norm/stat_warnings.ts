/**
 * Warnings about statistics whose numbers are PyTorch's but say nothing
 * about the input (through the warning channel, `onWarning`; never a change
 * of value):
 *
 * - `NK_STATS_OVERFLOW`: a variance came out non-finite from finite input.
 *   Float32 statistics overflow once the squares of the values pass 3.4e38
 *   (values of about 1e18 to 1e19, depending on the plane size); PyTorch's
 *   output is then all zeros (or NaN), plus the bias.
 * - `NK_CONSTANT_PLANE`: a variance was exactly 0 over more than one value
 *   (pytorch#19250): the normalized plane is 0 whatever the input, so the
 *   output there is the bias alone (e.g. a 1x1 map upsampled with 'nearest').
 *
 * Each is emitted once per layer (for a module) or once per functional op
 * (F.instanceNorm, ...) and code, like FlexibleInstanceNorm's fallback
 * warning. The check runs after the kernel has returned its statistics and
 * reads only them (one value per statistic); the input is scanned only when
 * a variance is already non-finite.
 */
import { fmtSize } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import { emitWarning } from '../../nn/warnings.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Who warns: a module (`this` of the layer) or, by default, the functional op. */
export type WarnSite = Module | undefined;

const warned = new WeakMap<object, Set<string>>();
const opSites = new Map<string, object>();

function siteKey(op: string, site: WarnSite): object {
  if (site) return site;
  let k = opSites.get(op);
  if (!k) opSites.set(op, (k = {}));
  return k;
}

/**
 * Checks the statistics of one norm call: `variance` one value per statistic,
 * `perStat` values behind each. `op`: the functional op's PyTorch name.
 */
export function checkStatistics(op: string, site: WarnSite, input: Tensor, variance: ArrayLike<number>, perStat: number): void {
  let nonFinite = 0;
  let constant = 0;
  for (let i = 0; i < variance.length; i++) {
    const v = variance[i]!;
    if (!Number.isFinite(v)) nonFinite++;
    else if (v === 0 && perStat > 1) constant++;
  }
  if (nonFinite === 0 && constant === 0) return;
  const key = siteKey(op, site);
  let codes = warned.get(key);
  const who = site ? site.typeName : `F.${op}`;
  const total = variance.length;
  if (nonFinite > 0 && !codes?.has('NK_STATS_OVERFLOW') && input.data.every(Number.isFinite)) {
    if (!codes) warned.set(key, (codes = new Set()));
    codes.add('NK_STATS_OVERFLOW');
    emitWarning({
      code: 'NK_STATS_OVERFLOW',
      module: who,
      inputSize: [...input.shape],
      message:
        `${who} got finite input of size ${fmtSize(input.shape)} but ${nonFinite} of its ${total} variance${total === 1 ? '' : 's'} overflowed float32 ` +
        `(squares of values this large pass 3.4e38): as in PyTorch, the output there no longer depends on the input (zeros, or NaN, plus the bias). ` +
        'Scale the input down before this layer. Further overflows of this layer are not reported.',
    });
  }
  if (constant > 0 && !codes?.has('NK_CONSTANT_PLANE')) {
    if (!codes) warned.set(key, (codes = new Set()));
    codes.add('NK_CONSTANT_PLANE');
    emitWarning({
      code: 'NK_CONSTANT_PLANE',
      module: who,
      inputSize: [...input.shape],
      message:
        `${who} got input of size ${fmtSize(input.shape)} with ${constant} of its ${total} statistic${total === 1 ? '' : 's'} over constant values ` +
        `(variance exactly 0 over ${perStat} values): those normalized values are 0 whatever the input, so the output there is the bias alone ` +
        '(pytorch#19250; e.g. a 1x1 map upsampled by nearest). Run `normkit check` on the model to find what makes the planes constant. ' +
        'Further constant planes of this layer are not reported.',
    });
  }
}
