/**
 * `linear(x, weight, bias)` = x @ weight^T + bias over the last dim (PyTorch's
 * `F.linear`), one gemm for all leading dims. The shape rule is `linearOutputShape`.
 */
import { record } from '../autograd/record.js';
import { RuntimeError, fmtSize } from '../errors.js';
import { gemm } from '../kernels/gemm.js';
import { broadcastShapes, sameShape, type Shape } from '../tensor/shape.js';
import { allocStorage } from '../tensor/storage.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { add } from './elementwise.js';
import type { ActCode } from '../kernels/activations.js';
import { simdCodeOf } from '../kernels/output_act.js';
import { useWasmPointwise } from '../kernels/wasm_pointwise.js';
import { isGradEnabled } from '../tensor/grad_mode.js';
import type { FusedAct } from './conv_fused.js';

/** Output shape of `linear`: input [*, in], weight [out, in], bias broadcastable to [*, out]. */
export function linearOutputShape(input: Shape, weight: Shape, biasShape?: Shape): number[] {
  if (weight.length !== 2) throw new RuntimeError(`linear: weight must be 2-D [out_features, in_features], but got weight of size ${fmtSize(weight)}`);
  if (input.length === 0) throw new RuntimeError('both arguments to linear need to be at least 1D, but they are 0D and 2D');
  const inF = input[input.length - 1]!;
  if (inF !== weight[1]) {
    const rows = input.slice(0, -1).reduce((a, b) => a * b, 1);
    throw new RuntimeError(`mat1 and mat2 shapes cannot be multiplied (${rows}x${inF} and ${weight[1]}x${weight[0]})`, { kind: 'channels' });
  }
  const out = [...input.slice(0, -1), weight[0]!];
  if (biasShape !== undefined && !sameShape(broadcastShapes(out, biasShape), out)) {
    throw new RuntimeError(`linear: bias of size ${fmtSize(biasShape)} does not broadcast to the output size ${fmtSize(out)}`);
  }
  return out;
}

function columnSums(g: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) acc[j] = acc[j]! + g[r * cols + j]!;
  return Float32Array.from(acc);
}

/** x @ weight^T (+ a [out_features] bias, fused). */
function linearCore(x: Tensor, weight: Tensor, bias: Tensor | null, outShape: number[], act: ActCode | null = null): Tensor {
  const [outF, inF] = [weight.shape[0]!, weight.shape[1]!];
  const rows = outF === 0 ? 0 : outShape.reduce((a, b) => a * b, 1) / outF;
  // Recyclable storage (tensor/storage.ts), written whole; the bias is the sums' starting value (PyTorch's addmm adds it too).
  const out = allocStorage(rows * outF);
  const opts = { transB: true, ...(bias ? { rowBias: bias.data } : {}), ...(act ? { act } : {}) };
  gemm(rows, outF, inF, x.data, weight.data, out, opts);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(new Tensor(out, outShape), inputs, 'linear', (g) => {
    const gd = g.data;
    let gx: Tensor | null = null;
    let gw: Tensor | null = null;
    if (x.requiresGrad) {
      const d = allocStorage(x.numel());
      gemm(rows, inF, outF, gd, weight.data, d);
      gx = new Tensor(d, x.shape);
    }
    if (weight.requiresGrad) {
      const d = new Float32Array(weight.numel());
      gemm(outF, inF, rows, gd, x.data, d, { transA: true });
      gw = new Tensor(d, weight.shape);
    }
    const grads: (Tensor | null)[] = [gx, gw];
    if (bias) grads.push(bias.requiresGrad ? new Tensor(columnSums(gd, rows, outF), bias.shape) : null);
    return grads;
  });
}

/** The usual [out_features] bias, which the gemm adds as its sums' starting value. */
const isRowBias = (bias: Tensor, weight: Tensor): boolean => bias.ndim === 1 && bias.shape[0] === weight.shape[0];

/** PyTorch's `F.linear`: input [*, in_features], weight [out_features, in_features], optional bias. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  assertTensor(x, 'input');
  assertTensor(weight, 'weight');
  if (bias !== null) assertTensor(bias, 'bias');
  const outShape = linearOutputShape(x.shape, weight.shape, bias?.shape);
  if (x.isMeta || weight.isMeta || bias?.isMeta) return Tensor.meta(outShape);
  // The usual [out_features] bias is fused; any other broadcastable bias goes through `add`.
  const plainBias = bias !== null && isRowBias(bias, weight);
  const y = linearCore(x, weight, plainBias ? bias : null, outShape);
  return bias && !plainBias ? add(y, bias) : y;
}

/**
 * linear(x, weight, bias) then the activation `act`, for inference
 * (nn/fusion.ts): the activation's SIMD kernel runs over the output while it
 * is still in the gemm's memory, where the op after the linear layer would
 * run that kernel (the wasm gemm, at least 64 values, gradients off, the
 * usual bias); elsewhere the ops one after the other. Same values either way.
 */
export function linearFused(x: Tensor, weight: Tensor, bias: Tensor | null, act: FusedAct): Tensor {
  assertTensor(x, 'input');
  assertTensor(weight, 'weight');
  const outShape = linearOutputShape(x.shape, weight.shape, bias?.shape);
  const n = outShape.reduce((a, b) => a * b, 1);
  const code = simdCodeOf(act.code);
  const recording = isGradEnabled() && (x.requiresGrad || weight.requiresGrad || bias?.requiresGrad === true);
  const plainBias = bias === null || isRowBias(bias, weight);
  const meta = x.isMeta || weight.isMeta || bias?.isMeta === true;
  if (code === null || recording || !plainBias || meta || weight.shape[1] === 0 || useWasmPointwise(n) === null) return act.op(linear(x, weight, bias));
  return linearCore(x, weight, bias, outShape, code);
}
