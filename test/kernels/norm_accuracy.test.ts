/**
 * The fast statistics (float32 lanes, shifted about the first value, summed
 * again when that shift was far from the mean) and the float32 output form
 * against float64 references, on data that stresses them: large offsets, a
 * first value far from the rest, tiny and huge scales, long planes. Both
 * kernel sets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as be from '../../src/kernels/backend.js';
import type { NormLayout } from '../../src/kernels/norm.js';

const EPS = 1e-5;
const f = Math.fround;
be.setNormThreads(1);

/** Deterministic normal-ish values (sum of uniforms) from a xorshift stream. */
function noise(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  for (let i = 0; i < n; i++) out[i] = (u() + u() + u() + u() - 2) * 1.7320508;
  return out;
}

interface Plane {
  offset: number;
  scale: number;
  /** The first value sits this many scales away from the offset (0: an ordinary first value). */
  outlier: number;
}

function planes(S: number, count: number, p: Plane, seed: number): Float32Array {
  const r = noise(S * count, seed);
  const x = new Float32Array(S * count);
  for (let i = 0; i < x.length; i++) x[i] = p.offset + p.scale * r[i]!;
  for (let j = 0; j < count; j++) if (p.outlier) x[j * S] = p.offset + p.outlier * p.scale;
  return x;
}

/** Two-pass float64 mean and biased variance of x[o, o + n). */
function exactStats(x: Float32Array, o: number, n: number): [number, number] {
  let s = 0;
  for (let i = o; i < o + n; i++) s += x[i]!;
  const m = s / n;
  let q = 0;
  for (let i = o; i < o + n; i++) q += (x[i]! - m) ** 2;
  return [m, q / n];
}

const planeArb = fc.record({
  S: fc.constantFrom(1, 7, 16, 17, 64, 100, 1000, 4099, 20000),
  offset: fc.constantFrom(0, 0.5, -3, 1e4, -2.5e5),
  scale: fc.constantFrom(1e-3, 0.3, 1, 50),
  outlier: fc.constantFrom(0, 0, 4, -60, 1000),
  seed: fc.integer({ min: 1, max: 1 << 20 }),
});

for (const backend of ['js', 'wasm'] as const) {
  test(`statistics match a two-pass float64 reference (${backend} kernels)`, () => {
    be.setNormBackend(backend);
    try {
      fc.assert(
        fc.property(planeArb, ({ S, offset, scale, outlier, seed }) => {
          const count = 3;
          const x = planes(S, count, { offset, scale, outlier }, seed);
          const l: NormLayout = { N: 1, C: count, S, perSample: true, groupSize: 1 };
          const fwd = be.normForward(x, l, EPS, null, null);
          const st = be.normStats(x, l);
          for (let j = 0; j < count; j++) {
            const [m, v] = exactStats(x, j * S, S);
            // float32 data carries 2^-24 relative error: the statistics may not be better than that.
            const tolMean = 1e-6 * Math.sqrt(v) + 1e-7 * Math.abs(m) + 1e-30;
            const tolVar = 2e-5 * v + 1e-30;
            for (const [what, got] of [['normForward', fwd], ['normStats', st]] as const) {
              assert.ok(Math.abs(got.mean[j]! - m) <= tolMean, `${what} mean of plane ${j}: ${got.mean[j]} vs ${m} (S ${S}, offset ${offset}, scale ${scale}, outlier ${outlier})`);
              assert.ok(Math.abs(got.variance[j]! - v) <= tolVar, `${what} variance of plane ${j}: ${got.variance[j]} vs ${v} (S ${S}, offset ${offset}, scale ${scale}, outlier ${outlier})`);
            }
          }
        }),
        { numRuns: 120, seed: 11 },
      );
    } finally {
      be.setNormBackend('wasm');
    }
  });

  test(`outputs stay within 1e-6 of ATen's fused multiply-add, and equal it on near-constant planes (${backend} kernels)`, () => {
    be.setNormBackend(backend);
    try {
      fc.assert(
        fc.property(planeArb, fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (p, w, b) => {
          const count = 2;
          const x = planes(p.S, count, p, p.seed);
          const weight = Float32Array.of(w, -w);
          const bias = Float32Array.of(b, b);
          const l: NormLayout = { N: 1, C: count, S: p.S, perSample: true, groupSize: 1 };
          const { out, mean, variance, rstd } = be.normForward(x, l, EPS, weight, bias);
          for (let j = 0; j < count; j++) {
            // ATen: alpha = f32(rstd) * w, beta = f32(b - f32(mean) * alpha), out = fma(x, alpha, beta).
            const alpha = f(f(rstd[j]!) * weight[j]!);
            const beta = f(bias[j]! - f(mean[j]!) * alpha);
            const exact = variance[j]! <= EPS;
            for (let i = j * p.S; i < (j + 1) * p.S; i++) {
              const want = f(x[i]! * alpha + beta);
              const d = Math.abs(out[i]! - want);
              if (exact) assert.ok(Object.is(out[i], want), `near-constant plane ${j}[${i}]: ${out[i]} vs ${want}`);
              else assert.ok(d <= 1e-6 + 2 ** -23 * Math.abs(want), `plane ${j}[${i}]: ${out[i]} vs ${want} (S ${p.S}, offset ${p.offset}, scale ${p.scale})`);
            }
          }
        }),
        { numRuns: 120, seed: 12 },
      );
    } finally {
      be.setNormBackend('wasm');
    }
  });
}

