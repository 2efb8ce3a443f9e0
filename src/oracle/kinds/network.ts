import { fromSpec } from '../../spec/spec.js';
import type { CaseResult, NetworkCase } from '../case_types.js';
import { NETWORK_TOL } from '../format.js';
import { loadState, runSteps } from './steps.js';

export function runNetworkCase(c: NetworkCase): CaseResult {
  const m = fromSpec(c.spec);
  loadState(m, c.state);
  const { worst, problems } = runSteps(m, c.steps, c.tolerance ?? NETWORK_TOL, c.exact_messages === true);
  return problems.length ? { status: 'fail', worst, reason: problems.join('; ') } : { status: 'pass', worst };
}
