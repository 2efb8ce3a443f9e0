/**
 * `function` cases: PyTorch's function called with the case's inputs and
 * keyword arguments. Norms, losses and AdaIN have their own entries
 * (oracle/fns); every other function is the op registry's, called as a graph
 * node calls it (tensor inputs in order, the rest as its keyword arguments).
 */
import '../../graph/ops/index.js';
import { getOp } from '../../graph/registry.js';
import { ArgReader } from '../../spec/args.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CaseResult, FunctionCase } from '../case_types.js';
import { matchError } from '../errors.js';
import { MODULE_TOL, compareValues, decodeTensor, isJsonTensor } from '../format.js';
import { oracleFns, type OracleFn } from '../fns/index.js';

/** A registry op as an oracle function: tensors are its inputs, other inputs and kwargs its arguments. */
function registryFn(name: string): OracleFn | undefined {
  const def = getOp(name);
  if (def === undefined || def.kind !== 'function') return undefined;
  return (inputs, kwargs) => {
    const tensors = Object.values(inputs).filter((v): v is Tensor => typeof v === 'object' && v !== null && 'shape' in v && 'isMeta' in v);
    const args = { ...Object.fromEntries(Object.entries(inputs).filter(([, v]) => !tensors.includes(v as Tensor))), ...kwargs };
    const reader = new ArgReader(args, '', name);
    const attrs = def.read(reader, tensors.length);
    reader.done();
    return def.run(tensors, attrs)[0]!;
  };
}

export function runFunctionCase(c: FunctionCase): CaseResult {
  const fn = oracleFns[c.fn] ?? registryFn(c.fn);
  if (fn === undefined) return { status: 'skip', reason: `function ${c.fn} is not supported yet` };
  const tol = c.tolerance ?? MODULE_TOL;
  const inputs: Record<string, unknown> = {};
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of Object.entries(c.inputs)) {
    if (isJsonTensor(v)) {
      const t = decodeTensor(v);
      if (c.expect.grads?.[k] !== undefined || c.requires_grad?.includes(k)) t.requiresGrad = true;
      tensors.set(k, t);
      inputs[k] = t;
    } else inputs[k] = v;
  }
  let out: Tensor;
  try {
    out = fn(inputs, c.kwargs);
  } catch (err) {
    if (c.expect.error) {
      const p = matchError(err, c.expect.error, c.exact_messages === true);
      return p ? { status: 'fail', worst: 0, reason: p } : { status: 'pass', worst: 0 };
    }
    return { status: 'fail', worst: Infinity, reason: `unexpected ${(err as Error).name}: ${(err as Error).message}` };
  }
  if (c.expect.error) return { status: 'fail', worst: 0, reason: `expected ${c.expect.error.type}, but it ran` };
  let worst = 0;
  const problems: string[] = [];
  const note = (where: string, d: { ok: boolean; worst: number; reason?: string }) => {
    worst = Math.max(worst, d.worst);
    if (!d.ok) problems.push(`${where}: ${d.reason}`);
  };
  if (c.expect.output) note('output', compareValues(out, c.expect.output, tol));
  if (c.expect.grads && c.grad_output) {
    out.backward(decodeTensor(c.grad_output));
    for (const [k, want] of Object.entries(c.expect.grads)) {
      const g = tensors.get(k)?.grad;
      if (!g) problems.push(`no gradient for ${k}`);
      else note(`grad ${k}`, compareValues(g, want, tol));
    }
  }
  return problems.length ? { status: 'fail', worst, reason: problems.join('; ') } : { status: 'pass', worst };
}
