/**
 * Pointwise activations: in float32 WebAssembly SIMD (asm/activations.ts,
 * through the gemm module's memory: kernels/wasm_pointwise.ts) when that
 * module loaded, else one plain TypeScript loop each, computed in float64 from
 * the float32 inputs and rounded once (a loop calling a different closure per
 * activation ran 5-10x slower than these). The two paths agree within the
 * SIMD exp's and erfc's float32 error (1e-6 relative; up to 7e-6 on GELU's
 * negative tail down to x = -11, 1.5e-5 near -12.7 where GELU is below
 * 1e-34), far inside the oracle's rtol of 1e-4. Backward passes run
 * the TypeScript loops (from the input x, the output y and the gradient g).
 *
 * relu and tanh have kernels of their own (kernels/relu.ts, tanh.ts).
 */
import { allocStorage } from '../tensor/storage.js';
import { pointwiseInWasm, useWasmPointwise } from './wasm_pointwise.js';

export interface Activation {
  forward(x: Float32Array, y: Float32Array): void;
  backward(x: Float32Array, y: Float32Array, g: Float32Array, gx: Float32Array): void;
  /** asm/activations.ts's code and parameters, where the SIMD kernel computes it. */
  simd?: ActCode;
}

/** asm/activations.ts's activation codes. */
const SIMD = { hardtanh: 0, leaky: 1, elu: 2, sigmoid: 3, silu: 4, hardswish: 5, gelu: 6 } as const;

/** asm/activations.ts's code of an activation and its two parameters (Activation.simd). */
export interface ActCode {
  kind: number;
  a: number;
  b: number;
}

/** The activation whose SIMD code is `c` (its TypeScript loops, for paths outside wasm). */
export function activationOfCode(c: ActCode): Activation {
  switch (c.kind) {
    case SIMD.hardtanh: return hardtanh(c.a, c.b);
    case SIMD.leaky: return leakyRelu(c.a);
    case SIMD.elu: return elu(c.a, c.b);
    case SIMD.sigmoid: return sigmoid;
    case SIMD.silu: return silu;
    case SIMD.hardswish: return hardswish;
    case SIMD.gelu: return gelu;
  }
  throw new RangeError(`internal: no activation has SIMD code ${c.kind}`);
}

/**
 * a = k(a) in place, as activationForward computes it (SIMD where it can,
 * else the TypeScript loop: the same bits as the unfused op on each path).
 */
export function activateInPlace(k: Activation, a: Float32Array): void {
  const w = k.simd ? useWasmPointwise(a.length) : null;
  if (w === null || k.simd === undefined) {
    k.forward(a, a);
    return;
  }
  const { kind, a: p, b } = k.simd;
  pointwiseInWasm(w, [a], a, ([buf], len) => w.act(kind, buf!, buf!, len, p, b));
}

/** y = k(x) in fresh (recyclable) storage: SIMD where it can, else the TypeScript loop. */
export function activationForward(k: Activation, x: Float32Array): Float32Array {
  const y = allocStorage(x.length);
  const w = k.simd ? useWasmPointwise(x.length) : null;
  if (w === null || k.simd === undefined) {
    k.forward(x, y);
    return y;
  }
  const { kind, a, b } = k.simd;
  return pointwiseInWasm(w, [x], y, ([buf], len) => w.act(kind, buf!, buf!, len, a, b));
}

/** min(max(x, lo), hi), NaN kept; the gradient 0 at and beyond both ends (PyTorch's hardtanh_backward). */
export function hardtanh(lo: number, hi: number): Activation {
  return {
    simd: { kind: SIMD.hardtanh, a: lo, b: hi },
    forward(x, y) {
      // branch-free (a data-dependent branch mispredicts on half the values); Math.max/min keep NaN, and max(-0, 0) is +0 as PyTorch's
      for (let i = 0; i < x.length; i++) y[i] = Math.min(Math.max(x[i]!, lo), hi);
    },
    backward(x, _y, g, gx) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        gx[i] = v <= lo || v >= hi ? 0 : g[i]!;
      }
    },
  };
}

export function leakyRelu(slope: number): Activation {
  return {
    simd: { kind: SIMD.leaky, a: slope, b: 0 },
    forward(x, y) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : v * slope;
      }
    },
    backward(x, _y, g, gx) {
      for (let i = 0; i < x.length; i++) gx[i] = x[i]! > 0 ? g[i]! : g[i]! * slope;
    },
  };
}

