/** Optimizers by PyTorch name, built from snake_case args (used by the oracle and the CLI). */
import type { Tensor } from '../tensor/tensor.js';

export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
}

export function optimizerFromArgs(name: string, params: Tensor[], args: Record<string, unknown>): OptimizerLike | undefined {
  void name;
  void params;
  void args;
  return undefined;
}
