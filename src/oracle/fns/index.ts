/** Functions the oracle's `function` cases call, by PyTorch's name. */
import type { Tensor } from '../../tensor/tensor.js';
import { fns as normFns } from './norms.js';
import { fns as otherFns } from './others.js';
import { fns as layerFns } from './layers.js';
import { fns as extraFns } from './extra.js';

/** Inputs are decoded tensors, or raw JSON for non-tensor inputs (e.g. class indices). */
export type OracleFn = (inputs: Record<string, unknown>, kwargs: Record<string, unknown>) => Tensor;

export const oracleFns: Record<string, OracleFn> = { ...normFns, ...otherFns, ...layerFns, ...extraFns };
