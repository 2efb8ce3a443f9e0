/**
 * The activation loops (kernels/activations.ts): the fitted erfc behind GELU
 * against two independent computations (the float64 series erf of
 * ops/activation.ts near 0, and the Laplace continued fraction on the tail),
 * and every activation's forward and backward against its definition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as act from '../../src/kernels/activations.js';
import { erf } from '../../src/ops/activation.js';
import { gemmBackend } from '../../src/kernels/gemm.js';
import { reluForward } from '../../src/kernels/relu.js';

/** erfc(z), z > 2, by the continued fraction erfc(z) = e^{-z^2}/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), evaluated backwards. */
function erfcContinuedFraction(z: number): number {
  let f = z;
  for (let k = 200; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}

test('erfc within 1e-12 of the series erf on [0, 3] and of the continued fraction on [2, 26]', () => {
  let worst = 0;
  for (let z = 0; z <= 3; z += 1 / 512) worst = Math.max(worst, Math.abs(act.erfcNonNegative(z) - (1 - erf(z))));
  assert.ok(worst < 2e-12, `absolute error ${worst}`);
  let rel = 0;
  for (let z = 2; z <= 26; z += 1 / 64) {
    const want = erfcContinuedFraction(z);
    rel = Math.max(rel, Math.abs(act.erfcNonNegative(z) - want) / want);
  }
  assert.ok(rel < 2e-12, `relative error ${rel}`);
});

test('normalCdf: both tails relative to the exact value, symmetric, NaN kept', () => {
  fc.assert(
    fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (x) => {
      const p = act.normalCdf(x);
      const q = act.normalCdf(-x);
      assert.ok(Math.abs(p + q - 1) < 5e-12, `${x}: ${p} + ${q}`);
      if (x < -2) {
        const want = 0.5 * erfcContinuedFraction(-x * Math.SQRT1_2);
        assert.ok(want === 0 || Math.abs(p - want) / want < 2e-12, `${x}: ${p} vs ${want}`);
      }
    }),
    { seed: 11, numRuns: 2000 },
  );
  assert.ok(Number.isNaN(act.normalCdf(NaN)));
});

/** The normal CDF by independent means: the series erf near 0, the continued fraction on the lower tail. */
const cdf = (v: number) => (v * Math.SQRT1_2 < -2 ? 0.5 * erfcContinuedFraction(-v * Math.SQRT1_2) : 0.5 * (1 + erf(v * Math.SQRT1_2)));

/** Runs activation `a` on values `xs` and a gradient of ones scaled by `gs`. */
function run(a: act.Activation, xs: number[], gs: number[]) {
  const x = Float32Array.from(xs);
  const y = new Float32Array(x.length);
  a.forward(x, y);
  const g = Float32Array.from(gs);
  const gx = new Float32Array(x.length);
  a.backward(x, y, g, gx);
  return { x, y, g, gx };
}

const f32 = Math.fround;

