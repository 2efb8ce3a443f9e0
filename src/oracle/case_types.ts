/** The shapes of oracle cases (see test/oracle/README.md). */
import type { JsonTensor, Tolerance } from './format.js';

export interface ErrorExpect {
  type: string;
  message: string;
}

export interface StepExpect {
  output?: JsonTensor;
  /** A general-form model's outputs, in its output order. */
  outputs?: JsonTensor[];
  /** Gradients of its named inputs. */
  grad_inputs?: Record<string, JsonTensor>;
  /** The output's shape alone, where its values are random (Dropout2d in training). */
  output_shape?: number[];
  error?: ErrorExpect;
  grad_input?: JsonTensor;
  grad_params?: Record<string, JsonTensor>;
  state_after?: Record<string, JsonTensor | number>;
}

export interface Step {
  mode: 'train' | 'eval';
  /** The input (one-input models) ... */
  input?: JsonTensor;
  /** ... or the inputs by name (general-form models). */
  inputs?: Record<string, JsonTensor>;
  grad_output?: JsonTensor;
  /** With several outputs: backpropagate sum_i(output_i * grad_outputs_i). */
  grad_outputs?: JsonTensor[];
  /** The input required grad (implied by grad_output; set where the step raised, which records none). */
  requires_grad?: boolean;
  expect: StepExpect;
}

export interface BaseCase {
  id: string;
  kind: string;
  tolerance?: Tolerance;
  /** Every error message must be PyTorch's, word for word (not only its type). */
  exact_messages?: boolean;
}

export interface ModuleCase extends BaseCase {
  kind: 'module';
  module: string;
  args: Record<string, unknown>;
  state: Record<string, JsonTensor | number>;
  steps: Step[];
}

export interface ConstructErrorCase extends BaseCase {
  kind: 'construct_error';
  module: string;
  args: Record<string, unknown>;
  expect: { error: ErrorExpect };
}

export interface FunctionCase extends BaseCase {
  kind: 'function';
  fn: string;
  inputs: Record<string, JsonTensor | unknown>;
  kwargs: Record<string, unknown>;
  grad_output?: JsonTensor;
  /** Inputs that required grad, where no `grads` name them (the call raised). */
  requires_grad?: string[];
  expect: { output?: JsonTensor; error?: ErrorExpect; grads?: Record<string, JsonTensor> };
}

export interface NetworkCase extends BaseCase {
  kind: 'network';
  spec: unknown;
  state: Record<string, JsonTensor | number>;
  steps: Step[];
}

export interface OptimizerCase extends BaseCase {
  kind: 'optimizer';
  optimizer: string;
  args: Record<string, unknown>;
  problem: string;
  init: Record<string, JsonTensor>;
  steps: ({ loss: number } & Record<string, JsonTensor | number>)[];
}

export interface SweepEntry {
  size: number;
  input_shape: number[];
  /** Every input's shape by name (general-form models). */
  input_shapes?: Record<string, number[]>;
  outcome: 'ok' | 'error';
  output_shape?: number[];
  output_shapes?: number[][];
  module_output_shapes?: Record<string, number[]>;
  error?: ErrorExpect;
  raised_in?: { path: string; module: string };
}

export interface ShapeFlowCase extends BaseCase {
  kind: 'shape_flow';
  spec: unknown;
  mode: 'train' | 'eval';
  sweep_axis: string;
  modules: Record<string, string>;
  sweep: SweepEntry[];
  working_sizes: number[];
  smallest_working_size: number | null;
}

export type OracleCase = ModuleCase | ConstructErrorCase | FunctionCase | NetworkCase | OptimizerCase | ShapeFlowCase;

/** What running one case gives. */
export type CaseResult =
  | { status: 'pass'; worst: number }
  | { status: 'fail'; worst: number; reason: string }
  | { status: 'skip'; reason: string };
