/**
 * The activation a convolution applies in its output pass (a fused
 * conv -> activation: nn/fusion.ts, ops/conv_fused.ts). ReLU goes in the
 * kernels' own loops (their `relu` flag); any other activation with a SIMD
 * kernel runs over each output while it is still in wasm memory, before it
 * is copied out: the same bits as the activation op after the convolution
 * (asm actF is elementwise), without its copies in and out of wasm memory.
 */
import { activateInPlace, activationOfCode, hardtanh, type ActCode } from './activations.js';
import type { WasmGemm } from './gemm_wasm.js';

/** Nothing, ReLU, or an activation by its SIMD code. Plain data: it travels to workers in tasks. */
export type OutputAct = null | 'relu' | ActCode;

/** ReLU as the SIMD hardtanh(0, inf) (pmax + 0: the relu op's values, NaN kept, -0 -> +0), for kernels without a ReLU flag. */
const RELU_CODE: ActCode = hardtanh(0, Infinity).simd!;

/** The activation as a SIMD code (ReLU as RELU_CODE), for kernels without a ReLU flag; null for none. */
export const simdCodeOf = (act: OutputAct): ActCode | null => (act === 'relu' ? RELU_CODE : act);

/** Whether the kernels' own ReLU flag applies. */
export const reluOf = (act: OutputAct): boolean => act === 'relu';

/** The activation of `planes` runs of `len` floats, `stride` apart, at `off` in w's memory (none for null and ReLU, which the kernels applied). */
export function activateRuns(w: WasmGemm, act: OutputAct, off: number, planes: number, len: number, stride: number): void {
  if (act === null || act === 'relu') return;
  if (len === stride) w.act(act.kind, off, off, planes * len, act.a, act.b);
  else for (let p = 0; p < planes; p++) w.act(act.kind, off + p * stride, off + p * stride, len, act.a, act.b);
}

/** The activation (not ReLU) of a whole output array outside wasm memory, as the op computes it. */
export function activateArray(act: OutputAct, y: Float32Array): void {
  if (act !== null && act !== 'relu') activateInPlace(activationOfCode(act), y);
}
