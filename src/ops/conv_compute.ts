/**
 * The compute drivers of convolution: im2col + gemm per image and group
 * (chunks of output rows keep each column matrix cache-sized), gradients by
 * the adjoint (gemm + col2im). Shapes are already checked (conv_shape.ts);
 * conv1d runs as a conv2d over a height-1 image.
 */
import { record } from '../autograd/record.js';
import { addBias, biasGrad, chunkRows, col2im, fitsI32, im2col, type ConvGeom2d } from '../kernels/conv.js';
import { convPath, convTransposeForwardWasm, gemmSizes, getConvPath, wasmConvEnabled, type ConvDims } from '../kernels/conv_fwd.js';
import { convBackwardDirect, convBackwardWasm } from '../kernels/conv_bwd.js';
import { depthwiseApplies, depthwiseForward } from '../kernels/conv_depthwise.js';
import { convForwardAll, convTransposeAll, convWeightGradAll } from '../kernels/conv_threads.js';
import { gemm } from '../kernels/gemm.js';
import { checkNumel, type Shape } from '../tensor/shape.js';
import { allocStorage } from '../tensor/storage.js';
import { Tensor } from '../tensor/tensor.js';
import { batchify, type ConvParams } from './conv_shape.js';
import { pad } from './pad.js';
import { activateArray, type OutputAct } from '../kernels/output_act.js';
import { useWasmPointwise } from '../kernels/wasm_pointwise.js';

/** Lifts 1-D parameters to the height-1 2-D geometry the kernels run. */
function geom2d(nd: number, p: ConvParams, kernel: Shape, image: Shape, positions: Shape): ConvGeom2d {
  const at = (arr: readonly number[], i: number, dflt: number) => (nd === 2 ? arr[i]! : i === 0 ? dflt : arr[0]!);
  return {
    H: at(image, 0, 1),
    W: at(image, 1, 1),
    kh: at(kernel, 0, 1),
    kw: at(kernel, 1, 1),
    sh: at(p.stride, 0, 1),
    sw: at(p.stride, 1, 1),
    ph: at(p.padBefore, 0, 0),
    pw: at(p.padBefore, 1, 0),
    dh: at(p.dilation, 0, 1),
    dw: at(p.dilation, 1, 1),
    outH: at(positions, 0, 1),
    outW: at(positions, 1, 1),
  };
}

/**
 * `fused` (inference only: ops/conv_fused.ts): `reflect`, x (4-D) is the
 * image before a reflection padding to `padded` (H, W) with `top` rows and
 * `left` columns before it, which the kernels apply as they copy the image
 * (the wasm paths only); `act`, the activation applied to the result: in
 * the kernels' output pass where its op would run the same SIMD kernel (a
 * wasm path, at least 64 values), else after them as the op runs it.
 */
