/** The shapes of oracle cases (see test/oracle/README.md). */
import type { JsonTensor, Tolerance } from './format.js';

export interface ErrorExpect {
  type: string;
  message: string;
}

export interface StepExpect {
  output?: JsonTensor;
  error?: ErrorExpect;
  grad_input?: JsonTensor;
  grad_params?: Record<string, JsonTensor>;
  state_after?: Record<string, JsonTensor | number>;
}

export interface Step {
  mode: 'train' | 'eval';
  input: JsonTensor;
  grad_output?: JsonTensor;
  expect: StepExpect;
}

export interface BaseCase {
  id: string;
  kind: string;
  tolerance?: Tolerance;
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
  outcome: 'ok' | 'error';
  output_shape?: number[];
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
