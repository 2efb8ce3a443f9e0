/**
 * 3-D convolutions: conv3d and conv_transpose3d, computed as vol2col + gemm per
 * volume and group (gradients by the adjoint: gemm + col2vol). Their shape
 * rules, `conv3dOutputShape` and `convTranspose3dOutputShape`, live in conv.ts
 * next to the 2-D ones; this file only runs them and computes.
 */
import { record } from '../autograd/record.js';
import { addBias, biasGrad } from '../kernels/conv.js';
import { col2vol, vol2col, type ConvGeom3d } from '../kernels/conv3d.js';
import { gemm } from '../kernels/gemm.js';
import { checkOptions } from '../options.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { conv3dOutputShape, convTranspose3dOutputShape, type ConvOptions, type ConvTransposeOptions } from './conv.js';
import { expandParam, windowedFacts } from './window_args.js';

type Triple = [number, number, number];

const triple = (v: number[]): Triple => [v[0]!, v[1]!, v[2]!];

function checkTensors(x: Tensor, weight: Tensor, bias: Tensor | null): void {
  assertTensor(x, 'input');
  assertTensor(weight, 'weight');
  if (bias !== null && bias !== undefined) assertTensor(bias, 'bias');
}

/** Padding before each dim (PyTorch's 'same' splits d*(k-1) with the extra unit after). */
function padBefore(opts: ConvOptions, kernel: readonly number[], dilation: number[]): Triple {
  const pad = opts.padding ?? 0;
  if (pad === 'valid') return [0, 0, 0];
  if (pad === 'same') return triple(kernel.map((k, i) => Math.floor((dilation[i]! * (k - 1)) / 2)));
  return triple(expandParam(pad, 3, 'padding'));
}

const batched = (s: readonly number[]) => (s.length === 5 ? [...s] : [1, ...s]);

/** Forward and adjoint of `out = W * vol2col(x)` per volume and group (direct convolution). */
function convForward3d(x: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeom3d, groups: number, outShape: number[]): Tensor {
  const xb = batched(x.shape);
  const ob = batched(outShape);
  const [N, C] = [xb[0]!, xb[1]!];
  const Cout = weight.shape[0]!;
  const K3 = g.k[0] * g.k[1] * g.k[2];
  const Kg = (C / groups) * K3;
  const Cog = Cout / groups;
  const L = ob[2]! * ob[3]! * ob[4]!;
  const V = g.D * g.H * g.W;
  const xd = x.data;
  const wd = weight.data;
  const out = new Float32Array(N * Cout * L);
  const col = new Float32Array(C * K3 * L);
  for (let n = 0; n < N; n++) {
    vol2col(xd, n * C * V, C, g, col);
    for (let grp = 0; grp < groups; grp++) {
      gemm(Cog, L, Kg, wd, col, out, { aOffset: grp * Cog * Kg, bOffset: grp * Kg * L, cOffset: (n * Cout + grp * Cog) * L });
    }
  }
  if (bias) addBias(out, bias.data, N, Cout, L);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(new Tensor(out, outShape), inputs, 'conv3d', (gOut) => {
    const gd = gOut.data;
    const gx = x.requiresGrad ? new Float32Array(x.numel()) : null;
    const gw = weight.requiresGrad ? new Float32Array(weight.numel()) : null;
    const gcol = new Float32Array(col.length);
    for (let n = 0; n < N; n++) {
      if (gw) {
        vol2col(xd, n * C * V, C, g, col);
        for (let grp = 0; grp < groups; grp++) {
          gemm(Cog, Kg, L, gd, col, gw, { transB: true, accumulate: true, aOffset: (n * Cout + grp * Cog) * L, bOffset: grp * Kg * L, cOffset: grp * Cog * Kg });
        }
      }
      if (gx) {
        for (let grp = 0; grp < groups; grp++) {
          gemm(Kg, L, Cog, wd, gd, gcol, { transA: true, aOffset: grp * Cog * Kg, bOffset: (n * Cout + grp * Cog) * L, cOffset: grp * Kg * L });
        }
        col2vol(gcol, 0, C, g, gx, n * C * V);
      }
    }
    const grads: (Tensor | null)[] = [gx && new Tensor(gx, x.shape), gw && new Tensor(gw, weight.shape)];
    if (bias) grads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, L), bias.shape) : null);
    return grads;
  });
}

