/**
 * Inference fusion: runs of layers whose fused forward gives the same values
 * as running them one after the other, without the intermediates (tensor
 * memory, one pass over it each way):
 * - ReflectionPad2d -> Conv2d (no padding of its own): the convolution's wasm
 *   kernels copy the image into their memory reflection-padded, where they
 *   copied it zero-padded (ops/conv_fused.ts); Conv2d with
 *   padding_mode='reflect' does the same with its own padding under noGrad
 *   (nn/conv.ts);
 * - Conv2d -> an activation (after either of the above too): ReLU in the
 *   convolution kernels' loops; ReLU6, LeakyReLU, ELU, SELU, Sigmoid, SiLU,
 *   Hardswish and exact GELU by their SIMD kernel over each output still in
 *   the kernels' memory (kernels/output_act.ts), in place of a pass with
 *   copies in and out (MobileNet's ReLU6, EfficientNet's SiLU);
 * - Linear -> any of those activations: its SIMD kernel over the output in
 *   the gemm's memory (ops/linear.ts linearFused: a transformer's or
 *   ConvNeXt's Linear -> GELU);
 * - InstanceNorm / BatchNorm -> ReLU: ReLU in the norm's kernel call, on each
 *   plane while it is in cache (asm/norm.ts).
 * A run is fused only while the forward is planned (tensor/plan.ts: noGrad,
 * planner on) and each of its modules is exactly a trusted normkit class
 * without hooks (a hook or a custom forward must see each module's input and
 * output). The caller (Sequential, the graph interpreter) fuses only layers whose intermediates
 * nothing else reads: inside a Sequential each feeds only the next layer.
 */
import { isGradEnabled } from '../tensor/grad_mode.js';
import { isTrustedModule, planning } from '../tensor/plan.js';
import type { Tensor } from '../tensor/tensor.js';
import { ELU, GELU, Hardswish, LeakyReLU, ReLU, ReLU6, SELU, Sigmoid, SiLU } from './activation.js';
import * as kernels from '../kernels/activations.js';
import type { FusedAct } from '../ops/conv_fused.js';
import { RELU6_KERNEL, SELU_KERNEL } from '../ops/activation.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from './batchnorm.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from './instancenorm.js';
import type { Module } from './module.js';
import { ReflectionPad2d } from './padding.js';

/** Fused layers layers[i, i + count) as one forward. */
export interface FusedRun {
  count: number;
  forward(x: Tensor): Tensor;
  /**
   * Whether the layers have no side effects (padding, convolution, an
   * activation): on an error the caller may run them one by one to raise it
   * from the right module. A norm's run (running statistics, batch counts)
   * is not rerun; its errors are the norm's (ReLU raises none).
   */
  pure: boolean;
}

/** Whether a fused forward may run in place of m's own call. */
const plain = (m: Module | undefined): boolean => m !== undefined && isTrustedModule(m) && !m.hasHooks;

/** Exactly these classes (a subclass such as FlexibleInstanceNorm has a forward of its own). */
const NORMS: readonly unknown[] = [InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, BatchNorm1d, BatchNorm2d, BatchNorm3d];
const isNorm = (m: Module | undefined): m is InstanceNorm2d | BatchNorm2d => m !== undefined && NORMS.includes(m.constructor);

const noPadding = (c: Conv2d): boolean => c.paddingMode === 'zeros' && (c.padding === 'valid' || (Array.isArray(c.padding) && c.padding.every((p) => p === 0)));

/** The SIMD code of an activation module of exactly one of these classes (their ops run that kernel), else null. */
function actCode(m: Module): kernels.ActCode | null {
  const c = m.constructor;
  const k =
    c === ReLU6 ? RELU6_KERNEL
    : c === LeakyReLU ? kernels.leakyRelu((m as LeakyReLU).negativeSlope)
    : c === ELU ? kernels.elu((m as ELU).alpha)
    : c === SELU ? SELU_KERNEL
    : c === Sigmoid ? kernels.sigmoid
    : c === SiLU ? kernels.silu
    : c === Hardswish ? kernels.hardswish
    : c === GELU && (m as GELU).approximate === 'none' ? kernels.gelu
    : null;
  return k?.simd ?? null;
}

/** The activation a convolution can apply in its output pass for module m (plain, one of the fused classes), or null. */
export function fusedActOf(m: Module | undefined): FusedAct | null {
  if (m === undefined || !plain(m)) return null;
  if (m instanceof ReLU && m.constructor === ReLU) return { code: 'relu', op: (y) => m.forward(y) };
  const code = actCode(m);
  return code === null ? null : { code, op: (y) => m.forward(y) };
}

/** The fused run starting at layers[i], or null (nothing to fuse there, or fusion off). */
export function fusedRun(layers: readonly Module[], i: number): FusedRun | null {
  // inference only: planning() also holds while gradients are recorded (the training step's activations are planned too)
  if (!planning() || isGradEnabled()) return null;
  let at = i;
  let reflect: readonly number[] | null = null;
  const first = layers[at];
  if (first instanceof ReflectionPad2d && plain(first)) {
    const next = layers[at + 1];
    if (next instanceof Conv2d && next.constructor === Conv2d && plain(next) && noPadding(next)) {
      reflect = first.padding;
      at++;
    }
  }
  const layer = layers[at];
  const next = layers[at + 1];
  if (reflect === null && isNorm(layer) && plain(layer)) {
    const relu = next instanceof ReLU && plain(next);
    return relu ? { count: 2, forward: (x) => layer.fusedForward(x, true), pure: false } : null;
  }
  const act = fusedActOf(next);
  if (reflect === null && layer instanceof Linear && layer.constructor === Linear && plain(layer)) {
    return act ? { count: 2, forward: (x) => layer.fusedForward(x, act), pure: true } : null;
  }
  if (!(layer instanceof Conv2d) || layer.constructor !== Conv2d || !plain(layer)) return null;
  const count = at - i + 1 + (act ? 1 : 0);
  if (count < 2) return null;
  return { count, forward: (x) => layer.fusedForward(x, reflect, act), pure: true };
}