export function convForward(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  p: ConvParams,
  nd: number,
  outShape: number[],
  fused: { reflect?: { padded: number[]; top: number; left: number }; act?: OutputAct } = {},
): Tensor {
  const xb = batchify(x.shape, nd, '');
  const ob = x.ndim === nd + 2 ? outShape : [1, ...outShape];
  const [N, C] = [xb[0]!, xb[1]!];
  const Cout = weight.shape[0]!;
  const r = fused.reflect;
  const g = geom2d(nd, p, weight.shape.slice(2), r ? r.padded : xb.slice(2), ob.slice(2));
  const G = p.groups;
  const dims: ConvDims = r ? { N, C, Cout, G, g, reflect: { H: xb[2]!, W: xb[3]!, top: r.top, left: r.left } } : { N, C, Cout, G, g };
  // only the wasm paths pad as they copy: on the TypeScript one (no wasm, or a geometry past its 32-bit offsets) the padding is made first
  if (r && convPath(dims) === 'js') {
    const [H, W] = [xb[2]!, xb[3]!];
    const padded = pad(x, [r.left, r.padded[1]! - W - r.left, r.top, r.padded[0]! - H - r.top], 'reflect');
    return convForward(padded, weight, bias, p, nd, outShape, fused.act ? { act: fused.act } : {});
  }
  // A pointwise convolution reads the image itself as its column matrix; other column matrices come in cache-sized chunks of output rows.
  const { Cog, Kg, L, HW, direct, rows } = gemmSizes(dims);
  const xd = x.data;
  const wd = weight.data;
  const colSize = C * g.kh * g.kw * rows * g.outW;
  const forChunks = (n: number, f: (oh0: number, oh1: number, Lc: number, colBase: number) => void) => {
    for (let oh0 = 0; oh0 < g.outH; oh0 += rows) {
      const oh1 = Math.min(g.outH, oh0 + rows);
      f(oh0, oh1, (oh1 - oh0) * g.outW, direct ? n * C * HW : 0);
    }
  };
  checkNumel(N * Cout * L, outShape);
  const act = fused.act ?? null;
  const inPass = act === null || act === 'relu' || (convPath(dims) !== 'js' && useWasmPointwise(N * Cout * L) !== null);
  // depthwise layers (MobileNet, EfficientNet, ConvNeXt) by their own kernel unless a path is forced or a padding is fused in
  const out =
    getConvPath() === 'auto' && r === undefined && depthwiseApplies(dims)
      ? depthwiseForward(dims, xd, wd, bias ? bias.data : null, allocStorage(N * Cout * L), inPass ? act : null)
      : convForwardAll(dims, xd, wd, bias ? bias.data : null, allocStorage, inPass ? act : null);
  if (!inPass) activateArray(act, out);
  const result = new Tensor(out, outShape);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(result, inputs, 'conv', (gOut) => {
    const gd = gOut.data;
    const path = convPath(dims);
    if (path === 'direct' || path === 'winograd') {
      const r = convBackwardDirect(dims, xd, wd, gd, x.requiresGrad, weight.requiresGrad, getConvPath() === 'winograd');
      const dgrads: (Tensor | null)[] = [r.gx && new Tensor(r.gx, x.shape), r.gw && new Tensor(r.gw, weight.shape)];
      if (bias) dgrads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, L), bias.shape) : null);
      return dgrads;
    }
    // Recyclable storage (a backward pass frees it once summed: autograd/backward.ts); the wasm path writes it whole.
    const gx = x.requiresGrad ? (path === 'wasm' ? allocStorage(x.numel()) : allocStorage(x.numel()).fill(0)) : null;
    const gw = weight.requiresGrad ? new Float32Array(weight.numel()) : null;
    if (path === 'wasm') {
      convBackwardWasm(dims, xd, wd, gd, gx, gw);
      const wgrads: (Tensor | null)[] = [gx && new Tensor(gx, x.shape), gw && new Tensor(gw, weight.shape)];
      if (bias) wgrads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, L), bias.shape) : null);
      return wgrads;
    }
    const bcol = gw && !direct ? new Float32Array(colSize) : xd;
    const gcol = gx && !direct ? new Float32Array(colSize) : gx;
    for (let n = 0; n < N; n++) {
      forChunks(n, (oh0, oh1, Lc, colBase) => {
        const gOff = n * Cout * L + oh0 * g.outW;
        if (gw) {
          if (!direct) im2col(xd, n * C * HW, C, g, bcol, 0, oh0, oh1);
          for (let grp = 0; grp < G; grp++) {
            gemm(Cog, Kg, Lc, gd, bcol, gw, {
              transB: true,
              accumulate: true,
              aOffset: gOff + grp * Cog * L,
              lda: L,
              bOffset: colBase + grp * Kg * Lc,
              cOffset: grp * Cog * Kg,
            });
          }
        }
        if (gx && gcol) {
          for (let grp = 0; grp < G; grp++) {
            gemm(Kg, Lc, Cog, wd, gd, gcol, {
              transA: true,
              aOffset: grp * Cog * Kg,
              bOffset: gOff + grp * Cog * L,
              ldb: L,
              cOffset: colBase + grp * Kg * Lc,
            });
          }
          if (!direct) col2im(gcol, 0, C, g, gx, n * C * HW, oh0, oh1);
        }
      });
    }
    const grads: (Tensor | null)[] = [gx && new Tensor(gx, x.shape), gw && new Tensor(gw, weight.shape)];
    if (bias) grads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, L), bias.shape) : null);
    return grads;
  });
}