/** Transposed: the output is the volume; window positions are the input's voxels (`g.out`). */
function convTransposeForward3d(x: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeom3d, groups: number, outShape: number[]): Tensor {
  const xb = batched(x.shape);
  const ob = batched(outShape);
  const [N, Cin] = [xb[0]!, xb[1]!];
  const Cout = ob[1]!;
  const K3 = g.k[0] * g.k[1] * g.k[2];
  const Cig = Cin / groups;
  const KgT = (Cout / groups) * K3;
  const Lin = g.out[0] * g.out[1] * g.out[2];
  const Vout = g.D * g.H * g.W;
  const xd = x.data;
  const wd = weight.data;
  const out = new Float32Array(N * Cout * Vout);
  const col = new Float32Array(Cout * K3 * Lin);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < groups; grp++) {
      gemm(KgT, Lin, Cig, wd, xd, col, { transA: true, aOffset: grp * Cig * KgT, bOffset: (n * Cin + grp * Cig) * Lin, cOffset: grp * KgT * Lin });
    }
    col2vol(col, 0, Cout, g, out, n * Cout * Vout);
  }
  if (bias) addBias(out, bias.data, N, Cout, Vout);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(new Tensor(out, outShape), inputs, 'conv_transpose3d', (gOut) => {
    const gd = gOut.data;
    const gx = x.requiresGrad ? new Float32Array(x.numel()) : null;
    const gw = weight.requiresGrad ? new Float32Array(weight.numel()) : null;
    const gcol = new Float32Array(col.length);
    for (let n = 0; n < N; n++) {
      vol2col(gd, n * Cout * Vout, Cout, g, gcol);
      for (let grp = 0; grp < groups; grp++) {
        const xo = (n * Cin + grp * Cig) * Lin;
        if (gx) gemm(Cig, Lin, KgT, wd, gcol, gx, { aOffset: grp * Cig * KgT, bOffset: grp * KgT * Lin, cOffset: xo });
        if (gw) gemm(Cig, KgT, Lin, xd, gcol, gw, { transB: true, accumulate: true, aOffset: xo, bOffset: grp * KgT * Lin, cOffset: grp * Cig * KgT });
      }
    }
    const grads: (Tensor | null)[] = [gx && new Tensor(gx, x.shape), gw && new Tensor(gw, weight.shape)];
    if (bias) grads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, Vout), bias.shape) : null);
    return grads;
  });
}

/**
 * 3-D convolution (PyTorch's `F.conv3d`): input [N, C_in, D, H, W] or
 * [C_in, D, H, W], weight [C_out, C_in / groups, kD, kH, kW], optional bias [C_out].
 */
export function conv3d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  checkTensors(x, weight, bias);
  checkOptions('conv3d', opts, { stride: 'ints', padding: 'any', dilation: 'ints', groups: 'int' }, { position: 4, positional: 'stride' });
  const outShape = conv3dOutputShape(x.shape, weight.shape, opts, bias?.shape);
  const unpadded = opts.padding === 'valid' || (typeof opts.padding !== 'string' && expandParam(opts.padding ?? 0, 3, 'padding').every((v) => v === 0));
  if (x.isMeta || weight.isMeta || bias?.isMeta) return Tensor.meta(outShape, windowedFacts(x, outShape, 3, unpadded));
  const xb = batched(x.shape);
  const ob = batched(outShape);
  const dilation = expandParam(opts.dilation ?? 1, 3, 'dilation');
  const g: ConvGeom3d = {
    D: xb[2]!,
    H: xb[3]!,
    W: xb[4]!,
    k: triple(weight.shape.slice(2)),
    s: triple(expandParam(opts.stride ?? 1, 3, 'stride')),
    p: padBefore(opts, weight.shape.slice(2), dilation),
    d: triple(dilation),
    out: triple(ob.slice(2)),
  };
  return convForward3d(x, weight, bias ?? null, g, opts.groups ?? 1, outShape);
}

/**
 * Transposed 3-D convolution (PyTorch's `F.conv_transpose3d`): input [N, C_in, D, H, W],
 * weight [C_in, C_out / groups, kD, kH, kW].
 * out = (in - 1)*stride - 2*padding + dilation*(k-1) + output_padding + 1 per dim.
 */
export function convTranspose3d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTransposeOptions = {}): Tensor {
  checkTensors(x, weight, bias);
  checkOptions('conv_transpose3d', opts, { stride: 'ints', padding: 'ints', outputPadding: 'ints', groups: 'int', dilation: 'ints' }, { position: 4, positional: 'stride' });
  const outShape = convTranspose3dOutputShape(x.shape, weight.shape, opts, bias?.shape);
  if (x.isMeta || weight.isMeta || bias?.isMeta) return Tensor.meta(outShape, windowedFacts(x, outShape, 3, false));
  const xb = batched(x.shape);
  const ob = batched(outShape);
  const g: ConvGeom3d = {
    D: ob[2]!,
    H: ob[3]!,
    W: ob[4]!,
    k: triple(weight.shape.slice(2)),
    s: triple(expandParam(opts.stride ?? 1, 3, 'stride')),
    p: triple(expandParam(opts.padding ?? 0, 3, 'padding')),
    d: triple(expandParam(opts.dilation ?? 1, 3, 'dilation')),
    out: triple(xb.slice(2)),
  };
  return convTransposeForward3d(x, weight, bias ?? null, g, opts.groups ?? 1, outShape);
}
