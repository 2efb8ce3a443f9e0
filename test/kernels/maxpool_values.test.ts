/**
 * The inference max pool (kernels/pool.ts maxPool2dValues: SIMD inside the
 * image, scalar at its borders) against maxPool2d's loop, on every geometry:
 * kernel, stride, padding, dilation, narrow and wide maps, NaN and infinities.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gemmBackend } from '../../src/kernels/gemm.js';
import { maxPool2d, maxPool2dValues, type PoolGeom2d } from '../../src/kernels/pool.js';

const geometry = fc
  .record({
    kh: fc.integer({ min: 1, max: 5 }),
    kw: fc.integer({ min: 1, max: 5 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 1, max: 23 }),
    W: fc.integer({ min: 1, max: 41 }),
    planes: fc.integer({ min: 1, max: 3 }),
    phf: fc.double({ min: 0, max: 1, noNaN: true }),
    pwf: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map((r) => {
    // PyTorch's rules: padding at most half the kernel, at least one output
    const ph = Math.floor(r.phf * (Math.floor(r.kh / 2) + 1)) % (Math.floor(r.kh / 2) + 1);
    const pw = Math.floor(r.pwf * (Math.floor(r.kw / 2) + 1)) % (Math.floor(r.kw / 2) + 1);
    const outH = Math.floor((r.H + 2 * ph - r.dh * (r.kh - 1) - 1) / r.sh) + 1;
    const outW = Math.floor((r.W + 2 * pw - r.dw * (r.kw - 1) - 1) / r.sw) + 1;
    return { ...r, ph, pw, outH, outW };
  })
  .filter((g) => g.outH >= 1 && g.outW >= 1);

test('maxPool2dValues equals maxPool2d on every geometry (SIMD path)', () => {
  assert.equal(gemmBackend, 'wasm-simd');
  fc.assert(
    fc.property(geometry, fc.integer({ min: 0, max: 1000 }), (g, seed) => {
      const n = g.planes * g.H * g.W;
      const x = new Float32Array(n);
      let s = seed + 1;
      for (let i = 0; i < n; i++) {
        s = (s * 48271) % 2147483647;
        const u = s / 2147483647;
        x[i] = u < 0.01 ? NaN : u < 0.02 ? -Infinity : u < 0.03 ? Infinity : u * 8 - 4;
      }
      const geom: PoolGeom2d = g;
      const want = maxPool2d(x, g.planes, geom).out;
      const got = maxPool2dValues(x, g.planes, geom);
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) {
        const ok = Number.isNaN(want[i]!) ? Number.isNaN(got[i]!) : got[i] === want[i];
        assert.ok(ok, `${JSON.stringify(g)} output ${i}: ${got[i]} vs ${want[i]}`);
      }
    }),
    { seed: 17, numRuns: 600 },
  );
});