test('every activation equals its definition, forward and backward (float64 rounded once)', () => {
  const defs: [string, act.Activation, (v: number) => number, (v: number) => number][] = [
    ['relu6', act.hardtanh(0, 6), (v) => (v <= 0 ? 0 : v >= 6 ? 6 : v), (v) => (v <= 0 || v >= 6 ? 0 : 1)],
    ['leaky', act.leakyRelu(0.2), (v) => (v > 0 ? v : 0.2 * v), (v) => (v > 0 ? 1 : 0.2)],
    ['elu', act.elu(0.7), (v) => (v > 0 ? v : 0.7 * Math.expm1(v)), (v) => (v > 0 ? 1 : 0.7 * Math.exp(v))],
    ['sigmoid', act.sigmoid, (v) => 1 / (1 + Math.exp(-v)), () => NaN],
    ['silu', act.silu, (v) => v / (1 + Math.exp(-v)), (v) => { const s = 1 / (1 + Math.exp(-v)); return s * (1 + v * (1 - s)); }],
    ['hardswish', act.hardswish, (v) => (v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6), (v) => (v < -3 ? 0 : v <= 3 ? v / 3 + 0.5 : 1)],
    ['softplus', act.softplus(2, 10), (v) => (2 * v > 10 ? v : Math.log1p(Math.exp(2 * v)) / 2), (v) => (2 * v > 10 ? 1 : 1 / (1 + Math.exp(-2 * v)))],
    ['gelu', act.gelu, (v) => v * cdf(v), (v) => cdf(v) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI)],
  ];
  fc.assert(
    fc.property(fc.array(fc.float({ min: -12, max: 12, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.float({ min: -2, max: 2, noNaN: true }), (xs, gscale) => {
      for (const [name, a, f, df] of defs) {
        const r = run(a, xs, xs.map(() => gscale));
        for (let i = 0; i < xs.length; i++) {
          const v = r.x[i]!;
          const want = f32(f(v));
          // GELU's erf is the fitted erfc (1e-12): equal to the float32 rounding, or one ulp off where the value sits on a rounding edge
          const tol = name === 'gelu' ? Math.abs(want) * 1.2e-7 + 1e-30 : 0;
          assert.ok(Math.abs(r.y[i]! - want) <= tol, `${name}(${v}) = ${r.y[i]}, want ${want}`);
          const d = name === 'sigmoid' ? r.y[i]! * (1 - r.y[i]!) : df(v);
          const gwant = f32(r.g[i]! * d);
          assert.ok(Math.abs(r.gx[i]! - gwant) <= Math.abs(gwant) * 1.2e-7 + 1e-30, `${name}'(${v}) * ${r.g[i]} = ${r.gx[i]}, want ${gwant}`);
        }
      }
    }),
    { seed: 5, numRuns: 200 },
  );
});

test('the SIMD kernels equal the TypeScript loops within float32 rounding (GELU within its erfc fit), on every float32 range, NaN kept', () => {
  assert.equal(gemmBackend, 'wasm-simd', 'the gemm module did not load');
  const cases: [string, act.Activation, number][] = [
    ['relu6', act.hardtanh(0, 6), 0],
    ['hardtanh', act.hardtanh(-1, 1), 0],
    // the bounds pick the loops (asm/activations.ts): a zero upper bound or a -0 lower one take min/max
    ['hardtanh(-2, 0)', act.hardtanh(-2, 0), 0],
    ['hardtanh(-0, 3)', act.hardtanh(-0, 3), 0],
    ['leaky', act.leakyRelu(0.2), 1.2e-7], // the slope rounded to float32 in SIMD
    ['elu', act.elu(1.3), 4e-7],
    ['selu', act.elu(1.6732632423543772, 1.0507009873554805), 4e-7],
    ['sigmoid', act.sigmoid, 4e-7],
    ['silu', act.silu, 4e-7],
    ['hardswish', act.hardswish, 2.4e-7],
    ['gelu', act.gelu, 1e-5],
  ];
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.float({ min: -8, max: 8, noNaN: true }), fc.float({ min: -120, max: 120, noNaN: true }), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e-30, -1e-30)), { minLength: 1, maxLength: 70 }),
      (xs) => {
        // past 64 values the wasm kernels run (wasm_pointwise.ts): the array twice over, then a tail
        const x = Float32Array.from([...xs, ...xs, ...xs.slice(0, 3)].concat(xs.length < 32 ? Array(64).fill(-0) : []));
        const relu = reluForward(x);
        for (let i = 0; i < x.length; i++) {
          const v = x[i]!;
          assert.ok(Object.is(relu[i], v <= 0 ? 0 : v) || (Number.isNaN(v) && Number.isNaN(relu[i]!)), `relu(${v}) = ${relu[i]}`);
        }
        for (const [name, a, rtol] of cases) {
          const want = new Float32Array(x.length);
          a.forward(x, want);
          const got = act.activationForward(a, x);
          for (let i = 0; i < x.length; i++) {
            const [g, w] = [got[i]!, want[i]!];
            if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${name}(${x[i]}) = ${g}, want NaN`);
            else if (/^(relu6|hardtanh)/.test(name)) assert.ok(Object.is(g, w), `${name}(${x[i]}) = ${g}, want ${w} (signed zeros too)`);
            else assert.ok(g === w || Math.abs(g - w) <= rtol * Math.abs(w) + 1e-37, `${name}(${x[i]}) = ${g}, want ${w}`);
          }
        }
      },
    ),
    { seed: 3, numRuns: 300 },
  );
});