/** scale * (x > 0 ? x : alpha * (exp(x) - 1)): elu (scale 1) and selu. */
export function elu(alpha: number, scale = 1): Activation {
  return {
    simd: { kind: SIMD.elu, a: alpha, b: scale },
    forward(x, y) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = scale * (v > 0 ? v : alpha * Math.expm1(v));
      }
    },
    backward(x, _y, g, gx) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        gx[i] = g[i]! * (v > 0 ? scale : scale * alpha * Math.exp(v));
      }
    },
  };
}

export const sigmoid: Activation = {
  simd: { kind: SIMD.sigmoid, a: 0, b: 0 },
  forward(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
  },
  backward(_x, y, g, gx) {
    for (let i = 0; i < y.length; i++) {
      const s = y[i]!;
      gx[i] = g[i]! * (s * (1 - s));
    }
  },
};

export const silu: Activation = {
  simd: { kind: SIMD.silu, a: 0, b: 0 },
  forward(x, y) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = v / (1 + Math.exp(-v));
    }
  },
  backward(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const s = 1 / (1 + Math.exp(-v));
      gx[i] = g[i]! * (s * (1 + v * (1 - s)));
    }
  },
};

export const hardswish: Activation = {
  simd: { kind: SIMD.hardswish, a: 0, b: 0 },
  forward(x, y) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6;
    }
  },
  backward(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      gx[i] = g[i]! * (v < -3 ? 0 : v <= 3 ? v / 3 + 0.5 : 1);
    }
  },
};

export function softplus(beta: number, threshold: number): Activation {
  return {
    forward(x, y) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v * beta > threshold ? v : Math.log1p(Math.exp(v * beta)) / beta;
      }
    },
    backward(x, _y, g, gx) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        if (v * beta > threshold) gx[i] = g[i]!;
        else {
          const z = Math.exp(v * beta);
          gx[i] = g[i]! * (z / (z + 1));
        }
      }
    },
  };
}

/**
 * erfc(z) for z >= 0 within 1.2e-12 relative (checked against mpmath on
 * [0, 26], where erfc underflows): t exp(-z^2 + P(t)) with t = 2 / (2 + z),
 * the shape of Numerical Recipes' erfcc (whose degree-9 P reaches 1.2e-7),
 * with P of degree 18 least-squares fitted in 600 Chebyshev nodes of t to
 * log(erfc(z) e^{z^2} / t) computed at 40 digits. One exp and 18 multiply-adds.
 */
const ERFC_P = [
  -1.2655121234841622, 0.9999999996944766, 0.37500003121717373, 0.08333214164353925, -0.08591596709779974, -0.14393273087209485, -0.09164614458389321,
  0.04233710379895996, -0.014136843185617448, 1.0367147943426225, -3.797765825882061, 10.712859223772378, -22.775897494011137, 33.042346343623365,
  -32.18037035754111, 20.900120510017153, -8.750757663496765, 2.1498077007752667, -0.2365826987313907,
];

const [P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14, P15, P16, P17, P18] = ERFC_P as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

export function erfcNonNegative(z: number): number {
  const t = 2 / (2 + z);
  // Horner written out: constants the compiler can keep in registers
  const v =
    P0 + t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * (P5 + t * (P6 + t * (P7 + t * (P8 + t * (P9 + t * (P10 + t * (P11 + t * (P12 + t * (P13 + t * (P14 + t * (P15 + t * (P16 + t * (P17 + t * P18)))))))))))))))));
  return t * Math.exp(-z * z + v);
}

/** The standard normal CDF, accurate in relative terms on both tails: 0.5 erfc(-x / sqrt 2). */
export function normalCdf(x: number): number {
  const e = 0.5 * erfcNonNegative(Math.abs(x) * Math.SQRT1_2);
  return x >= 0 ? 1 - e : e; // NaN: e is NaN
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** x Phi(x); gradient Phi(x) + x phi(x). */
export const gelu: Activation = {
  simd: { kind: SIMD.gelu, a: 0, b: 0 },
  forward(x, y) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = v * normalCdf(v);
    }
  },
  backward(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      gx[i] = g[i]! * (normalCdf(v) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI);
    }
  },
};

/** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) and its derivative. */
export const geluTanh: Activation = {
  forward(x, y) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v)));
    }
  },
  backward(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
      gx[i] = g[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * v * v));
    }
  },
};
