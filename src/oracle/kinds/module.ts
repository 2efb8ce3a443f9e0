import { ArgReader } from '../../spec/args.js';
import { getBuilder } from '../../spec/registry.js';
import type { CaseResult, ConstructErrorCase, ModuleCase } from '../case_types.js';
import { matchError } from '../errors.js';
import { MODULE_TOL } from '../format.js';
import { loadState, runSteps } from './steps.js';

export function runModuleCase(c: ModuleCase): CaseResult {
  const builder = getBuilder(c.module);
  if (builder === undefined) return { status: 'skip', reason: `module ${c.module} is not supported yet` };
  const args = new ArgReader(c.args, '', c.module);
  const m = builder.build(args);
  args.done();
  loadState(m, c.state);
  const { worst, problems } = runSteps(m, c.steps, c.tolerance ?? MODULE_TOL, c.exact_messages === true);
  return problems.length ? { status: 'fail', worst, reason: problems.join('; ') } : { status: 'pass', worst };
}

export function runConstructErrorCase(c: ConstructErrorCase): CaseResult {
  const builder = getBuilder(c.module);
  if (builder === undefined) return { status: 'skip', reason: `module ${c.module} is not supported yet` };
  try {
    builder.build(new ArgReader(c.args, '', c.module));
  } catch (err) {
    const p = matchError(err, c.expect.error, c.exact_messages === true);
    return p ? { status: 'fail', worst: 0, reason: p } : { status: 'pass', worst: 0 };
  }
  return { status: 'fail', worst: 0, reason: `expected ${c.expect.error.type}: ${c.expect.error.message}, but construction succeeded` };
}
