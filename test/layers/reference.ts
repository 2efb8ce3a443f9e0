/**
 * Naive reference implementations (direct loops from the definitions) that the
 * fast kernels are checked against. Batched inputs only; float64 sums.
 */
import { Tensor } from '../../src/tensor/tensor.js';

export interface RefConv {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** out[n, o, y, x] = b[o] + sum_{c in group, i, j} w[o, c, i, j] * in[n, g*Cig + c, y*s - p + i*d, x*s - p + j*d]. */
export function refConv2d(x: Tensor, w: Tensor, b: Tensor | null, o: RefConv): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [Cout, Cig, kh, kw] = w.shape as [number, number, number, number];
  const outH = Math.floor((H + 2 * o.padding[0] - o.dilation[0] * (kh - 1) - 1) / o.stride[0]) + 1;
  const outW = Math.floor((W + 2 * o.padding[1] - o.dilation[1] * (kw - 1) - 1) / o.stride[1]) + 1;
  const Cog = Cout / o.groups;
  const out = new Float32Array(N * Cout * outH * outW);
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Cout; co++) {
      const g = Math.floor(co / Cog);
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let s = b ? b.data[co]! : 0;
          for (let c = 0; c < Cig; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = oy * o.stride[0] - o.padding[0] + i * o.dilation[0];
                const ix = ox * o.stride[1] - o.padding[1] + j * o.dilation[1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += w.data[((co * Cig + c) * kh + i) * kw + j]! * x.data[((n * C + g * Cig + c) * H + iy) * W + ix]!;
              }
          out[((n * Cout + co) * outH + oy) * outW + ox] = s;
        }
    }
  return new Tensor(out, [N, Cout, outH, outW]);
}

/** Transposed convolution as a scatter: every input pixel adds w * x into its output window. */
export function refConvTranspose2d(x: Tensor, w: Tensor, b: Tensor | null, o: RefConv & { outputPadding: [number, number] }): Tensor {
  const [N, Cin, H, W] = x.shape as [number, number, number, number];
  const [, Cog, kh, kw] = w.shape as [number, number, number, number];
  const Cout = Cog * o.groups;
  const Cig = Cin / o.groups;
  const outH = (H - 1) * o.stride[0] - 2 * o.padding[0] + o.dilation[0] * (kh - 1) + o.outputPadding[0] + 1;
  const outW = (W - 1) * o.stride[1] - 2 * o.padding[1] + o.dilation[1] * (kw - 1) + o.outputPadding[1] + 1;
  const out = new Float64Array(N * Cout * outH * outW);
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < Cin; ci++) {
      const g = Math.floor(ci / Cig);
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          const v = x.data[((n * Cin + ci) * H + y) * W + xx]!;
          for (let c = 0; c < Cog; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const oy = y * o.stride[0] - o.padding[0] + i * o.dilation[0];
                const ox = xx * o.stride[1] - o.padding[1] + j * o.dilation[1];
                if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
                out[((n * Cout + g * Cog + c) * outH + oy) * outW + ox]! += v * w.data[((ci * Cog + c) * kh + i) * kw + j]!;
              }
        }
    }
  if (b) for (let i = 0; i < out.length; i++) out[i]! += b.data[Math.floor(i / (outH * outW)) % Cout]!;
  return new Tensor(Float32Array.from(out), [N, Cout, outH, outW]);
}

/** Max pooling from the definition: windows of k taps spaced d, starting at o*s - p; taps outside are skipped. */
export function refMaxPool2d(x: Tensor, k: number, s: number, p: number, d: number, outH: number, outW: number): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const out = new Float32Array(N * C * outH * outW);
  for (let pl = 0; pl < N * C; pl++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++) {
        let m = -Infinity;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const iy = oy * s - p + i * d;
            const ix = ox * s - p + j * d;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) m = Math.max(m, x.data[(pl * H + iy) * W + ix]!);
          }
        out[(pl * outH + oy) * outW + ox] = m;
      }
  return new Tensor(out, [N, C, outH, outW]);
}