export function convTransposeForward(x: Tensor, weight: Tensor, bias: Tensor | null, p: ConvParams, outShape: number[]): Tensor {
  const xb = batchify(x.shape, 2, '');
  const ob = x.ndim === 4 ? outShape : [1, ...outShape];
  const [N, Cin] = [xb[0]!, xb[1]!];
  const Cout = ob[1]!;
  // The image is the (larger) output; window positions are the input's pixels.
  const g = geom2d(2, p, weight.shape.slice(2), ob.slice(2), xb.slice(2));
  const G = p.groups;
  const Cig = Cin / G;
  const KgT = (Cout / G) * g.kh * g.kw;
  const Lin = g.outH * g.outW;
  const HWout = g.H * g.W;
  const xd = x.data;
  const wd = weight.data;
  checkNumel(N * Cout * HWout, outShape);
  // Chunks of input rows (the window positions) keep each column matrix cache-sized.
  const rows = chunkRows(Cout * g.kh * g.kw, g.outW, g.outH);
  const colSize = checkNumel(Cout * g.kh * g.kw * rows * g.outW);
  const forChunks = (f: (r0: number, r1: number, Lc: number) => void) => {
    for (let r0 = 0; r0 < g.outH; r0 += rows) {
      const r1 = Math.min(g.outH, r0 + rows);
      f(r0, r1, (r1 - r0) * g.outW);
    }
  };
  const useWasm = wasmConvEnabled() && fitsI32(g);
  const dims: ConvDims = { N, C: Cin, Cout, G, g };
  // The gemm + col2im driver only when forced (NORMKIT_CONV=wasm); else sub-pixel implicit gemms.
  const direct = useWasm && getConvPath() !== 'wasm';
  // Recyclable storage (see tensor/storage.ts); the JavaScript path adds into it, the wasm ones write it whole.
  const out = direct ? convTransposeAll(dims, xd, wd, bias ? bias.data : null) : allocStorage(N * Cout * HWout);
  if (!useWasm) out.fill(0);
  if (!direct && useWasm) convTransposeForwardWasm(dims, xd, wd, bias ? bias.data : null, out);
  const col = useWasm ? new Float32Array(0) : new Float32Array(colSize);
  for (let n = 0; n < N && !useWasm; n++) {
    forChunks((r0, r1, Lc) => {
      for (let grp = 0; grp < G; grp++) {
        gemm(KgT, Lc, Cig, wd, xd, col, {
          transA: true,
          aOffset: grp * Cig * KgT,
          bOffset: (n * Cin + grp * Cig) * Lin + r0 * g.outW,
          ldb: Lin,
          cOffset: grp * KgT * Lc,
        });
      }
      col2im(col, 0, Cout, g, out, n * Cout * HWout, r0, r1);
    });
  }
  if (bias && !useWasm) addBias(out, bias.data, N, Cout, HWout);
  const result = new Tensor(out, outShape);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(result, inputs, 'conv_transpose', (gOut) => {
    const gd = gOut.data;
    if (direct) {
      // The adjoint of a transposed convolution is the convolution: gx from the forward
      // kernels (weights [Cin][Cout/G] read as a convolution's [out][in/G]), gw as a
      // convolution's weight gradient with the roles of image and positions swapped.
      const adj: ConvDims = { N, C: Cout, Cout: Cin, G, g };
      const gx = x.requiresGrad ? convForwardAll(adj, gd, wd, null, allocStorage) : null;
      const gw = weight.requiresGrad ? convWeightGradAll(adj, gd, xd) : null;
      const dgrads: (Tensor | null)[] = [gx && new Tensor(gx, x.shape), gw && new Tensor(gw, weight.shape)];
      if (bias) dgrads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, HWout), bias.shape) : null);
      return dgrads;
    }
    const gx = x.requiresGrad ? new Float32Array(x.numel()) : null;
    const gw = weight.requiresGrad ? new Float32Array(weight.numel()) : null;
    const gcol = new Float32Array(colSize);
    for (let n = 0; n < N; n++) {
      forChunks((r0, r1, Lc) => {
        im2col(gd, n * Cout * HWout, Cout, g, gcol, 0, r0, r1);
        for (let grp = 0; grp < G; grp++) {
          const xo = (n * Cin + grp * Cig) * Lin + r0 * g.outW;
          if (gx) gemm(Cig, Lc, KgT, wd, gcol, gx, { aOffset: grp * Cig * KgT, bOffset: grp * KgT * Lc, cOffset: xo, ldc: Lin });
          if (gw) {
            gemm(Cig, KgT, Lc, xd, gcol, gw, { transB: true, accumulate: true, aOffset: xo, lda: Lin, bOffset: grp * KgT * Lc, cOffset: grp * Cig * KgT });
          }
        }
      });
    }
    const grads: (Tensor | null)[] = [gx && new Tensor(gx, x.shape), gw && new Tensor(gw, weight.shape)];
    if (bias) grads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, HWout), bias.shape) : null);
    return grads;
  });
}
