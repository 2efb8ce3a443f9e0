/**
 * Optimizer trajectories: the recorded problem is
 * `loss = mean((X @ w + b - Y)^2)`; each step: zero_grad, loss, backward, step.
 */
import { add, sub, square } from '../../ops/elementwise.js';
import { matmul } from '../../ops/matmul.js';
import { mean } from '../../ops/reduce.js';
import { optimizerFromArgs } from '../../optim/registry.js';
import type { CaseResult, OptimizerCase } from '../case_types.js';
import { NETWORK_TOL, compareValues, decodeTensor, type JsonTensor } from '../format.js';

export function runOptimizerCase(c: OptimizerCase): CaseResult {
  if (!c.problem.startsWith('loss = mean((X @ w + b - Y)^2)')) return { status: 'skip', reason: `unknown problem: ${c.problem}` };
  const w = decodeTensor(c.init['w']!);
  const b = decodeTensor(c.init['b']!);
  const X = decodeTensor(c.init['X']!);
  const Y = decodeTensor(c.init['Y']!);
  w.requiresGrad = true;
  b.requiresGrad = true;
  const opt = optimizerFromArgs(c.optimizer, [w, b], c.args);
  if (opt === undefined) return { status: 'skip', reason: `optimizer ${c.optimizer} is not supported yet` };
  const tol = c.tolerance ?? NETWORK_TOL;
  let worst = 0;
  const problems: string[] = [];
  c.steps.forEach((step, i) => {
    opt.zeroGrad();
    const loss = mean(square(sub(add(matmul(X, w), b), Y)));
    loss.backward();
    opt.step();
    const dl = Math.abs(loss.item() - step.loss);
    worst = Math.max(worst, dl);
    if (dl > tol.atol + tol.rtol * Math.abs(step.loss)) problems.push(`step ${i} loss: got ${loss.item()}, want ${step.loss}`);
    for (const [name, t] of [['w', w], ['b', b]] as const) {
      const d = compareValues(t, step[name] as JsonTensor, tol);
      worst = Math.max(worst, d.worst);
      if (!d.ok) problems.push(`step ${i} ${name}: ${d.reason}`);
    }
  });
  return problems.length ? { status: 'fail', worst, reason: problems.join('; ') } : { status: 'pass', worst };
}
