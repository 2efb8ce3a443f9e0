/** Runs the `steps` of a module or network case against a built module. */
import { GraphModule } from '../../graph/graph_module.js';
import type { Module } from '../../nn/module.js';
import { add, mul } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import type { Tensor } from '../../tensor/tensor.js';
import { decodeTensor, compareValues, type Tolerance } from '../format.js';
import type { Step } from '../case_types.js';
import { matchError } from '../errors.js';

export interface StepOutcome {
  worst: number;
  problems: string[];
}

export function loadState(m: Module, state: Record<string, unknown>): void {
  const sd = new Map(Object.entries(state).map(([k, v]) => [k, decodeTensor(v as never)]));
  m.loadStateDict(sd);
}

export function runSteps(m: Module, steps: readonly Step[], tol: Tolerance, exact = false): StepOutcome {
  let worst = 0;
  const problems: string[] = [];
  const note = (where: string, d: { ok: boolean; worst: number; reason?: string }) => {
    worst = Math.max(worst, d.worst);
    if (!d.ok) problems.push(`${where}: ${d.reason}`);
  };
  steps.forEach((step, si) => {
    const at = `step ${si}`;
    m.train(step.mode === 'train');
    m.zeroGrad();
    if (step.inputs !== undefined) {
      runNamedStep(m, step, at, note, problems);
      return;
    }
    const input = decodeTensor(step.input!);
    const wantGrads = step.grad_output !== undefined;
    // A step that raised records no grad_output; `requires_grad` says PyTorch's input required grad all the same.
    if (wantGrads || step.requires_grad === true) input.requiresGrad = true;
    let output: Tensor | undefined;
    try {
      output = m.call(input);
    } catch (err) {
      if (step.expect.error) {
        const p = matchError(err, step.expect.error, exact);
        if (p) problems.push(`${at}: ${p}`);
      } else {
        problems.push(`${at}: unexpected ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
    if (output !== undefined) {
      if (step.expect.error) problems.push(`${at}: expected ${step.expect.error.type}: ${step.expect.error.message}, but it ran`);
      if (step.expect.output) note(`${at} output`, compareValues(output, step.expect.output, tol));
      const wantShape = step.expect.output_shape;
      if (wantShape && (wantShape.length !== output.ndim || wantShape.some((d, i) => d !== output.shape[i]))) {
        problems.push(`${at}: output shape [${output.shape.join(', ')}] != [${wantShape.join(', ')}]`);
      }
      if (wantGrads && (step.expect.grad_input || step.expect.grad_params)) {
        if (!output.requiresGrad) {
          problems.push(`${at}: output does not require grad`);
        } else {
          output.backward(decodeTensor(step.grad_output!));
          if (step.expect.grad_input) {
            if (input.grad === null) problems.push(`${at}: no grad_input`);
            else note(`${at} grad_input`, compareValues(input.grad, step.expect.grad_input, tol));
          }
          const params = new Map(m.namedParameters());
          for (const [name, want] of Object.entries(step.expect.grad_params ?? {})) {
            const p = params.get(name);
            if (p?.grad == null) problems.push(`${at}: no gradient for ${name}`);
            else note(`${at} grad ${name}`, compareValues(p.grad, want, tol));
          }
        }
      }
    }
    checkState(m, step, at, note, problems, tol);
  });
  return { worst, problems };

  function runNamedStep(model: Module, step: Step, at: string, note: Note, problems: string[]): void {
    if (!(model instanceof GraphModule)) {
      problems.push(`${at}: named inputs need a general-form model`);
      return;
    }
    const names = model.graph.inputs.map((i) => i.name);
    const inputs = names.map((n) => {
      const t = decodeTensor(step.inputs![n]!);
      if (step.grad_outputs) t.requiresGrad = true;
      return t;
    });
    let outputs: Tensor[];
    try {
      outputs = model.callAll(...inputs);
    } catch (err) {
      if (step.expect.error) {
        const p = matchError(err, step.expect.error);
        if (p) problems.push(`${at}: ${p}`);
      } else problems.push(`${at}: unexpected ${(err as Error).name}: ${(err as Error).message}`);
      return;
    }
    (step.expect.outputs ?? []).forEach((want, k) => note(`${at} output ${k}`, compareValues(outputs[k]!, want, tol)));
    if (step.grad_outputs) {
      const loss = outputs.map((o, k) => sum(mul(o, decodeTensor(step.grad_outputs![k]!)))).reduce((a, b) => add(a, b));
      loss.backward();
      names.forEach((n, k) => {
        const want = step.expect.grad_inputs?.[n];
        if (want === undefined) return;
        const g = inputs[k]!.grad;
        if (g === null) problems.push(`${at}: no gradient for input ${n}`);
        else note(`${at} grad input ${n}`, compareValues(g, want, tol));
      });
      const params = new Map(model.namedParameters());
      for (const [name, want] of Object.entries(step.expect.grad_params ?? {})) {
        const p = params.get(name);
        if (p?.grad == null) problems.push(`${at}: no gradient for ${name}`);
        else note(`${at} grad ${name}`, compareValues(p.grad, want, tol));
      }
    }
    checkState(model, step, at, note, problems, tol);
  }
}

type Note = (where: string, d: { ok: boolean; worst: number; reason?: string }) => void;

function checkState(m: Module, step: Step, at: string, note: Note, problems: string[], tol: Tolerance): void {
  if (!step.expect.state_after) return;
  const sd = m.stateDict();
  for (const [name, want] of Object.entries(step.expect.state_after)) {
    const t = sd.get(name);
    if (t === undefined) problems.push(`${at}: state has no ${name}`);
    else note(`${at} state ${name}`, compareValues(t, want, tol));
  }
  for (const name of sd.keys()) {
    if (!(name in step.expect.state_after)) problems.push(`${at}: unexpected state entry ${name}`);
  }
}