for (const backend of ['js', 'wasm'] as const) {
  test(`batch norm's apply with the input's bounds stays within 1e-6 of ATen's fused multiply-add, equal on near-constant channels (${backend} kernels)`, () => {
    be.setNormBackend(backend);
    try {
      fc.assert(
        fc.property(planeArb, fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (p, w, b) => {
          // Two samples of two channels: each channel's statistic spans two planes.
          const [N, C] = [2, 2];
          const x = planes(p.S, N * C, p, p.seed);
          const l: NormLayout = { N, C, S: p.S, perSample: false, groupSize: 1 };
          const st = be.normStats(x, l);
          const rstd = st.variance.map((v) => 1 / Math.sqrt(v + EPS));
          const weight = Float32Array.of(w, -w);
          const bias = Float32Array.of(b, b);
          const out = be.normApply(x, l, st.mean, rstd, weight, bias, { variance: st.variance, eps: EPS, K: st.K, maxSq: st.maxSq });
          for (let q = 0; q < N * C; q++) {
            const c = q % C;
            const alpha = f(f(rstd[c]!) * weight[c]!);
            const beta = f(bias[c]! - f(st.mean[c]!) * alpha);
            for (let i = q * p.S; i < (q + 1) * p.S; i++) {
              const want = f(x[i]! * alpha + beta);
              if (st.variance[c]! <= EPS) assert.ok(Object.is(out[i], want), `near-constant channel ${c}[${i}]: ${out[i]} vs ${want}`);
              else assert.ok(Math.abs(out[i]! - want) <= 1e-6 + 2 ** -23 * Math.abs(want), `channel ${c}[${i}]: ${out[i]} vs ${want} (S ${p.S}, offset ${p.offset}, scale ${p.scale})`);
            }
          }
        }),
        { numRuns: 120, seed: 14 },
      );
    } finally {
      be.setNormBackend('wasm');
    }
  });

  test(`layer norm: the float32 output form stays within its bound of the float64 one, and is taken on ordinary rows (${backend} kernels)`, () => {
    be.setNormBackend(backend);
    try {
      fc.assert(
        fc.property(planeArb, fc.boolean(), (p, affine) => {
          const rows = 3;
          const D = p.S;
          const x = planes(D, rows, p, p.seed);
          const wb = noise(2 * D, p.seed + 7);
          const weight = affine ? Float32Array.from({ length: D }, (_, i) => 1 + 0.5 * wb[i]!) : null;
          const bias = affine ? Float32Array.from({ length: D }, (_, i) => 0.3 * wb[D + i]!) : null;
          const { out, mean, variance, rstd } = be.layerNormForward(x, rows, D, EPS, weight, bias);
          for (let k = 0; k < rows; k++) {
            const M = f(mean[k]!);
            const A = f(rstd[k]!);
            const ordinary = variance[k]! > EPS && Math.abs(M * A) <= 16;
            for (let i = 0; i < D; i++) {
              const xi = x[k * D + i]!;
              const w = weight ? weight[i]! : 1;
              const xhat = (xi - mean[k]!) * rstd[k]!;
              const want = f(xhat * w + (bias ? bias[i]! : 0));
              const got = out[k * D + i]!;
              // The rounding of f32(mean) (2^-24 |M * A| in xhat), then relative roundings of each float32 step.
              const tol = 2 ** -24 * (Math.abs(M * A) + 5 * Math.abs(xhat)) * Math.abs(w) + 2 ** -23 * Math.abs(want) + 1e-30;
              assert.ok(Math.abs(got - want) <= tol, `row ${k}[${i}]: ${got} vs ${want} (D ${D}, offset ${p.offset}, scale ${p.scale})`);
              if (ordinary) {
                let u = f(f(xi - M) * A);
                if (weight) u = f(u * w);
                if (bias) u = f(u + bias[i]!);
                assert.ok(Object.is(got, u), `ordinary row ${k}[${i}] in float32: ${got} vs ${u}`);
              } else assert.ok(Object.is(got, want), `row ${k}[${i}] in float64: ${got} vs ${want}`);
            }
          }
        }),
        { numRuns: 120, seed: 13 },
      );
    } finally {
      be.setNormBackend('wasm');
    }
  });
}

test('a first value far from the rest of a long plane does not cost the variance its digits', () => {
  // One value at 1e3, 2^16 values around 0 with unit spread: summing float32 (x - x[0])^2
  // alone would lose about four digits of the variance to cancellation.
  const S = 1 << 16;
  const x = planes(S, 1, { offset: 0, scale: 1, outlier: 1000 }, 5);
  const [m, v] = exactStats(x, 0, S);
  for (const backend of ['js', 'wasm'] as const) {
    be.setNormBackend(backend);
    const r = be.normForward(x, { N: 1, C: 1, S, perSample: true, groupSize: 1 }, EPS, null, null);
    assert.ok(Math.abs(r.variance[0]! - v) <= 1e-6 * v, `${backend}: variance ${r.variance[0]} vs ${v}`);
    assert.ok(Math.abs(r.mean[0]! - m) <= 1e-6, `${backend}: mean ${r.mean[0]} vs ${m}`);
  }
  be.setNormBackend('wasm');
});
